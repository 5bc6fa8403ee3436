"""The batch path of staff points (`award_staff_points_bulk`, used by the month close and so by the generator)
writes the same ledger, balances, awards and audit rows as `award_staff_points` called once per request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Account, Entry, StaffAward, Transaction

from .conftest import SYSTEM
from .test_staff import make_staff

MONTH = dt.date(2025, 3, 1)


class Rollback(Exception):
    pass


def _requests(funded, a, b):
    grid_a, grid_b = funded.grid_a, funded.grid_b
    R = services.AwardRequest
    return [
        R(a.pk, 16, "work_result", "网格月度评分 A", "gridscore:a:a", grid=grid_a, on=MONTH),
        R(b.pk, 6, "work_result", "网格月度评分 A 挂包", "gridscore:a:b", grid=grid_a, on=MONTH),
        R(b.pk, 1, "work_result", "网格月度评分 B 挂包", "gridscore:b:b", grid=grid_b, on=MONTH),
        # a penalty larger than what the batch has paid b so far: bounded by that balance (7), not by 0
        R(b.pk, -9, "penalty", "网格月度评分 B", "gridscore:b:b-", grid=grid_b, on=MONTH),
        # a penalty within the balance: taken in full
        R(a.pk, -2, "penalty", "超期", "events.event:9:escalated:1", on=MONTH),
        R(a.pk, 16, "work_result", "网格月度评分 A", "gridscore:a:a"),  # repeated in the batch: the first
        R(a.pk, 5, "emergency", "防汛", "events.case:1", on=MONTH),  # posted before the batch: a replay
        R(a.pk, 3, "emergency", "无网格", "events.case:2", on=MONTH),  # no grid given: the current one
    ]


def _state(before_audit: int):
    # accounts by owner, not id: an account made in a rolled-back run keeps its sequence value on PostgreSQL
    owner = {
        a.pk: (a.owner_kind, a.owner_id)
        for a in Account.objects.unscoped("test").only("id", "owner_kind", "owner_id")
    }
    entries = sorted(
        (
            e.transaction.idempotency_key,
            owner[e.account_id],
            e.amount,
            e.expires_on,
            e.area_path,
            e.transaction.kind,
        )
        for e in Entry.objects.unscoped("test").select_related("transaction")
    )
    txs = sorted(
        (t.idempotency_key, t.payload_hash, t.kind, t.memo, t.area_path)
        for t in Transaction.objects.unscoped("test")
    )
    awards = sorted(
        (
            a.source,
            a.staff_id,
            a.grid_id,
            a.category,
            a.points,
            a.ledger_points,
            a.reason,
            a.month,
            a.area_path,
            a.transaction.idempotency_key if a.transaction else None,
        )
        for a in StaffAward.objects.unscoped("test").select_related("transaction")
    )
    balances = sorted((owner[a.pk], a.balance) for a in Account.objects.unscoped("test"))
    audits = sorted(
        (e.action, e.object_repr, e.area_path, e.actor_label, tuple(sorted((e.after or {}).items(), key=str)))
        for e in AuditEvent.objects.filter(pk__gt=before_audit)
    )
    return entries, txs, awards, balances, audits


def _run(funded, a, b, bulk: bool):
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with transaction.atomic():
            requests = _requests(funded, a, b)
            if bulk:
                got = services.award_staff_points_bulk(SYSTEM, requests)
            else:
                got = [
                    services.award_staff_points(
                        SYSTEM,
                        type(a)(pk=r.staff_id),
                        points=r.points,
                        category=r.category,
                        reason=r.reason,
                        source=r.source,
                        grid=r.grid,
                        on=r.on,
                    )
                    for r in requests
                ]
            assert ledger.check_invariants() == []
            result = ([(x.source, x.points, x.ledger_points) for x in got], _state(before))
            raise Rollback
    except Rollback:
        return result


def _ids_free(state):
    """The comparison without row ids the two runs number differently (audit snapshots hold pks and times)."""
    entries, txs, awards, balances, audits = state
    return entries, txs, awards, balances, [row[:4] for row in audits]


@pytest.fixture
def two_staff(funded):
    from gridgov.workforce import services as wf

    a = make_staff(funded.resident_a)
    wf.assign_grid(SYSTEM, a, funded.grid_a, on=dt.date(2020, 1, 1))
    b = make_staff(funded.residents[1], post="committee_member")  # same community as grids A and B
    services.award_staff_points(
        SYSTEM, a, points=5, category="emergency", reason="防汛", source="events.case:1", on=MONTH
    )
    # every account exists before the runs: a payload hash names account ids, and an id taken in a
    # rolled-back run is not given again on PostgreSQL
    services.staff_account(b), services.grid_account(funded.grid_b)
    return funded, a, b


def test_bulk_path_writes_what_the_single_path_writes(two_staff):
    funded, a, b = two_staff
    single = _run(funded, a, b, bulk=False)
    bulk = _run(funded, a, b, bulk=True)
    assert bulk[0] == single[0]
    assert _ids_free(bulk[1]) == _ids_free(single[1])
    by_source = {source: (points, moved) for source, points, moved in single[0]}
    assert by_source["gridscore:b:b-"] == (-9, -7)  # bounded by the 6 + 1 paid earlier in the batch
    assert by_source["events.event:9:escalated:1"] == (-2, -2)


def test_bulk_refuses_a_conflicting_source_and_changes_nothing(two_staff):
    funded, a, _b = two_staff
    count = StaffAward.objects.unscoped("test").count()
    R = services.AwardRequest
    with pytest.raises(ServiceError, match="来源"):
        services.award_staff_points_bulk(
            SYSTEM,
            [
                R(a.pk, 4, "work_result", "x", "gridscore:x", grid=funded.grid_a, on=MONTH),
                R(a.pk, 3, "emergency", "防汛", "events.case:1", on=MONTH),  # taken with 5 points
            ],
        )
    assert StaffAward.objects.unscoped("test").count() == count
    assert ledger.check_invariants() == []
