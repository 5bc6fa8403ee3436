"""The state machine: every legal transition by the right person, every illegal one refused with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.events import hooks, machine, services, sla
from gridgov.events.models import OPEN_STATES, Event, EventTransition, State

from ..base import state_of
from .conftest import NOW, report, to_state

pytestmark = pytest.mark.django_db

ALL_ACTIONS = {
    "accept": lambda u, e, loop: services.accept(u, e, now=NOW),
    "reject": lambda u, e, loop: services.reject(u, e, note="不属实", now=NOW),
    "dispatch": lambda u, e, loop: services.dispatch(
        u, e, assignee_kind="property", assignee_id=loop["company"].pk, now=NOW
    ),
    "start": lambda u, e, loop: services.start(u, e, now=NOW),
    "return": lambda u, e, loop: services.return_event(u, e, note="不属于本企业", now=NOW),
    "finish": lambda u, e, loop: services.finish(u, e, result="已处理", now=NOW),
    "verify": lambda u, e, loop: services.verify(u, e, now=NOW),
    "reopen": lambda u, e, loop: services.reopen(u, e, note="未修好", now=NOW),
    "close": lambda u, e, loop: services.close(u, e, now=NOW),
    "rate": lambda u, e, loop: services.rate(u, e, rating=4, now=NOW),
    "escalate": lambda u, e, loop: services.escalate(u, e, note="督办", now=NOW),
}
WHO = {machine.DISPATCHER: "community_worker", machine.ASSIGNEE: "property", machine.REPORTER: "resident"}
REACHABLE = ["reported", "accepted", "dispatched", "handling", "handled", "verified", "closed", "rated"]


def test_the_table_covers_every_action_with_a_service():
    assert set(machine.ACTIONS) <= set(ALL_ACTIONS) | {"merge"}


@pytest.mark.parametrize(
    ("state", "action"), [k for k in machine.TRANSITIONS if k[0] in REACHABLE and k[1] != "merge"]
)
def test_every_legal_transition(city, users, loop, state, action):
    event = to_state(users, city, loop, state)
    new_state, who = machine.TRANSITIONS[(state, action)]
    actor = users[WHO[sorted(w for w in who if w in WHO)[0]]]
    trail = EventTransition.objects.filter(event=event).count()
    result = ALL_ACTIONS[action](actor, event, loop)
    assert result.state == (new_state or state)
    assert EventTransition.objects.filter(event=event).count() == trail + 1
    assert AuditEvent.objects.filter(action=f"events.{action}", object_id=str(event.pk)).exists()


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s in REACHABLE for a in sorted(ALL_ACTIONS) if (s, a) not in machine.TRANSITIONS],
)
def test_every_illegal_transition_is_refused_and_changes_nothing(city, users, loop, state, action):
    event = to_state(users, city, loop, state)
    before, audit_rows = state_of(event), AuditEvent.objects.count()
    for role in ("community_worker", "property", "resident"):
        with pytest.raises(ServiceError):
            ALL_ACTIONS[action](users[role], event, loop)
    assert state_of(event) == before
    assert AuditEvent.objects.count() == audit_rows


@pytest.mark.parametrize(
    ("state", "action", "wrong"),
    [
        ("reported", "accept", "property"),
        ("reported", "accept", "grid_worker"),
        ("dispatched", "start", "community_worker"),
        ("dispatched", "start", "grid_worker"),
        ("handled", "verify", "property"),
        ("verified", "close", "resident"),
        ("closed", "rate", "community_worker"),
    ],
)
def test_the_wrong_person_is_refused(city, users, loop, state, action, wrong):
    event = to_state(users, city, loop, state)
    before = state_of(event)
    with pytest.raises((ServiceError, OutOfScope)):
        ALL_ACTIONS[action](users[wrong], event, loop)
    assert state_of(event) == before


def test_double_submission_says_so(city, users, loop):
    event = to_state(users, city, loop, "accepted")
    with pytest.raises(ServiceError, match="重复提交"):
        services.accept(users["community_worker"], event, now=NOW)


def test_closing_an_unverified_event_is_refused(city, users, loop):
    event = to_state(users, city, loop, "handled")
    with pytest.raises(ServiceError, match="不能“结案”"):
        services.close(users["community_worker"], event, now=NOW)


def test_rating_someone_elses_event(city, users, loop):
    event = to_state(users, city, loop, "closed")
    other = services.report_event(
        users["grid_worker"], category=loop["category"], title="x", area=city.grid_a, now=NOW
    )
    assert other.reporter == users["grid_worker"]
    with pytest.raises(ServiceError):
        services.rate(users["street"], event, rating=5, now=NOW)
    with pytest.raises(ServiceError):
        services.rate(users["resident"], event, rating=9, now=NOW)
    assert Event.objects.unscoped("t").get(pk=event.pk).rating is None


def test_dispatching_out_of_scope_is_refused(city, users, loop):
    event = to_state(users, city, loop, "accepted")
    before = state_of(event)
    with pytest.raises(ServiceError, match="管辖范围"):
        services.dispatch(
            users["community_worker"], event, assignee_kind="community", assignee_area=city.communities[2]
        )
    with pytest.raises(ServiceError, match="管辖范围"):
        services.dispatch(
            users["community_worker"], event, assignee_kind="property", assignee_id=loop["other_company"].pk
        )
    assert state_of(event) == before


def test_out_of_scope_event_is_not_found(city, users, loop):
    event = report(users, city, loop)
    with pytest.raises(OutOfScope):
        services.accept(
            users["community_worker"].__class__.objects.get(username="grid_worker_b"), event, now=NOW
        )


def test_grid_dispatch_is_handled_by_the_grid_worker_and_merge(city, users, loop):
    event = to_state(users, city, loop, "accepted")
    event = services.dispatch(
        users["community_worker"], event, assignee_kind="grid", assignee_area=city.grid_a, now=NOW
    )
    assert services.allowed_actions(users["grid_worker"], event) == ["start", "return"]
    assert services.allowed_actions(users["property"], event) == []
    event = services.start(users["grid_worker"], event, now=NOW)
    assert event.handler == users["grid_worker"]
    first = report(users, city, loop)
    dup = report(users, city, loop)
    assert first in services.duplicate_candidates(loop["category"], city.unit_a, now=NOW)
    merged = services.merge(users["community_worker"], dup, into=first, now=NOW)
    assert merged.state == State.MERGED and merged.duplicate_of == first


def test_visibility_residents_and_companies(city, users, loop):
    mine = report(users, city, loop)
    staff = report(users, city, loop, who="community_worker", area=city.grid_b)
    assert set(Event.objects.visible_to(users["resident"])) == {mine}
    # the property user (bound to building A) sees grid B's event once it is dispatched to its company
    assert staff not in Event.objects.visible_to(users["property"])
    services.accept(users["community_worker"], staff, now=NOW)
    services.dispatch(
        users["community_worker"], staff, assignee_kind="property", assignee_id=loop["company"].pk, now=NOW
    )
    assert staff in Event.objects.visible_to(users["property"])


def test_hooks_fire_on_commit_with_the_handler(city, users, loop, django_capture_on_commit_callbacks):
    seen = []

    def listener(event, handler):
        seen.append((event.state, handler))

    hooks.add("closed", listener)
    try:
        event = to_state(users, city, loop, "verified")
        with django_capture_on_commit_callbacks(execute=True):
            services.close(users["community_worker"], event, now=NOW)
    finally:
        hooks.remove("closed", listener)
    assert seen == [(State.CLOSED, users["property"])]


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_attachments_checked_by_magic_bytes(city, users, loop, settings):
    event = report(users, city, loop)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    attachment = services.add_attachment(users["resident"], event, _upload("a.png", png))
    assert attachment.content_type == "image/png"
    before = event.attachments.count()
    with pytest.raises(ServiceError, match="JPG"):
        services.add_attachment(users["resident"], event, _upload("a.png", b"GIF89a....."))
    with pytest.raises(ServiceError, match="扩展名"):
        services.add_attachment(users["resident"], event, _upload("a.pdf", png))
    settings.GRIDGOV_EVENT_ATTACHMENT_MAX_BYTES = 50
    with pytest.raises(ServiceError, match="不能超过"):
        services.add_attachment(users["resident"], event, _upload("a.png", png))
    assert event.attachments.count() == before


# --- SLA ---------------------------------------------------------------------------------------------
def test_working_hours():
    friday_5pm = NOW + dt.timedelta(days=2, hours=7)  # Fri 17:00
    assert sla.add_working_hours(friday_5pm, 2).strftime("%a %H:%M") == "Mon 10:00"
    assert sla.working_hours_between(friday_5pm, sla.add_working_hours(friday_5pm, 2)) == pytest.approx(2)
    assert sla.add_working_hours(NOW, 9).strftime("%a %H:%M") == "Thu 10:00"


def test_escalation_with_a_frozen_clock(city, users, loop):
    event = report(users, city, loop)  # accept within 2 working hours: due 12:00
    assert services.escalate_overdue(now=NOW + dt.timedelta(hours=1)) == 0
    assert services.escalate_overdue(now=NOW + dt.timedelta(hours=3)) == 1
    event.refresh_from_db()
    assert event.overdue and event.escalation_level == 1
    assert services.escalate_overdue(now=NOW + dt.timedelta(hours=3, minutes=10)) == 0  # no double escalation
    assert services.escalate_overdue(now=NOW + dt.timedelta(hours=5)) == 1  # another SLA period late
    event.refresh_from_db()
    assert event.escalation_level == 2
    assert EventTransition.objects.filter(event=event, action="escalate").count() == 2
    assert (
        AuditEvent.objects.filter(action="events.escalate", object_id=str(event.pk), actor=None).count() == 2
    )
    # accepted and dispatched: the finish clock (16 working hours) starts at dispatch
    services.accept(users["community_worker"], event, now=NOW + dt.timedelta(hours=5))
    event = services.dispatch(
        users["community_worker"],
        event,
        assignee_kind="property",
        assignee_id=loop["company"].pk,
        now=NOW + dt.timedelta(hours=5),
    )
    assert event.overdue is False
    assert services.escalate_overdue(now=NOW + dt.timedelta(days=1)) == 0
    assert services.escalate_overdue(now=NOW + dt.timedelta(days=3)) == 1


def test_escalate_task_runs(city, users, loop):
    from gridgov.events.tasks import escalate_overdue

    report(users, city, loop, now=NOW - dt.timedelta(days=30))
    assert escalate_overdue.delay().get() >= 1


def test_every_open_state_can_be_escalated():
    assert all((s, "escalate") in machine.TRANSITIONS for s in OPEN_STATES)
