"""Background work for residents and households: large exports run here, with progress the page polls."""

from __future__ import annotations

from types import SimpleNamespace

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from gridgov.core import audit, context
from gridgov.core.models import Job, JobStatus
from gridgov.core.xlsx import write_sheet

from .columns import (
    EXPORT_EXTRA_COLUMNS,
    EXPORT_TITLE,
    HOUSEHOLD_EXPORT_COLUMNS,
    HOUSEHOLD_EXPORT_TITLE,
    RESIDENT_COLUMNS,
)
from .filters import HouseholdFilter, ResidentFilter
from .models import Household, Resident
from .queries import export_rows, household_export_rows

PROGRESS_EVERY = 1000


def _as_query(params: dict) -> QueryDict:
    """Saved filters (a value or a list of values per name) as the query the filterset expects."""
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list | tuple):
            query.setlist(key, [str(v) for v in value])
        elif value is not None:
            query[key] = str(value)
    return query


def resident_filter(user, params: dict) -> ResidentFilter:
    """The list page's filterset over the user's residents, for exports (in the request or in a job)."""
    base = Resident.objects.visible_to(user).filter(is_active=True)
    return ResidentFilter(_as_query(params), queryset=base, request=SimpleNamespace(user=user))


def filtered_residents(user, params: dict):
    """The residents the filters select; no rows at all if a filter is invalid (never the unfiltered list)."""
    return resident_filter(user, params).qs


def _run_export(
    job: Job, user, *, title: str, columns, qs, rows, filename: str, audit_action: str, audit_after: dict
) -> int:
    """Write the job's xlsx from `rows`, reporting progress every PROGRESS_EVERY rows; mark it done or failed."""
    if not job.begin_attempt(qs.count()):
        return job.total  # delivered again after it finished: one file, one audit row
    try:

        def counted():
            for n, row in enumerate(rows, start=1):
                if n % PROGRESS_EVERY == 0:
                    Job.objects.filter(pk=job.pk).update(done=n)
                yield row

        content = write_sheet(title, columns, counted())
        with transaction.atomic():
            job.refresh_from_db()
            job.result_file.save(f"{filename}-{job.pk}.xlsx", ContentFile(content), save=False)
            job.status, job.done, job.finished_at = JobStatus.DONE, job.total, timezone.now()
            job.save()
            audit.record(user, audit_action, job, after={"rows": job.total, **audit_after})
    except Exception as exc:
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    return job.total


def _job_and_owner(job_id: int):
    job = Job.objects.get(pk=job_id)
    user = get_user_model()._default_manager.select_related("area").get(pk=job.owner_id)
    return job, user


@shared_task(name="people.export_residents", acks_late=True)
def export_residents(job_id: int) -> int:
    job, user = _job_and_owner(job_id)
    with context.acting("task", label="people.export_residents"):
        qs = filtered_residents(user, job.params.get("filters", {}))
        unmasked = bool(job.params.get("unmasked")) and user.has_perm("people.unmask_resident")
        return _run_export(
            job,
            user,
            title=str(EXPORT_TITLE),
            columns=RESIDENT_COLUMNS + EXPORT_EXTRA_COLUMNS,
            qs=qs,
            rows=export_rows(qs, unmasked=unmasked),
            filename="residents",
            audit_action="people.export",
            audit_after={"unmasked": unmasked},
        )


def filtered_households(user, params: dict):
    """The household list's filterset over the user's households; no rows if a filter is invalid."""
    base = Household.objects.visible_to(user).filter(is_active=True)
    return HouseholdFilter(_as_query(params), queryset=base, request=SimpleNamespace(user=user)).qs


@shared_task(name="people.export_households", acks_late=True)
def export_households(job_id: int) -> int:
    job, user = _job_and_owner(job_id)
    with context.acting("task", label="people.export_households"):
        qs = filtered_households(user, job.params.get("filters", {}))
        return _run_export(
            job,
            user,
            title=str(HOUSEHOLD_EXPORT_TITLE),
            columns=HOUSEHOLD_EXPORT_COLUMNS,
            qs=qs,
            rows=household_export_rows(qs),
            filename="households",
            audit_action="people.export_households",
            audit_after={},
        )
