"""Keeping the circle's cache fresh: mark it stale after a write and schedule the rebuild (tasks.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.models import Job
from gridgov.core.scope import check_reach
from gridgov.core.tasks import enqueue_on_commit

from ..coverage import CITY_LENGTH
from ..models import CoverageRun
from ..tasks import recompute_coverage, recompute_job

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def invalidate_coverage(path: str) -> None:
    """Mark the city's results stale and (by default) recompute them after this transaction commits."""
    city_path = path[:CITY_LENGTH]
    CoverageRun.objects.unscoped("the city's derived circle cache is stale after any write in it").filter(
        area_path=city_path
    ).update(is_stale=True)
    if settings.GRIDGOV_CIRCLE_AUTO_RECOMPUTE:
        enqueue_on_commit(recompute_coverage, city_path)


def start_recompute_job(actor: User, area: Area) -> Job:
    """Recompute the circle for the actor's city as a background job with progress, polled by the person
    who started it (a job has a user as owner: a task recomputes with `compute_coverage` instead)."""
    check_reach(actor, area.path)
    with transaction.atomic():
        job = Job.objects.create(
            kind="facilities.recompute", owner=actor, params={"city_path": area.path[:CITY_LENGTH]}
        )
        audit.record(actor, "facilities.recompute", job, after={"city_path": area.path[:CITY_LENGTH]})
        enqueue_on_commit(recompute_job, job.pk)
    return job
