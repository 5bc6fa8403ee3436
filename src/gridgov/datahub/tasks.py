"""Background work of the data hub: a collision run started from the page (a Celery job with progress),
and the inbox folder, checked by Celery beat (CELERY_BEAT_SCHEDULE "datahub.process_inbox")."""

from __future__ import annotations

from celery import shared_task

from gridgov.core import context


@shared_task(name="datahub.collide", acks_late=True)
def collide_task(run_id: int) -> int:
    from .models import Run
    from .services import runs

    run = Run.objects.unscoped("the task runs the run it was given").get(pk=run_id)
    with context.acting("task", label="datahub.collide"):
        run = runs.execute(run)
    return run.findings_new


@shared_task(name="datahub.process_inbox", acks_late=True, ignore_result=True)
def process_inbox() -> int:
    from .services import inbox

    with context.acting("task", label="datahub.process_inbox"):
        return len(inbox.process_inbox())
