"""Nightly refresh of the current indicator snapshots (beat `reports.refresh_snapshots`, settings.py)."""

from __future__ import annotations

from celery import shared_task

from gridgov.core import context
from gridgov.core.actors import SystemActor


@shared_task(name="reports.refresh_snapshots", acks_late=True)
def refresh_snapshots(period: str = "") -> int:
    from .services import refresh_snapshots as run

    with context.acting("task", label="reports.refresh_snapshots"):
        return run(SystemActor("reports.refresh_snapshots"), period=period)
