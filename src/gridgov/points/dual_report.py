"""Resident points for 双报到 services (in-service party members serving where they live).

Subscribed to `gridgov.party.hooks.on_dual_service_recorded` from PointsConfig.ready(): party records the
service and knows nothing of points. Each record earns, from the community's earning pool, what the
earning rule for 党员报到服务 (`ActivityKind.PARTY_DUTY`) gives the member's earning role where they live
(`earning.earn_role`, `earning.rule_for`): points per service plus points per hour (by the minute, as `earning.points_for`), at most the rule's
daily cap. The posting's key is the record (`party.dualservice:<id>`), so a second delivery posts once;
`award_missing` posts what a failed delivery (an empty pool) left owed, and can be run again safely.
"""

from __future__ import annotations

import logging

from django.db import transaction

from gridgov.core import audit, context
from gridgov.core.actors import SystemActor
from gridgov.party.models import DualReportService
from gridgov.people.models import Resident

from . import ledger
from .ledger import Leg
from .models import ActivityKind, Transaction, TxKind
from .services.accounts import earning_pool, resident_account
from .services.earning import earn_role, rule_for

log = logging.getLogger(__name__)
ACTOR = SystemActor("points.dual_report")


def source_key(record_id: int) -> str:
    return f"party.dualservice:{record_id}"


def points_for_service(record: DualReportService, resident: Resident) -> int:
    role = earn_role(resident, ActivityKind.PARTY_DUTY)
    rule = rule_for(resident.area_path, role, ActivityKind.PARTY_DUTY)
    if rule is None:
        return 0
    raw = rule.points_per_event + rule.points_per_hour * int(record.hours * 60) // 60
    return min(raw, rule.daily_cap) if rule.daily_cap is not None else raw


@transaction.atomic
def award_dual_service(record_id: int) -> Transaction | None:
    """Post the member's points for one record (None when the rule gives none); idempotent by key."""
    record = (
        DualReportService.objects.unscoped("a recorded service, re-read by id after its commit (no user)")
        .select_related("member")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        return None
    resident = Resident.objects.unscoped("the member of the recorded service earns the points").get(
        pk=record.member.resident_id
    )
    points = points_for_service(record, resident)
    if points <= 0:
        return None
    account = resident_account(resident)
    pool = earning_pool(record.area_path)
    ledger.lock_accounts([account, pool], also=[account])
    tx, replayed = ledger.post(
        key=source_key(record.pk),
        kind=TxKind.EARN,
        legs=[Leg(pool, -points), Leg(account, points, ledger.expiry_for(record.served_on))],
        area_path=resident.area_path,
        memo=f"双报到服务 {record.served_on} {record.get_category_display()}"[:200],
        actor=ACTOR,
    )
    if not replayed:
        audit.record(ACTOR, "points.dual_service_award", tx, after={"record": record.pk, "points": points})
    return tx


def on_recorded(record_id: int) -> None:
    with context.acting("task", label="party→points"):
        award_dual_service(record_id)


def award_missing(records=None) -> int:
    """Award every record (or the given ones) that has no posting yet; returns how many were posted."""
    qs = records
    if qs is None:
        qs = DualReportService.objects.unscoped("the catch-up run looks at every recorded service")
    ids = list(qs.values_list("pk", flat=True))
    done = set(
        Transaction.objects.unscoped("which services already have a posting (keys are global)")
        .filter(idempotency_key__in=[source_key(i) for i in ids])
        .values_list("idempotency_key", flat=True)
    )
    posted = 0
    for record_id in ids:
        if source_key(record_id) in done:
            continue
        try:
            with context.acting("task", label="party→points"):
                posted += award_dual_service(record_id) is not None
        except Exception:
            log.exception("dual-service award for record %s failed", record_id)
    return posted
