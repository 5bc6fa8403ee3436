"""One real Celery round trip: a worker thread consuming from a real Redis broker runs the export task.

Skipped when Redis is not reachable, except in CI (CI is set), where that is a failure.
"""

from __future__ import annotations

import os
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from celery.signals import task_postrun
from django.db import connections
from kombu import pools as kombu_pools

from gridgov.accounts.roles import Role
from gridgov.core.models import Job, JobStatus

from ..factories import AreaFactory, HouseholdFactory, ResidentFactory, UserFactory, make_chain
from ..helpers import read_xlsx

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"

pytestmark = pytest.mark.redis


def _require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {REDIS_TEST_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def redis_celery_app(_eager_celery):
    """The project's Celery app pointed at Redis database 15, not eager, restored afterwards."""
    _require_redis()
    app = _eager_celery
    keys = (
        "broker_url",
        "result_backend",
        "task_always_eager",
        "broker_connection_retry_on_startup",
        "task_default_queue",
    )
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(
        broker_url=REDIS_TEST_URL,
        result_backend=REDIS_TEST_URL,
        task_always_eager=False,
        broker_connection_retry_on_startup=False,
        # A queue of this run's own: test runs sharing the Redis server never take each other's tasks.
        task_default_queue=f"gridgov-test-{uuid.uuid4().hex}",
    )
    _reset_connections(app)
    try:
        yield app
    finally:
        app.conf.update(saved)
        _reset_connections(app)


def _reset_connections(app) -> None:
    """Drop the broker pool and result backend built for the previous configuration."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps one pool per connection URL for the whole process and `app.pool` takes it from there:
    # forget the pools just closed, or every later `.delay()` (eager ones too, which still borrow a
    # producer) would get "Acquire on closed pool".
    kombu_pools.connections.clear()
    kombu_pools.producers.clear()
    app._local.__dict__.pop("backend", None)


def _close_worker_db_connections(**kwargs):
    # The worker thread opened its own database connection; close it so the test database can be flushed.
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_export_task_runs_on_a_real_worker(redis_celery_app, tags):
    from gridgov.people.tasks import export_residents

    chain = make_chain(AreaFactory(name="红枫市"))
    household = HouseholdFactory(unit=chain[-1])
    residents = [ResidentFactory(household=household, tags=["party_member"]) for _ in range(3)]
    owner = UserFactory(role=Role.COMMUNITY_SECRETARY, area=chain[3])
    job = Job.objects.create(
        kind="people.export_residents", owner=owner, params={"filters": {}, "unmasked": True}
    )

    task_postrun.connect(_close_worker_db_connections, weak=False)
    try:
        with start_worker(redis_celery_app, perform_ping_check=False, shutdown_timeout=30):
            result = export_residents.delay(job.pk)
            assert not isinstance(result, EagerResult)  # it really went through the broker
            assert type(result.backend).__name__ == "RedisBackend"
            assert result.get(timeout=60) == 3
    finally:
        task_postrun.disconnect(_close_worker_db_connections)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.total == job.done == 3
    assert job.result_file
    assert os.path.exists(job.result_file.path)
    rows = read_xlsx(job.result_file.read())
    assert sorted(r["身份证号"] for r in rows) == sorted(r.reveal_id_number() for r in residents)
