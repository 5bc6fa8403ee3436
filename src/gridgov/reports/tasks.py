"""Nightly refresh of the indicator snapshots: current, and the last 12 months' periodic figures (beat
`reports.refresh_snapshots`, settings.py)."""

from __future__ import annotations

from celery import shared_task

from gridgov.core import context
from gridgov.core.actors import SystemActor


@shared_task(name="reports.refresh_snapshots", acks_late=True)
def refresh_snapshots(period: str = "") -> int:
    """The current figures and the last 12 months' periodic ones; one month only when `period` is given."""
    from .services import refresh_recent
    from .services import refresh_snapshots as run

    actor = SystemActor("reports.refresh_snapshots")
    with context.acting("task", label="reports.refresh_snapshots"):
        return run(actor, period=period) if period else refresh_recent(actor)


@shared_task(name="reports.refresh_requested", acks_late=True)
def refresh_requested() -> list[str]:
    """Every few minutes: the subtrees whose records were imported since (services.run_requested)."""
    from .services import run_requested

    with context.acting("task", label="reports.refresh_requested"):
        return run_requested(SystemActor("reports.refresh_requested"))
