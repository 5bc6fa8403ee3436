"""Roles and what each may do. A role's permissions apply only inside the user's area subtree."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市级管理员")
    DISTRICT = "district", _("区县管理员")
    STREET = "street", _("街道管理员")
    COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    PROPERTY = "property", _("物业企业")
    MERCHANT = "merchant", _("商户")
    RESIDENT = "resident", pgettext_lazy("role", "居民")


# The area level a role is bound to (checked when an account is created).
ROLE_LEVEL = {
    Role.CITY_ADMIN: 1,
    Role.DISTRICT: 2,
    Role.STREET: 3,
    Role.COMMUNITY_SECRETARY: 4,
    Role.COMMUNITY_WORKER: 4,
    Role.GRID_WORKER: 5,
}

_VIEW_AREAS = {"areas.view_area", "areas.view_areachange"}
_VIEW_PEOPLE = {"people.view_household", "people.view_resident", "people.view_tag"}
_EDIT_PEOPLE = {
    "people.add_household",
    "people.change_household",
    "people.add_resident",
    "people.change_resident",
}
_MANAGE_PEOPLE = {"people.import_resident", "people.export_resident"}
_UNMASK = {"people.unmask_resident"}
_REZONE = {"areas.add_area", "areas.change_area", "areas.rezone_area"}
_AUDIT = {"core.view_auditevent"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(
        _VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE | _UNMASK | _REZONE | _AUDIT
    ),
    Role.DISTRICT: frozenset(
        _VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE | _UNMASK | _REZONE | _AUDIT
    ),
    Role.STREET: frozenset(
        _VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE | _UNMASK | _REZONE | _AUDIT
    ),
    Role.COMMUNITY_SECRETARY: frozenset(_VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE | _UNMASK),
    Role.COMMUNITY_WORKER: frozenset(_VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE),
    Role.GRID_WORKER: frozenset(_VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE),
    Role.PROPERTY: frozenset(_VIEW_AREAS),
    Role.MERCHANT: frozenset(_VIEW_AREAS),
    Role.RESIDENT: frozenset(),
}
