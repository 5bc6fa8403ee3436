"""Faults: the broker (Redis) down while people work, and the health probe that tells a monitor so.

With the broker unreachable, a write that asks for a background task still succeeds: the task is kept in
`DeferredTask` (core.tasks.enqueue) and sent by `core.flush_deferred` once the broker answers again. The
broker here is real: a closed port for "down", the test Redis for "back".
"""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from django.test import override_settings
from django.urls import reverse

from gridgov.core import tasks
from gridgov.core.models import DeferredTask, Job, JobStatus

from .test_celery_redis import REDIS_TEST_URL, _require_redis, _reset_connections

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


@pytest.fixture
def celery_app_at(_eager_celery):
    """Point the project's Celery app at a broker (not eager) for one test, restored afterwards."""
    app = _eager_celery
    keys = ("broker_url", "task_always_eager", "broker_connection_retry_on_startup", "task_default_queue")
    saved = {key: app.conf.get(key) for key in keys}

    def point(url: str) -> str:
        queue = f"gridgov-test-{uuid.uuid4().hex}"
        app.conf.update(
            broker_url=url,
            task_always_eager=False,
            broker_connection_retry_on_startup=False,
            task_default_queue=queue,
        )
        _reset_connections(app)
        _forget_queues(app)
        return queue

    yield point
    app.conf.update(saved)
    _reset_connections(app)
    _forget_queues(app)


def _forget_queues(app) -> None:
    """Celery caches the queues and the router on first publish; a later test that sets its own default
    queue (test_celery_redis) must not publish to this test's."""
    for name in ("queues", "default_queue", "router"):
        app.amqp.__dict__.pop(name, None)


@override_settings(GRIDGOV_SYNC_EXPORT_LIMIT=0)
def test_export_asked_for_while_the_broker_is_down_is_kept_not_lost(
    city, client_for, celery_app_at, django_capture_on_commit_callbacks
):
    celery_app_at(CLOSED_PORT_URL)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("community_secretary").get(reverse("people:export"))
    assert response.status_code == 302  # to the job's progress page, not a 500
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.status == JobStatus.QUEUED
    kept = DeferredTask.objects.get()
    assert kept.task == "people.export_residents"
    assert kept.args == [job.pk]
    assert "Error" in kept.error or "refused" in kept.error.lower()

    # still down: flushing keeps it and counts the attempt
    assert tasks.flush_deferred() == 0
    assert DeferredTask.objects.get().attempts == 2


@pytest.mark.redis
def test_kept_tasks_are_sent_in_order_when_the_broker_is_back(db, celery_app_at):
    _require_redis()
    celery_app_at(CLOSED_PORT_URL)
    from gridgov.people.tasks import export_households, export_residents

    tasks.enqueue(export_residents, 101)
    tasks.enqueue(export_households, 102)
    assert list(DeferredTask.objects.values_list("task", "args")) == [
        ("people.export_residents", [101]),
        ("people.export_households", [102]),
    ]
    queue = celery_app_at(REDIS_TEST_URL)
    broker = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        assert tasks.flush_deferred() == 2
        assert not DeferredTask.objects.exists()
        assert broker.llen(queue) == 2  # both messages are on the queue, for a worker to take
    finally:
        broker.delete(queue)


def test_a_write_rolled_back_sends_nothing(db, celery_app_at, django_capture_on_commit_callbacks):
    celery_app_at(CLOSED_PORT_URL)
    from django.db import transaction

    from gridgov.people.tasks import export_residents

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        tasks.enqueue_on_commit(export_residents, 1)
        raise RuntimeError("the write failed")
    assert not DeferredTask.objects.exists()


