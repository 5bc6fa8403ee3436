"""Periodic work: expire unspent points that are due (CELERY_BEAT_SCHEDULE runs it daily at 01:30), post
what 双报到 services still owe (nightly at 01:50), and close the previous month of every community on the 1st
(grid scores → staff points → performance pay)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from gridgov.core import context
from gridgov.core.actors import SystemActor


@shared_task(name="points.expire_points", acks_late=True)
def expire_points() -> int:
    """Expire every account's points that expired before today; safe to re-run (one key per account and day)."""
    from .services import expire_points as run

    with context.acting("task", label="points.expire_points"):
        return run(SystemActor("points.expire_points"))


@shared_task(name="points.close_months", acks_late=True)
def close_months() -> dict[str, int]:
    """On the 1st of each month: close the previous month (grid scores → staff points → performance pay) for
    every community not closed yet; a community already closed by hand is skipped."""
    from django.utils import timezone

    from .services import close_months as run
    from .services import month_of

    previous = month_of(month_of(timezone.localdate()) - dt.timedelta(days=1))
    with context.acting("task", label="points.close_months"):
        return run(SystemActor("monthly-close"), previous)


@shared_task(name="points.award_dual_services", acks_late=True)
def award_dual_services() -> int:
    """Post the points of every 双报到 service record that has none yet (its hook failed, e.g. an empty pool, or
    no rule existed then); keyed by record, so re-running posts nothing twice."""
    from .dual_report import award_missing

    return award_missing()
