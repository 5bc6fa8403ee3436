"""Roles and what each may do. A role's permissions apply only inside the user's area subtree.

What a role may do is declared by each app for its own models (`<app>/roles.py`, `GRANTS`) and registered
from the app's `AppConfig.ready()` with `core.roles.register`; `ROLE_PERMISSIONS` reads the merged table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from django.apps import apps
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.core import roles as role_grants


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
    # Department logins of the data hub (datahub): bound to the city, narrowed to their own sources.
    DEPT_PUBLIC_SECURITY = "dept_public_security", _("公安部门")
    DEPT_CIVIL_AFFAIRS = "dept_civil_affairs", _("民政部门")
    DEPT_HOUSING = "dept_housing", _("住建部门")
    DEPT_POLITICAL_LEGAL = "dept_political_legal", _("政法部门")


# The area level a role is bound to (checked when an account is created).
ROLE_LEVEL = {
    Role.CITY_ADMIN: 1,
    Role.DISTRICT: 2,
    Role.STREET: 3,
    Role.COMMUNITY_SECRETARY: 4,
    Role.COMMUNITY_WORKER: 4,
    Role.GRID_WORKER: 5,
    Role.DEPT_PUBLIC_SECURITY: 1,
    Role.DEPT_CIVIL_AFFAIRS: 1,
    Role.DEPT_HOUSING: 1,
    Role.DEPT_POLITICAL_LEGAL: 1,
}

# Who may grant or manage whom (accounts.services): an actor grants roles up to its own rank, never above,
# and acts only on users whose role is not above its own.
ROLE_RANK: dict[str, int] = {
    Role.CITY_ADMIN: 6,
    Role.DISTRICT: 5,
    Role.STREET: 4,
    Role.COMMUNITY_SECRETARY: 3,
    Role.COMMUNITY_WORKER: 2,
    Role.GRID_WORKER: 1,
}
# Property, merchant and resident accounts stand outside the hierarchy: the street and above manage them.
RANK_TO_MANAGE: dict[str, int] = {
    **ROLE_RANK,
    Role.PROPERTY: ROLE_RANK[Role.STREET],
    Role.MERCHANT: ROLE_RANK[Role.STREET],
    Role.RESIDENT: ROLE_RANK[Role.STREET],
    # Department accounts see city-wide data of their sources: only the city administrator manages them.
    Role.DEPT_PUBLIC_SECURITY: ROLE_RANK[Role.CITY_ADMIN],
    Role.DEPT_CIVIL_AFFAIRS: ROLE_RANK[Role.CITY_ADMIN],
    Role.DEPT_HOUSING: ROLE_RANK[Role.CITY_ADMIN],
    Role.DEPT_POLITICAL_LEGAL: ROLE_RANK[Role.CITY_ADMIN],
}


def may_manage(actor_role: str, role: str) -> bool:
    """Whether a holder of actor_role may grant `role` or act on an account that has it."""
    return ROLE_RANK.get(actor_role, 0) >= RANK_TO_MANAGE.get(role, len(ROLE_RANK) + 1)


# The account pages (`accounts.manage_user`); the services check rank and scope.
GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: {"accounts.manage_user"},
    Role.DISTRICT: {"accounts.manage_user"},
    Role.STREET: {"accounts.manage_user"},
}


class RolePermissions(Mapping[str, frozenset[str]]):
    """Role -> every permission the apps grant it (their registered `GRANTS`); a role no app grants
    anything has the empty set, a string that is no role is not a key."""

    def __getitem__(self, role: str) -> frozenset[str]:
        if role not in Role.values:
            raise KeyError(role)
        return _merged().get(role, frozenset())

    def __iter__(self) -> Iterator[str]:
        return iter(Role)

    def __len__(self) -> int:
        return len(Role.values)


def _merged() -> dict[str, frozenset[str]]:
    if not apps.ready:  # read at import time it would miss the grants of the apps not yet ready
        raise AppRegistryNotReady("role permissions are read once every app has registered its grants")
    table = role_grants.merged()
    unknown = sorted(set(table) - set(Role.values))
    if unknown:
        raise ImproperlyConfigured(f"role grants name roles that do not exist: {', '.join(unknown)}")
    return table


ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = RolePermissions()
