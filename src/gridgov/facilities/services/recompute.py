"""Keeping the circle's cache fresh: mark it stale after a write and schedule the rebuild (tasks.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.models import Job
from gridgov.core.scope import check_path

from ..coverage import CITY_LENGTH
from ..models import CoverageRun
from ..tasks import recompute_coverage, recompute_job


def invalidate_coverage(path: str) -> None:
    """Mark the city's results stale and (by default) recompute them after this transaction commits."""
    city_path = path[:CITY_LENGTH]
    CoverageRun.objects.unscoped("derived cache").filter(area_path=city_path).update(is_stale=True)
    if settings.GRIDGOV_CIRCLE_AUTO_RECOMPUTE:
        transaction.on_commit(lambda: recompute_coverage.delay(city_path))


def start_recompute_job(actor, area: Area) -> Job:
    """Recompute the circle for the actor's city as a background job with progress."""
    if actor is not None:
        check_path(actor, area.path)
    with transaction.atomic():
        job = Job.objects.create(
            kind="facilities.recompute", owner=actor, params={"city_path": area.path[:CITY_LENGTH]}
        )
        audit.record(actor, "facilities.recompute", job, after={"city_path": area.path[:CITY_LENGTH]})
        transaction.on_commit(lambda: recompute_job.delay(job.pk))
    return job
