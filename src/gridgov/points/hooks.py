"""Staff points from the event loop (积分联奖惩): the grid's full-time worker earns points when a work
order in their grid is closed, and loses points when one is escalated (督办). Registered on
gridgov.events.hooks, which runs them in a Celery task after the event's commit and retries them when
they raise; each posting is keyed on the event and the kind, so a retry or a second run posts once.
A closed order whose award is still missing (the task gave up, or the community's pool was empty) is
reported by `unawarded_closed_events` to the nightly reconciler, which runs the same hook again."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import context
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.events import hooks

from . import services
from .models import AwardCategory, StaffAward

log = logging.getLogger(__name__)


def _grid_assignment(event):
    """The current full-time worker assignment of the event's grid (None above grid level or unassigned)."""
    grid_path = event.area_path[: PATH_LENGTH[Level.GRID]]
    if len(grid_path) < PATH_LENGTH[Level.GRID]:
        return None
    from gridgov.workforce.models import GridAssignment

    return (
        GridAssignment.objects.unscoped("the worker now assigned to the event's grid (a hook has no user)")
        .select_related("staff", "grid")
        .filter(grid__path=grid_path, ended_on__isnull=True)
        .first()
    )


def _closed_source(event) -> str:
    return f"events.event:{event.pk}:closed"


def _acting():
    # Keep the request id of the transition that fired the hook, so its audit rows read together.
    return context.acting("task", label="events→points", request_id=context.current().request_id or None)


def unawarded_closed_events(events):
    """Of these closed events, those whose grid worker has not been paid: there is a worker on the
    grid now who was already there on the day of the close (so a reconciled award goes to whom the
    hook would have paid), and no award under the event's key."""
    if settings.GRIDGOV_POINTS_PER_CLOSED_EVENT <= 0:
        return []
    grid_length = PATH_LENGTH[Level.GRID]
    in_grids = [e for e in events if len(e.area_path) >= grid_length and e.closed_at is not None]
    if not in_grids:
        return []
    from gridgov.workforce.models import GridAssignment

    started = dict(
        GridAssignment.objects.unscoped("which grids of recently closed events have a worker")
        .filter(grid__path__in={e.area_path[:grid_length] for e in in_grids}, ended_on__isnull=True)
        .values_list("grid__path", "started_on")
    )
    paid = set(
        StaffAward.objects.unscoped("awards already posted under the events' keys (keys are global)")
        .filter(source__in=[_closed_source(e) for e in in_grids])
        .values_list("source", flat=True)
    )
    return [
        e
        for e in in_grids
        if _closed_source(e) not in paid
        and started.get(e.area_path[:grid_length], dt.date.max) <= timezone.localdate(e.closed_at)
    ]


@hooks.on("closed", pending=unawarded_closed_events)
def award_grid_worker_for_closed_event(event, handler) -> None:
    points = settings.GRIDGOV_POINTS_PER_CLOSED_EVENT
    if points <= 0:
        return
    assignment = _grid_assignment(event)
    if assignment is None:
        return
    with _acting():
        try:
            services.award_staff_points(
                SystemActor("events→points: closed"),
                assignment.staff,
                points=points,
                category=AwardCategory.WORK_RESULT,
                reason=_("网格内事件办结:%(title)s") % {"title": str(event)[:80]},
                source=_closed_source(event),
                grid=Area.objects.unscoped("the grid of the event's assigned worker, who is paid there").get(
                    pk=assignment.grid_id
                ),
            )
        except ServiceError:
            # An empty community pool is not worth retrying at once: log it; the nightly reconciler
            # posts the award with the same source key once the pool is funded.
            log.warning("staff points for event %s not posted", event.pk, exc_info=True)


def _escalation_source(event) -> str:
    """One source key per escalation: the event and the trail row the escalation wrote (its time is the
    event's `escalated_at`), so a retried hook finds the same row and the penalty applies once, while a
    later escalation (next level, or level 1 again on a new clock after re-dispatch) is a new penalty."""
    from gridgov.events.models import EventTransition

    trail = (
        EventTransition.objects.filter(event_id=event.pk, action="escalate", created_at=event.escalated_at)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if trail is not None:
        return f"events.event:{event.pk}:escalated:{trail}"
    stamp = event.escalated_at.isoformat() if event.escalated_at else "-"
    return f"events.event:{event.pk}:escalated:{event.escalation_level}:{stamp}"


@hooks.on("escalated")
def penalise_grid_worker_for_escalated_event(event, handler) -> None:
    """积分联奖惩, the penalty side: each escalation of a work order in a grid deducts
    GRIDGOV_POINTS_PER_ESCALATION from the grid's full-time worker (at most their balance is taken back;
    the monthly score counts the full deduction)."""
    points = settings.GRIDGOV_POINTS_PER_ESCALATION
    if points <= 0:
        return
    assignment = _grid_assignment(event)
    if assignment is None:
        return
    on = timezone.localdate(event.escalated_at) if event.escalated_at else None
    with _acting():
        try:
            services.award_staff_points(
                SystemActor("events→points: escalated"),
                assignment.staff,
                points=-points,
                category=AwardCategory.PENALTY,
                reason=_("网格内事件被督办(%(n)d 级):%(title)s")
                % {"n": event.escalation_level, "title": str(event)[:80]},
                source=_escalation_source(event),
                grid=Area.objects.unscoped("the grid of the event's assigned worker, who is paid there").get(
                    pk=assignment.grid_id
                ),
                on=on,
            )
        except ServiceError:
            # A failing penalty must not fail the escalation; it can be posted again with the same key.
            log.warning("escalation penalty for event %s not posted", event.pk, exc_info=True)
