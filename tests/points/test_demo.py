"""The generator's points step: a year of volunteer services and redemptions, all through the ledger."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gridgov.party.models import DualReportService
from gridgov.people.models import Resident
from gridgov.points import dual_report, ledger, services
from gridgov.points.models import (
    Entry,
    GridScore,
    MerchantKind,
    MonthClose,
    Participation,
    PartStatus,
    PerformancePay,
    Redemption,
    ResidentLink,
    StaffAward,
    Transaction,
)


@pytest.mark.django_db
def test_generated_points_are_backed_by_a_consistent_ledger():
    call_command("generate_city", scale=0.008, seed=5, quiet=True, verbosity=0)
    approved = Participation.objects.unscoped("test").filter(status=PartStatus.APPROVED)
    assert approved.count() >= 200
    assert Redemption.objects.unscoped("test").exists()
    assert ledger.check_invariants() == []
    # The demo resident login is linked to a resident so its phone page has a balance to show.
    assert ResidentLink.objects.filter(user__username="resident").exists()
    assert not StaffAward.objects.unscoped("test").filter(points=0).exists()
    # 双报到: every generated service record of an in-service member earned its points once.
    records = list(DualReportService.objects.unscoped("test").select_related("member"))
    assert records
    keys = {dual_report.source_key(r.pk) for r in records}
    posted = Transaction.objects.unscoped("test").filter(idempotency_key__in=keys)
    assert posted.count() == len(records)
    assert dual_report.award_missing() == 0
    record = records[0]
    resident = Resident.objects.unscoped("test").get(pk=record.member.resident_id)
    entry = Entry.objects.unscoped("test").get(
        transaction__idempotency_key=dual_report.source_key(record.pk), amount__gt=0
    )
    # the demo's rule for party members' service: 5 per service + 12 per hour (by the minute), ≤ 60 a day
    assert entry.amount == min(60, 5 + 12 * int(record.hours * 60) // 60)
    assert entry.account_id == services.resident_account(resident).pk
    # 积分联奖惩: a year of month closes — grid scores, staff points, performance pay — through the services.
    assert MonthClose.objects.unscoped("test").values("month").distinct().count() == 12
    assert GridScore.objects.unscoped("test").exists()
    assert StaffAward.objects.unscoped("test").filter(source__startswith="gridscore:").exists()
    assert PerformancePay.objects.unscoped("test").exists()
    # The property fee settled with the estate's company, the canteen meal with the canteen.
    redeemed = Redemption.objects.unscoped("test")
    assert redeemed.filter(
        scenario__code="property_fee", merchant__payee_ref__startswith="property.company:"
    ).exists()
    assert redeemed.filter(scenario__code="meal_subsidy", merchant__kind=MerchantKind.CANTEEN).exists()
    # The workforce step of the same city (asserted here to reuse this generation): every social-work title
    # has a qualifying certificate issued before the title was taken (the career-ladder rule), and the
    # corps-eligibility check agrees with corps_refusal on the generator's fixed day.
    from gridgov.people.demo import TODAY
    from gridgov.workforce.models import Certificate, PositionRecord, Staff
    from gridgov.workforce.services.ladders import TITLE_CERTIFICATES, corps_refusal, eligible_grid_workers

    titles = PositionRecord.objects.unscoped("test").filter(post__in=list(TITLE_CERTIFICATES))
    assert titles.exists()
    issued: dict[int, list[tuple[str, object]]] = {}
    for cert in Certificate.objects.unscoped("test"):
        issued.setdefault(cert.staff_id, []).append((cert.kind, cert.issued_on))
    for spell in titles:
        assert any(
            kind in TITLE_CERTIFICATES[spell.post] and day < spell.started_on
            for kind, day in issued.get(spell.staff_id, [])
        ), (spell.staff_id, spell.post, spell.started_on, issued.get(spell.staff_id))
    workers = Staff.objects.unscoped("test").filter(post="grid_worker", is_active=True)
    eligible = set(eligible_grid_workers(workers, TODAY).values_list("pk", flat=True))
    assert eligible == {w.pk for w in workers if corps_refusal(w, TODAY) is None}
