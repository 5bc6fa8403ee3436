"""Full-time grid workers on grids (一网一员): one worker per grid, the assignment history kept."""

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

from ..models import GridAssignment, Post, Staff
from ._common import _area_at, _serving

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def _end_assignment(staff: Staff, on: dt.date, reason: str) -> int:
    return (
        GridAssignment.objects.unscoped(
            "end the open assignment of a staff member the caller locked and checked"
        )
        .filter(staff=staff, ended_on__isnull=True)
        .update(ended_on=on, reason=reason)
    )


@transaction.atomic
def assign_grid(
    actor: User | SystemActor, staff: Staff, grid: Area, *, on: dt.date | None = None, reason: str = ""
) -> GridAssignment:
    """Put a full-time grid worker on a grid (ending their previous assignment: history is kept)."""
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    grid = _area_at(Area.objects.lock_in_scope(actor, grid.pk), Level.GRID)
    if staff.post != Post.GRID_WORKER:
        raise ServiceError(_("只有专职网格员可以配置到网格"))
    if not grid.path.startswith(staff.area_path):
        raise ServiceError(_("网格不在该网格员所在社区内"))
    current = (
        GridAssignment.objects.unscoped(
            "one worker per grid: whoever holds the locked, checked grid, in any scope"
        )
        .filter(grid=grid, ended_on__isnull=True)
        .first()
    )
    if current is not None:
        if current.staff_id == staff.pk:
            raise ServiceError(_("该网格员已在此网格"))
        raise ServiceError(_("该网格已有专职网格员(一网一员),请先调离原网格员"))
    on = on or timezone.localdate()
    before = list(
        GridAssignment.objects.unscoped(
            "the open assignments of the locked, checked staff member, for the audit row"
        )
        .filter(staff=staff, ended_on__isnull=True)
        .values_list("grid_id", flat=True)
    )
    _end_assignment(staff, on, reason or _("调整网格"))
    try:
        with transaction.atomic():
            assignment = GridAssignment.objects.create(
                staff=staff, grid=grid, area_path=grid.path, started_on=on, reason=reason
            )
    except IntegrityError:
        raise ServiceError(_("该网格刚配置了其他网格员,请刷新后重试")) from None
    audit.record(
        actor, "workforce.assign_grid", assignment, before={"grids": before}, after=audit.snapshot(assignment)
    )
    return assignment


@transaction.atomic
def unassign_grid(
    actor: User | SystemActor, staff: Staff, *, reason: str, on: dt.date | None = None
) -> Staff:
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    if not (reason or "").strip():
        raise ServiceError(_("请填写调离原因"))
    if not _end_assignment(staff, on or timezone.localdate(), reason.strip()):
        raise ServiceError(_("该网格员当前未配置网格"))
    audit.record(actor, "workforce.unassign_grid", staff, after={"reason": reason.strip()})
    return staff
