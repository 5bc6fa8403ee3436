"""Periodic work: escalate overdue events (CELERY_BEAT_SCHEDULE runs it every 10 minutes)."""

from __future__ import annotations

from celery import shared_task

from gridgov.core import context


@shared_task(name="events.escalate_overdue", acks_late=True)
def escalate_overdue() -> int:
    from .services import escalate_overdue as run

    with context.acting("task", label="events.escalate_overdue"):
        return run()
