"""Background work: recomputing the circle after a change, or on demand as a Job with progress."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from gridgov.core import context
from gridgov.core.actors import SystemActor
from gridgov.core.models import Job, JobStatus

from .coverage import compute_coverage


@shared_task(name="facilities.recompute_coverage", acks_late=True)
def recompute_coverage(city_path: str) -> int:
    with context.acting("task", label="facilities.recompute_coverage"):
        return compute_coverage(city_path, actor=SystemActor("facilities.recompute_coverage")).buildings


@shared_task(name="facilities.recompute_job", acks_late=True)
def recompute_job(job_id: int) -> int:
    job = Job.objects.get(pk=job_id)
    with context.acting("task", label="facilities.recompute_job"):
        try:
            Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, total=4)

            def progress(done: int, total: int) -> None:
                Job.objects.filter(pk=job.pk).update(done=done, total=total)

            run = compute_coverage(
                job.params["city_path"], progress=progress, actor=SystemActor("facilities.recompute_job")
            )
            with transaction.atomic():
                Job.objects.filter(pk=job.pk).update(
                    status=JobStatus.DONE, done=4, total=4, finished_at=timezone.now()
                )
        except Exception as exc:
            Job.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
            )
            raise
    return run.buildings
