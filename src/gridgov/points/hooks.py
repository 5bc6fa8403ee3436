"""Staff points from the event loop (积分联奖惩): the grid's full-time worker earns points when a work
order in their grid is closed. Registered on gridgov.events.hooks; runs after the event's commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import context
from gridgov.core.services import ServiceError
from gridgov.events import hooks

from . import services
from .models import AwardCategory

log = logging.getLogger(__name__)


@hooks.on("closed")
def award_grid_worker_for_closed_event(event, handler) -> None:
    points = settings.GRIDGOV_POINTS_PER_CLOSED_EVENT
    grid_path = event.area_path[: PATH_LENGTH[Level.GRID]]
    if points <= 0 or len(grid_path) < PATH_LENGTH[Level.GRID]:
        return
    from gridgov.workforce.models import GridAssignment

    assignment = (
        GridAssignment.objects.unscoped("the worker of the event's grid")
        .select_related("staff", "grid")
        .filter(grid__path=grid_path, ended_on__isnull=True)
        .first()
    )
    if assignment is None:
        return
    with context.acting("task", label="events→points"):
        try:
            services.award_staff_points(
                None,
                assignment.staff,
                points=points,
                category=AwardCategory.WORK_RESULT,
                reason=_("网格内事件办结:%(title)s") % {"title": str(event)[:80]},
                source=f"events.event:{event.pk}:closed",
                grid=Area.objects.unscoped("the event's grid").get(pk=assignment.grid_id),
            )
        except ServiceError:
            # An empty community pool must not undo (or fail) the closing of a work order; the award
            # can be posted again later with the same source key.
            log.warning("staff points for event %s not posted", event.pk, exc_info=True)
