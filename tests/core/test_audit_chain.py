"""The sealed audit chain (core.audit_chain): sealing, what verification detects, the command, the page."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.audit_chain import day_of, seal_audit, verify_audit
from gridgov.core.models import AuditEvent, AuditSeal

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(seconds=10)  # past the grace period


def _events(n: int = 3) -> list[AuditEvent]:
    actor = SystemActor("test.audit_chain")
    with transaction.atomic():
        return [
            audit.record(actor, "test.chain", None, after={"n": i, "b": [1, 2], "a": "值"}) for i in range(n)
        ]


def _seal() -> int:
    return seal_audit(now=timezone.now() + LATER)


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_sealed_events_verify_intact():
    events = _events()
    assert _seal() >= len(events)
    for event in AuditEvent.objects.filter(pk__in=[e.pk for e in events]):
        assert event.chain_hash and len(event.chain_hash) == 64
    seal = AuditSeal.objects.get(day=day_of(events[-1].created_at))
    assert seal.last_event_id == events[-1].pk
    assert seal.count == AuditEvent.objects.filter(chain_hash__isnull=False).count()
    report = verify_audit()
    assert report.intact, report.findings
    assert report.events == seal.count


def test_rows_inserted_by_raw_sql_are_sealed_like_the_rest():
    # As the ledger's database half writes them (points.services.redemption: INSERT INTO core_auditevent).
    _raw(
        "INSERT INTO core_auditevent (created_at, actor_label, action, object_id, object_repr, area_path, "
        "after, source, request_id) VALUES (%s, 'merchant', 'points.redeem', '7', '兑换', '', %s, 'api', '')",
        [timezone.now(), '{"points": 3, "scenario": "理发"}'],
    )
    raw = AuditEvent.objects.get(action="points.redeem", object_id="7")
    _seal()
    assert AuditEvent.objects.get(pk=raw.pk).chain_hash
    assert verify_audit().intact
    _raw("UPDATE core_auditevent SET after = %s WHERE id = %s", ['{"points": 30}', raw.pk])
    assert [f.event_id for f in verify_audit().findings] == [raw.pk]


def test_each_day_has_its_own_chain():
    events = _events(4)
    yesterday = events[0].created_at - dt.timedelta(days=1)
    _raw(
        "UPDATE core_auditevent SET created_at = %s WHERE id IN (%s, %s)",
        [yesterday, events[0].pk, events[1].pk],
    )
    _seal()
    days = set(AuditSeal.objects.values_list("day", flat=True))
    assert {day_of(yesterday), day_of(events[-1].created_at)} <= days
    assert verify_audit().intact


def test_an_edited_payload_is_named():
    events = _events()
    _seal()
    _raw("UPDATE core_auditevent SET after = %s WHERE id = %s", ['{"n": 99}', events[1].pk])
    report = verify_audit()
    assert [(f.kind, f.event_id) for f in report.findings] == [("edited", events[1].pk)]


def test_an_edited_actor_label_is_named():
    events = _events()
    _seal()
    _raw("UPDATE core_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", events[0].pk])
    assert [f.event_id for f in verify_audit().findings] == [events[0].pk]


def test_a_deleted_event_is_detected():
    events = _events()
    _seal()
    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    report = verify_audit()
    assert {(f.kind, f.event_id) for f in report.findings} == {("deleted", events[2].pk), ("deleted", None)}


def test_a_deleted_last_event_is_detected():
    events = _events()
    _seal()
    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    assert {f.kind for f in verify_audit().findings} >= {"deleted", "seal"}


def test_an_event_inserted_below_the_sealed_head_is_detected():
    events = _events()
    gap = events[1].pk
    _raw("DELETE FROM core_auditevent WHERE id = %s", [gap])  # before sealing: an id never committed
    _seal()
    assert verify_audit().intact
    AuditEvent(id=gap, actor_label="x", action="test.forged", source="system").save(force_insert=True)
    assert _seal() == 0  # never sealed over
    report = verify_audit()
    assert [(f.kind, f.event_id) for f in report.findings] == [("inserted", gap)]


def test_a_tampered_seal_is_detected():
    events = _events()
    _seal()
    day = day_of(events[-1].created_at)
    _raw("UPDATE core_auditseal SET head_hash = %s WHERE day = %s", ["0" * 64, day])
    assert [f.kind for f in verify_audit().findings] == ["seal"]
    _raw("UPDATE core_auditseal SET head_hash = %s, count = count + 1 WHERE day = %s", ["0" * 64, day])
    assert {f.kind for f in verify_audit(days=[day]).findings} == {"seal", "deleted"}


def test_a_missing_seal_is_detected():
    events = _events()
    _seal()
    AuditSeal.objects.filter(day=day_of(events[-1].created_at)).delete()
    assert "seal" in {f.kind for f in verify_audit().findings}


def test_sealing_is_idempotent():
    _events()
    _seal()
    hashes = dict(AuditEvent.objects.values_list("id", "chain_hash"))
    seals = list(AuditSeal.objects.values())
    assert _seal() == 0
    assert dict(AuditEvent.objects.values_list("id", "chain_hash")) == hashes
    assert list(AuditSeal.objects.values()) == seals


def test_events_within_the_grace_period_wait_for_the_next_run():
    events = _events()
    now = timezone.now()
    seal_audit(now=now)
    assert AuditEvent.objects.get(pk=events[-1].pk).chain_hash is None
    assert verify_audit().intact  # pending, not a finding
    seal_audit(now=now + LATER)
    assert AuditEvent.objects.get(pk=events[-1].pk).chain_hash is not None
    assert verify_audit().intact


def test_later_events_extend_the_days_chain():
    _events(2)
    _seal()
    later = _events(2)
    _seal()
    seal = AuditSeal.objects.get(day=day_of(later[-1].created_at))
    assert seal.last_event_id == later[-1].pk
    assert verify_audit().intact


def test_the_beat_entry_runs_the_sealing_task():
    from gridgov.core.tasks import seal_audit as task

    entry = settings.CELERY_BEAT_SCHEDULE["core.seal_audit"]
    assert entry["task"] == task.name == "core.seal_audit"
    assert float(entry["schedule"]) <= 60


def test_the_command_exit_codes(capsys):
    events = _events()
    _seal()
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    call_command("verify_audit", "--day", day_of(events[0].created_at).isoformat())
    with pytest.raises(CommandError):
        call_command("verify_audit", "--day", "2026-13-40")
    _raw("UPDATE core_auditevent SET action = %s WHERE id = %s", ["test.forged", events[0].pk])
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")
    assert failed.value.returncode == 1
    assert str(events[0].pk) in capsys.readouterr().err


def test_the_page_shows_the_chain_to_the_city_admin_only(city, users, client_for):
    events = _events()
    _seal()
    page = client_for("city_admin").get(reverse("web:audit"))
    assert page.status_code == 200
    assert "审计链完整" in page.content.decode()
    _raw("UPDATE core_auditevent SET after = NULL WHERE id = %s", [events[0].pk])
    assert "发现 1 处异常" in client_for("city_admin").get(reverse("web:audit")).content.decode()
    street = client_for("street").get(reverse("web:audit"))
    assert street.status_code == 200
    assert 'data-testid="audit-chain"' not in street.content.decode()
    assert client_for("grid_worker").get(reverse("web:audit")).status_code == 403


# Last in the module: a transactional test flushes the database, the module's shared city with it.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_an_open_transaction_holds_the_sealing_back(transactional_db):
    written, release = threading.Event(), threading.Event()
    held: dict[str, AuditEvent] = {}

    def slow() -> None:
        try:
            with transaction.atomic():
                held["event"] = audit.record(SystemActor("test.slow"), "test.slow", None)
                written.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        assert written.wait(30)
        fast = _events(1)[0]  # committed, with a higher id than the open transaction's event
        assert fast.pk > held["event"].pk
        seal_audit(now=timezone.now() + LATER)
        assert AuditEvent.objects.get(pk=fast.pk).chain_hash is None  # sealing it would make a false gap
    finally:
        release.set()
        thread.join()
    _seal()
    sealed = AuditEvent.objects.filter(pk__in=[fast.pk, held["event"].pk], chain_hash__isnull=False)
    assert sealed.count() == 2
    assert verify_audit().intact
