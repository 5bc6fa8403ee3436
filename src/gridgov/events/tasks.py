"""Periodic and queued work: escalate overdue events (every 10 minutes), deliver the hooks other apps
registered on transitions (queued on commit, retried), and reconcile what those hooks still owe
(nightly). Schedules: CELERY_BEAT_SCHEDULE in settings.py."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.utils import timezone

from gridgov.core import context

log = logging.getLogger(__name__)

# Retries of a failing hook: 30 s, 1, 2, 4, 8, 16 min (with jitter), then the nightly reconciler.
HOOK_MAX_RETRIES = 6
HOOK_BACKOFF_SECONDS = 30
HOOK_BACKOFF_MAX_SECONDS = 3600
# Eager (no broker) retries run at once inside the request that committed: a couple catch a transient
# error (a lock timeout), more would only hold the request up.
HOOK_EAGER_RETRIES = 2


@shared_task(name="events.escalate_overdue", acks_late=True)
def escalate_overdue() -> int:
    from .services import escalate_overdue as run

    with context.acting("task", label="events.escalate_overdue"):
        return run()


@shared_task(
    name="events.run_hook",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=HOOK_MAX_RETRIES,
)
def run_hook(
    self,
    kind: str,
    name: str,
    event_id: int,
    handler_id: int | None = None,
    snapshot: dict | None = None,
    request_id: str | None = None,
) -> bool:
    """One registered hook for one event (enqueued by hooks.fire on commit). Any exception is logged and
    retried: by Celery with exponential backoff up to HOOK_MAX_RETRIES on a worker; at once, up to
    HOOK_EAGER_RETRIES, when run in-process (eager, no broker). The last failure is raised."""
    from . import hooks

    if self.request.is_eager:
        # Celery's own retry would re-raise at once here (eager tasks propagate): loop instead.
        for attempt in range(HOOK_EAGER_RETRIES + 1):
            try:
                return hooks.deliver(kind, name, event_id, handler_id, snapshot, request_id)
            except Exception:
                if attempt == HOOK_EAGER_RETRIES:
                    _gave_up(kind, name, event_id, attempt)
                    raise
                _failed(kind, name, event_id, attempt, 0)
    try:
        return hooks.deliver(kind, name, event_id, handler_id, snapshot, request_id)
    except Exception as exc:
        attempt = self.request.retries
        if attempt >= self.max_retries:
            _gave_up(kind, name, event_id, attempt)
            raise
        countdown = get_exponential_backoff_interval(
            factor=HOOK_BACKOFF_SECONDS, retries=attempt, maximum=HOOK_BACKOFF_MAX_SECONDS, full_jitter=True
        )
        _failed(kind, name, event_id, attempt, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc


def _failed(kind: str, name: str, event_id: int, attempt: int, countdown: int) -> None:
    log.warning(
        "event hook %s %s for event %s failed (attempt %d); retrying in %d s",
        kind,
        name,
        event_id,
        attempt + 1,
        countdown,
        exc_info=True,
    )


def _gave_up(kind: str, name: str, event_id: int, attempt: int) -> None:
    log.error(
        "event hook %s %s for event %s failed %d times; left to the reconciler",
        kind,
        name,
        event_id,
        attempt + 1,
        exc_info=True,
    )


@shared_task(name="events.reconcile_hooks", acks_late=True)
def reconcile_hooks(days: int | None = None) -> dict[str, int]:
    """Nightly: post what the hooks still owe for events of the last `days` days (see hooks.reconcile)."""
    from . import hooks

    days = max(1, min(int(days or hooks.RECONCILE_DAYS), hooks.RECONCILE_MAX_DAYS))
    with context.acting("task", label="events.reconcile_hooks"):
        rows = hooks.reconcile(since=timezone.now() - dt.timedelta(days=days))
    for row in rows:
        log.log(
            logging.INFO if row.fixed else logging.WARNING,
            "reconciled hook %s %s for event %s (%s): %s",
            row.kind,
            row.hook,
            row.event_id,
            row.event,
            "fixed" if row.fixed else f"still pending {row.error}",
        )
    return {"found": len(rows), "fixed": sum(r.fixed for r in rows)}
