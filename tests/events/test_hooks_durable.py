"""Durable cross-app hooks: queued on commit, retried, idempotent, reconciled.

A hook that raises never fails the request that made the transition (page and API, with real commits);
a failing hook is retried a bounded number of times; running the task again posts the staff award
once; a hook run late sees the event as its transition left it; the reconciler posts a missing award
exactly once, through the same code path, and leaves everything else alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from gridgov.events import hooks
from gridgov.events import services as events
from gridgov.events.models import Event, EventTransition, State
from gridgov.events.tasks import HOOK_EAGER_RETRIES, reconcile_hooks, run_hook
from gridgov.points import ledger
from gridgov.points import services as points
from gridgov.points.hooks import award_grid_worker_for_closed_event, unawarded_closed_events
from gridgov.points.models import StaffAward

from ..points.test_staff import make_staff
from .conftest import NOW, SYSTEM, report, to_state

_keys = itertools.count()


@contextlib.contextmanager
def hooked(kind, func):
    hooks.add(kind, func)
    try:
        yield func
    finally:
        hooks.remove(kind, func)


def _fund(city):
    for community in city.communities:
        points.fund_pool(SYSTEM, community, 100_000, key=f"hooks-fund-{next(_keys)}")


def _worker_on_grid_a(city, since: dt.date | None = None):
    from gridgov.workforce import services as wf

    staff = make_staff(city.resident_a)
    wf.assign_grid(SYSTEM, staff, city.grid_a, on=since, reason="测试")
    return staff


def _awards(event):
    return StaffAward.objects.unscoped("test").filter(source=f"events.event:{event.pk}:closed")


# --- a failing hook never fails the request -----------------------------------------------------------


@pytest.fixture
def categories(db):
    """A transactional test may follow another that flushed the data migration's categories."""
    from gridgov.events.models import Category
    from gridgov.events.reference import ensure_default_categories

    ensure_default_categories(Category)


class Attempts:
    """A hook that raises on its first `failures` calls (all of them by default) and counts its calls."""

    def __init__(self, name: str, failures: int = 10**6):
        self.__qualname__ = f"Attempts.{name}"  # the name the task finds it by
        self.failures = failures
        self.calls: list[tuple[str, object]] = []

    def __call__(self, event, handler):
        self.calls.append((event.state, handler))
        if len(self.calls) <= self.failures:
            raise RuntimeError("points service is down")


