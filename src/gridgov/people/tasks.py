"""Background work for residents: large exports run here, with progress the page polls."""

from __future__ import annotations

from types import SimpleNamespace

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from gridgov.core import audit, context
from gridgov.core.models import Job, JobStatus
from gridgov.core.xlsx import write_sheet

from .columns import EXPORT_EXTRA_COLUMNS, EXPORT_TITLE, RESIDENT_COLUMNS
from .filters import ResidentFilter
from .models import Resident
from .queries import export_rows

PROGRESS_EVERY = 1000


def filtered_residents(user, params: dict):
    base = Resident.objects.visible_to(user).filter(is_active=True)
    return ResidentFilter(params, queryset=base, request=SimpleNamespace(user=user)).qs


@shared_task(name="people.export_residents", acks_late=True)
def export_residents(job_id: int) -> int:
    job = Job.objects.get(pk=job_id)
    user = get_user_model()._default_manager.select_related("area").get(pk=job.owner_id)
    with context.acting("task", label="people.export_residents"):
        try:
            qs = filtered_residents(user, job.params.get("filters", {}))
            unmasked = bool(job.params.get("unmasked")) and user.has_perm("people.unmask_resident")
            Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, total=qs.count())

            def rows():
                for n, row in enumerate(export_rows(qs, unmasked=unmasked), start=1):
                    if n % PROGRESS_EVERY == 0:
                        Job.objects.filter(pk=job.pk).update(done=n)
                    yield row

            content = write_sheet(str(EXPORT_TITLE), RESIDENT_COLUMNS + EXPORT_EXTRA_COLUMNS, rows())
            with transaction.atomic():
                job.refresh_from_db()
                job.result_file.save(f"residents-{job.pk}.xlsx", ContentFile(content), save=False)
                job.status, job.done, job.finished_at = JobStatus.DONE, job.total, timezone.now()
                job.save()
                audit.record(user, "people.export", job, after={"rows": job.total, "unmasked": unmasked})
        except Exception as exc:
            Job.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
            )
            raise
    return job.total
