"""Committee members linked to grids (两委成员联网格 / 挂包): several grids each, the history kept."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError

from ..models import LINK_POSTS, GridLink, Staff
from ._common import _area_at, _serving, _text

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def _open_link(staff: Staff, grid: Area) -> GridLink | None:
    return (
        GridLink.objects.unscoped("the open link of a staff member and grid both locked and checked")
        .filter(staff=staff, grid=grid, ended_on__isnull=True)
        .first()
    )


@transaction.atomic
def link_grid(
    actor: User | SystemActor, staff: Staff, grid: Area, *, on: dt.date | None = None, reason: str = ""
) -> GridLink:
    """Link a committee member (or full-time worker) to a grid of their community; others stay linked."""
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    grid = _area_at(Area.objects.lock_in_scope(actor, grid.pk), Level.GRID)
    reason = _text(reason, _("原因"), 200, required=False)
    if staff.post not in LINK_POSTS:
        raise ServiceError(_("专职网格员通过“配置到网格”上岗,联系网格限两委成员和社区专职工作者"))
    if not grid.path.startswith(staff.area_path):
        raise ServiceError(_("网格“%(g)s”不在“%(n)s”所在社区内") % {"g": grid.name, "n": staff.resident.name})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ServiceError(_("开始日期不能晚于今天"))
    if _open_link(staff, grid) is not None:
        raise ServiceError(_("“%(n)s”已联系网格“%(g)s”") % {"n": staff.resident.name, "g": grid.name})
    try:
        with transaction.atomic():
            link = GridLink.objects.create(
                staff=staff, grid=grid, area_path=grid.path, started_on=on, reason=reason
            )
    except IntegrityError:
        raise ServiceError(_("该联系关系刚刚已登记,请刷新后查看")) from None
    audit.record(actor, "workforce.link_grid", link, after=audit.snapshot(link))
    return link


@transaction.atomic
def unlink_grid(
    actor: User | SystemActor, staff: Staff, grid: Area, *, reason: str, on: dt.date | None = None
) -> GridLink:
    """End a staff member's link to a grid (the row stays as history)."""
    staff = Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk)
    grid = Area.objects.lock_in_scope(actor, grid.pk)
    reason = _text(reason, _("解除原因"), 200)
    link = _open_link(staff, grid)
    if link is None:
        raise ServiceError(_("“%(n)s”当前未联系网格“%(g)s”") % {"n": staff.resident.name, "g": grid.name})
    on = on or timezone.localdate()
    if on < link.started_on:
        raise ServiceError(_("解除日期不能早于联系开始日期"))
    before = audit.snapshot(link)
    link.ended_on = on
    link.reason = reason
    link.save(update_fields=["ended_on", "reason"])
    audit.record(actor, "workforce.unlink_grid", link, before=before, after=audit.snapshot(link))
    return link


def end_links(staff: Staff, on: dt.date, reason: str) -> int:
    """End every open link of a staff member the caller locked and checked (leaving, becoming grid worker)."""
    return (
        GridLink.objects.unscoped("end the open links of a staff member the caller locked and checked")
        .filter(staff=staff, ended_on__isnull=True)
        .update(ended_on=on, reason=reason)
    )
