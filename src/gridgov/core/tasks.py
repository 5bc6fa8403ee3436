"""Periodic work of core (CELERY_BEAT_SCHEDULE in settings.py): sealing the audit log, and sending the
background tasks that could not reach the broker when they were asked for.

`enqueue` is how the apps start a background task after their transaction commits: if the broker
(Redis) is down, the task is kept in `DeferredTask` instead of failing the request whose write has
already committed, and `flush_deferred` sends it once the broker is back (docs/deploy.md, "Faults").
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

log = logging.getLogger(__name__)


def _publish(task, args: list[Any]) -> None:
    # retry=False: a broker that is down fails at once instead of holding the request for seconds.
    task.apply_async(args=args, retry=False)


def enqueue(task, *args: Any) -> None:
    """Send `task(*args)` to the workers (eager without a broker). Broker unreachable: keep it to send later."""
    if task.app.conf.task_always_eager:
        task.delay(*args)
        return
    try:
        _publish(task, list(args))
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, OSError…
        from .models import DeferredTask

        log.warning("broker unreachable, task %s kept for later: %r", task.name, exc)
        DeferredTask.objects.create(task=task.name, args=list(args), error=repr(exc)[:300])


def enqueue_on_commit(task, *args: Any) -> None:
    """`enqueue` once the surrounding transaction commits (nothing is sent for a rolled-back write)."""
    transaction.on_commit(lambda: enqueue(task, *args))


@shared_task(name="core.seal_audit", acks_late=True, ignore_result=True)
def seal_audit() -> int:
    from .audit_chain import seal_audit as run

    return run()


@shared_task(name="core.flush_deferred", acks_late=True, ignore_result=True)
def flush_deferred(limit: int = 500) -> int:
    """Send the kept tasks in the order they were asked for; stop at the first that still fails."""
    from celery import current_app

    from .models import DeferredTask

    sent = 0
    for deferred in DeferredTask.objects.order_by("id")[:limit]:
        task = current_app.tasks.get(deferred.task)
        if task is None:
            log.error("deferred task %s is not registered; dropped", deferred.task)
            deferred.delete()
            continue
        try:
            _publish(task, list(deferred.args))
        except Exception as exc:
            DeferredTask.objects.filter(pk=deferred.pk).update(
                attempts=deferred.attempts + 1, error=repr(exc)[:300]
            )
            break
        deferred.delete()
        sent += 1
    return sent