# --- /healthz -----------------------------------------------------------------------------------------
def test_healthz_answers_without_a_login_and_names_each_part(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert {"database", "redis", "queue"} <= set(body)
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.post(reverse("healthz")).status_code == 405


@override_settings(REDIS_URL=CLOSED_PORT_URL)
def test_healthz_is_503_and_says_what_is_down(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"]["ok"] is True
    assert body["redis"] == {"ok": False, "error": "ConnectionError", "ms": body["redis"]["ms"]}
    assert body["queue"]["ok"] is False


@pytest.mark.redis
def test_healthz_reports_the_queue_length(client, db):
    _require_redis()
    with override_settings(REDIS_URL=REDIS_TEST_URL):
        body = client.get(reverse("healthz")).json()
    assert body["redis"]["ok"] is True and body["redis"]["configured"] is True
    assert isinstance(body["queue"]["length"], int)
    assert body["queue"]["deferred"] == 0


def test_healthcheck_command_exits_1_when_a_part_is_down(db):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("healthcheck", stdout=out)
    assert '"database"' in out.getvalue()
    with override_settings(REDIS_URL=CLOSED_PORT_URL), pytest.raises(CommandError, match="redis"):
        call_command("healthcheck", stdout=StringIO())


@pytest.mark.parametrize(("path", "is_api"), [("/people/import/", False), ("/api/residents/", True)])
def test_a_database_gone_mid_request_is_a_503_not_a_500(rf, db, path, is_api):
    """core.middleware.DatabaseUnavailableMiddleware (the PostgreSQL session ended for real:
    tests/core/test_db_dropped.py)."""
    from django.db import OperationalError

    from gridgov.core.middleware import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = rf.post(path)
    response = middleware.process_exception(request, OperationalError("server closed the connection"))
    assert response is not None and response.status_code == 503 and response["Retry-After"] == "5"
    body = json.loads(response.content)["detail"] if is_api else response.content.decode()
    assert "数据库连接中断" in body
    assert middleware.process_exception(request, ValueError("not ours")) is None


class _Killed(BaseException):
    """What a SIGKILL looks like to the code it stops: no `except Exception` runs, nothing is cleaned up."""


# openpyxl's row writer, stopped by the simulated kill, complains when it is collected: expected here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_export_whose_worker_died_runs_again_and_says_so(city, users, client_for, monkeypatch):
    """The worker dies in the middle of an export; Redis hands the task out again (reject on worker lost,
    visibility timeout: settings); the second run starts the bar from 0 and says it is a second attempt,
    and a late duplicate delivery after the end writes no second file and no second audit row."""
    from gridgov.core.models import AuditEvent
    from gridgov.people import tasks

    job = Job.objects.create(
        kind="people.export_residents", owner=users["city_admin"], params={"filters": {}}
    )
    real_rows = tasks.export_rows
    monkeypatch.setattr(tasks, "PROGRESS_EVERY", 2)

    def dying(qs, **kwargs):
        for n, row in enumerate(real_rows(qs, **kwargs), start=1):
            if n == 5:
                raise _Killed
            yield row

    monkeypatch.setattr(tasks, "export_rows", dying)
    with pytest.raises(_Killed):
        tasks.export_residents(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (JobStatus.RUNNING, 4, 1)  # what the dead worker left

    seen_at_start = []

    def watched(qs, **kwargs):
        fresh = Job.objects.get(pk=job.pk)
        seen_at_start.append((fresh.attempts, fresh.done, fresh.status))
        yield from real_rows(qs, **kwargs)

    monkeypatch.setattr(tasks, "export_rows", watched)
    total = tasks.export_residents(job.pk)  # the task delivered again
    assert seen_at_start == [(2, 0, JobStatus.RUNNING)]  # the bar starts again from 0, not from 4
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.DONE, total, total, 2) and total > 4
    page = client_for("city_admin").get(reverse("web:job", args=[job.pk])).content.decode()
    assert "上次执行中断,已自动重新开始(第 2 次)" in page
    file_name = job.result_file.name
    assert tasks.export_residents(job.pk) == total  # delivered once more after it finished: nothing is redone
    job.refresh_from_db()
    assert job.attempts == 2 and job.result_file.name == file_name
    assert AuditEvent.objects.filter(action="people.export", object_id=str(job.pk)).count() == 1


def test_a_died_worker_gives_its_task_back():
    """The two settings that make a task run again when its worker dies."""
    from django.conf import settings as live

    assert live.CELERY_TASK_ACKS_LATE and live.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert live.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > 0
