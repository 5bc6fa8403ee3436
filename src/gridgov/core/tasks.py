"""Periodic work of core: sealing the audit log (every minute; CELERY_BEAT_SCHEDULE in settings.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="core.seal_audit", acks_late=True, ignore_result=True)
def seal_audit() -> int:
    from .audit_chain import seal_audit as run

    return run()
