"""Periodic work: expire unspent points that are due (CELERY_BEAT_SCHEDULE runs it daily at 01:30)."""

from __future__ import annotations

from celery import shared_task

from gridgov.core import context
from gridgov.core.actors import SystemActor


@shared_task(name="points.expire_points", acks_late=True)
def expire_points() -> int:
    """Expire every account's points that expired before today; safe to re-run (one key per account and day)."""
    from .services import expire_points as run

    with context.acting("task", label="points.expire_points"):
        return run(SystemActor("points.expire_points"))