@pytest.mark.django_db(transaction=True)
def test_a_raising_hook_does_not_fail_the_close_page(categories, city, users, loop, client_for, caplog):
    """Real commits: on_commit runs inside the request, as in production (it used to answer 500)."""
    event = to_state(users, city, loop, "verified")
    failing = Attempts("failing")
    with hooked("closed", failing), caplog.at_level(logging.WARNING, logger="gridgov.events"):
        response = client_for("community_worker").post(reverse("events:act", args=[event.pk, "close"]))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == State.CLOSED
    assert len(failing.calls) == HOOK_EAGER_RETRIES + 1  # retried, bounded
    assert "left to the reconciler" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_raising_hook_does_not_fail_the_close_api(categories, city, users, loop, api_for):
    event = to_state(users, city, loop, "verified")
    failing = Attempts("failing")
    with hooked("closed", failing):
        response = api_for("community_worker").post(
            reverse("event-close", args=[event.pk]), {}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.CLOSED
    assert Event.objects.unscoped("test").get(pk=event.pk).state == State.CLOSED
    assert len(failing.calls) == HOOK_EAGER_RETRIES + 1


def test_a_flaky_hook_is_retried_until_it_succeeds(
    city, users, loop, django_capture_on_commit_callbacks, caplog
):
    event = to_state(users, city, loop, "verified")
    flaky = Attempts("flaky", failures=1)
    with (
        hooked("closed", flaky),
        caplog.at_level(logging.WARNING, logger="gridgov.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        events.close(users["community_worker"], event, now=NOW)
    # the retry sees the same event and handler as the first attempt
    assert flaky.calls == [(State.CLOSED, users["property"])] * 2
    assert "retrying" in caplog.text and "left to the reconciler" not in caplog.text


def test_one_task_per_hook_so_a_failing_hook_does_not_stop_the_others(
    city, users, loop, django_capture_on_commit_callbacks
):
    event = to_state(users, city, loop, "verified")
    failing, healthy = Attempts("failing"), Attempts("healthy", failures=0)
    with (
        hooked("closed", failing),
        hooked("closed", healthy),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        events.close(users["community_worker"], event, now=NOW)
    assert len(callbacks) >= 2  # the points hook is registered too
    assert len(failing.calls) == HOOK_EAGER_RETRIES + 1
    assert len(healthy.calls) == 1


def test_a_rolled_back_transition_enqueues_nothing(city, users, loop, django_capture_on_commit_callbacks):
    event = to_state(users, city, loop, "verified")
    seen = Attempts("seen", failures=0)
    with (
        hooked("closed", seen),
        django_capture_on_commit_callbacks(execute=True),
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        events.close(users["community_worker"], event, now=NOW)
        raise RuntimeError("the caller's transaction fails after the close")
    assert seen.calls == []
    assert Event.objects.unscoped("test").get(pk=event.pk).state == State.VERIFIED


# --- idempotent, and as the transition left it ----------------------------------------------------------


def test_the_task_run_twice_posts_the_award_once(
    city, users, loop, settings, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_POINTS_PER_CLOSED_EVENT = 3
    _fund(city)
    staff = _worker_on_grid_a(city)
    event = to_state(users, city, loop, "verified")
    with django_capture_on_commit_callbacks(execute=True):
        events.close(users["community_worker"], event, now=NOW)
    name = hooks.hook_name(award_grid_worker_for_closed_event)
    run_hook.apply(args=("closed", name, event.pk, users["property"].pk))  # a redelivered message
    run_hook.apply(args=("closed", name, event.pk, users["property"].pk))
    [award] = _awards(event)
    assert award.staff_id == staff.pk and award.points == 3
    assert points.staff_account(staff).balance == 3
    assert ledger.check_invariants() == []


def test_a_late_hook_sees_the_event_as_its_transition_left_it(
    city, users, settings, django_capture_on_commit_callbacks
):
    """Two escalations, the first one's task delivered after the second: each is penalised under its own
    trail row (re-reading the event alone would have keyed both on the second)."""
    from gridgov.events.models import Category

    settings.GRIDGOV_POINTS_PER_ESCALATION = 2
    staff = _worker_on_grid_a(city)
    event = events.report_event(
        users["resident"],
        category=Category.objects.get(code="property.repair"),
        title="楼道灯坏了",
        area=city.unit_a,
        now=NOW,
    )
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=3)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=5)) == 1
    for callback in first:
        callback()
    trail = EventTransition.objects.filter(event=event, action="escalate").order_by("created_at")
    sources = set(
        StaffAward.objects.unscoped("test")
        .filter(staff=staff, category="penalty")
        .values_list("source", flat=True)
    )
    assert sources == {f"events.event:{event.pk}:escalated:{row.pk}" for row in trail}
    assert len(sources) == 2


def test_an_unknown_hook_or_a_deleted_event_is_skipped(city, users, loop, caplog):
    event = report(users, city, loop)
    assert run_hook.apply(args=("closed", "gone.module.hook", event.pk)).get() is False
    assert (
        run_hook.apply(args=("closed", hooks.hook_name(award_grid_worker_for_closed_event), 0)).get() is False
    )
    assert "not registered" in caplog.text


# --- the reconciler -------------------------------------------------------------------------------------


def _closed_with_an_empty_pool(users, city, loop, when, django_capture_on_commit_callbacks):
    """A work order closed while the community's pool was empty: the hook logged it and posted nothing."""
    event = to_state(users, city, loop, "verified", now=when)
    with django_capture_on_commit_callbacks(execute=True):
        events.close(users["community_worker"], event, now=when)
    assert not _awards(event).exists()
    return event


def _reconcile(*args) -> str:
    out = io.StringIO()
    call_command("reconcile_event_hooks", *args, stdout=out)
    return out.getvalue()


def test_the_pending_check_is_registered_with_the_award():
    [reg] = [r for r in hooks._REGISTRY["closed"] if r.func is award_grid_worker_for_closed_event]
    assert reg.pending is unawarded_closed_events


def test_the_reconciler_posts_a_missing_award_once(
    city, users, loop, settings, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_POINTS_PER_CLOSED_EVENT = 3
    staff = _worker_on_grid_a(city, since=timezone.localdate() - dt.timedelta(days=30))
    event = _closed_with_an_empty_pool(users, city, loop, timezone.now(), django_capture_on_commit_callbacks)
    listed = _reconcile("--dry-run")
    assert event.number in listed and "发现 1 项" in listed
    assert not _awards(event).exists()  # a dry run posts nothing
    _fund(city)

    output = _reconcile()
    assert "已补发" in output and event.number in output and "补发 1 项" in output
    [award] = _awards(event)
    assert (award.staff_id, award.points, award.category) == (staff.pk, 3, "work_result")
    assert points.staff_account(staff).balance == 3

    again = _reconcile()
    assert "发现 0 项" in again
    assert _awards(event).count() == 1
    assert points.staff_account(staff).balance == 3
    assert ledger.check_invariants() == []


def test_the_reconciler_reports_what_it_could_not_post(
    city, users, loop, settings, django_capture_on_commit_callbacks
):
    _worker_on_grid_a(city, since=timezone.localdate() - dt.timedelta(days=30))
    event = _closed_with_an_empty_pool(users, city, loop, timezone.now(), django_capture_on_commit_callbacks)
    output = _reconcile()  # the pool is still empty
    assert "仍未完成" in output and event.number in output and "补发 0 项" in output
    assert not _awards(event).exists()


def test_the_reconciler_keeps_to_its_window(city, users, loop, settings, django_capture_on_commit_callbacks):
    staff = _worker_on_grid_a(city, since=timezone.localdate() - dt.timedelta(days=30))
    old = _closed_with_an_empty_pool(
        users, city, loop, timezone.now() - dt.timedelta(days=10), django_capture_on_commit_callbacks
    )
    _fund(city)
    assert "发现 0 项" in _reconcile("--days", "7")
    assert not _awards(old).exists()
    assert "补发 1 项" in _reconcile("--days", "14")
    assert _awards(old).get().staff_id == staff.pk


def test_the_reconciler_does_not_pay_a_worker_who_came_after_the_close(
    city, users, loop, settings, django_capture_on_commit_callbacks
):
    """The hook pays the grid's worker of the day of the close; one assigned since is not owed it."""
    _worker_on_grid_a(city)  # from today
    event = _closed_with_an_empty_pool(
        users, city, loop, timezone.now() - dt.timedelta(days=2), django_capture_on_commit_callbacks
    )
    _fund(city)
    assert "发现 0 项" in _reconcile()
    assert not _awards(event).exists()


def test_the_nightly_task_runs_the_reconciler(
    city, users, loop, settings, django_capture_on_commit_callbacks
):
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["events.reconcile_hooks"]
    assert entry["task"] == reconcile_hooks.name
    _worker_on_grid_a(city, since=timezone.localdate() - dt.timedelta(days=30))
    event = _closed_with_an_empty_pool(users, city, loop, timezone.now(), django_capture_on_commit_callbacks)
    _fund(city)
    assert reconcile_hooks.delay(**entry["kwargs"]).get() == {"found": 1, "fixed": 1}
    assert reconcile_hooks.delay(**entry["kwargs"]).get() == {"found": 0, "fixed": 0}
    assert _awards(event).count() == 1


@pytest.mark.parametrize("days", ["0", "-3", "100000"])
def test_the_command_refuses_a_window_out_of_range(days):
    with pytest.raises(CommandError, match="--days"):
        _reconcile("--days", days)


def test_two_hooks_of_one_name_are_refused():
    first, second = Attempts("twin", failures=0), Attempts("twin", failures=0)
    with hooked("closed", first), pytest.raises(ValueError, match="already registered"):
        hooks.add("closed", second)
    assert second not in hooks.registered("closed")
