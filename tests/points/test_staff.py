"""Staff points (积分联奖惩), earning rules and caps, and the payroll linkage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import PartStatus, PerformanceFormula, PerformancePay
from gridgov.workforce.models import PayrollLine

from .conftest import SYSTEM


def make_staff(resident, post="grid_worker"):
    from gridgov.workforce import services as wf

    community = Area.objects.unscoped("t").get(path=resident.area_path[:12])
    return wf.hire_staff(
        SYSTEM,
        resident=resident,
        community=community,
        post=post,
        education="bachelor",
        hired_on=dt.date(2020, 1, 1),
    )


def test_award_feeds_staff_grid_and_score(funded):
    staff = make_staff(funded.resident_a)
    grid = funded.grid_a
    award = services.award_staff_points(
        SYSTEM, staff, points=12, category="emergency", reason="防汛处置", source="events.case:1", grid=grid
    )
    assert services.staff_account(staff).balance == 12
    assert services.grid_account(grid).balance == 12
    again = services.award_staff_points(
        SYSTEM, staff, points=12, category="emergency", reason="防汛处置", source="events.case:1", grid=grid
    )
    assert again.pk == award.pk
    with pytest.raises(ServiceError, match="来源"):
        services.award_staff_points(
            SYSTEM, staff, points=3, category="emergency", reason="x", source="events.case:1"
        )
    services.award_staff_points(
        SYSTEM, staff, points=-20, category="penalty", reason="超期", source="events.case:2"
    )
    assert services.staff_account(staff).balance == 0  # a penalty takes back at most the balance
    assert services.staff_score(staff, timezone.localdate()) == 80 + 12 - 20
    assert ledger.check_invariants() == []


def test_payroll_linkage(funded):
    from gridgov.workforce import services as wf

    a = make_staff(funded.residents[0])
    b = make_staff(funded.residents[1], post="community_worker")
    month = timezone.localdate().replace(day=1)
    PerformanceFormula.objects.create(
        effective_from=dt.date(2000, 1, 1),
        base_score=80,
        target_score=100,
        min_factor=Decimal("0.6"),
        max_factor=Decimal("1.3"),
    )
    services.award_staff_points(SYSTEM, a, points=40, category="work_result", reason="考核优秀", source="k1")
    payroll = wf.compute_payroll(SYSTEM, funded.communities[0], month)
    lines = {line.staff_id: line for line in PayrollLine.objects.unscoped("t").filter(payroll=payroll)}
    standard = {sid: line.performance_pay for sid, line in lines.items()}
    made = services.apply_performance_pay(SYSTEM, payroll)
    assert len(made) == 2
    pay = {p.staff_id: p for p in PerformancePay.objects.unscoped("t").all()}
    assert pay[a.pk].score == 120 and pay[a.pk].factor == Decimal("1.200")
    assert pay[a.pk].amount == (standard[a.pk] * Decimal("1.2")).quantize(Decimal("0.01"))
    assert pay[b.pk].factor == Decimal("0.800")
    payroll.refresh_from_db()
    fresh = {line.staff_id: line for line in PayrollLine.objects.unscoped("t").filter(payroll=payroll)}
    assert fresh[a.pk].performance_pay == pay[a.pk].amount
    assert payroll.total == sum(line.total for line in fresh.values())
    assert payroll.city_amount + payroll.district_amount == payroll.total
    with pytest.raises(ServiceError, match="重复"):
        services.apply_performance_pay(SYSTEM, payroll)


def _volunteer(resident, hours=2, day=None):
    start = timezone.make_aware(dt.datetime.combine(day or timezone.localdate(), dt.time(9)))
    activity = services.create_activity(
        SYSTEM,
        title="助老服务",
        kind="volunteer",
        area=Area.objects.unscoped("t").get(path=resident.area_path),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        capacity=5,
    )
    part = services.sign_up(SYSTEM, activity, resident)
    return services.check_in(SYSTEM, part)


def test_rules_caps_and_approvals(funded):
    resident = funded.residents[1]  # not a party member
    services.save_rule(
        SYSTEM,
        area=funded.city,
        role="resident",
        activity_kind="volunteer",
        points_per_hour=10,
        daily_cap=30,
        monthly_cap=45,
    )
    first = services.approve(SYSTEM, _volunteer(resident, hours=2))
    assert first.points == 20
    second = services.approve(SYSTEM, _volunteer(resident, hours=2))
    assert second.points == 10  # the daily cap of 30
    # a district's own rule beats the city's
    services.save_rule(
        SYSTEM, area=funded.districts[0], role="resident", activity_kind="volunteer", points_per_hour=1
    )
    third = services.approve(
        SYSTEM, _volunteer(resident, hours=2, day=timezone.localdate() + dt.timedelta(days=1))
    )
    assert third.points == 2
    assert services.resident_account(resident).balance == 32
    rejected = services.reject(SYSTEM, _volunteer(resident), reason="未到场")
    before = services.resident_account(resident).balance
    with pytest.raises(ServiceError, match="驳回"):
        services.approve(SYSTEM, rejected)
    with pytest.raises(ServiceError, match="已通过"):
        services.approve(SYSTEM, first)
    assert services.resident_account(resident).balance == before
    assert rejected.status == PartStatus.REJECTED


def test_capacity_and_self_report(funded):
    now = timezone.now()
    activity = services.create_activity(
        SYSTEM,
        title="议事会",
        kind="activity",
        area=funded.grid_a,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        capacity=1,
    )
    services.sign_up(SYSTEM, activity, funded.residents[0])
    with pytest.raises(ServiceError, match="名额"):
        services.sign_up(SYSTEM, activity, funded.residents[1])
    part = services.report_participation(SYSTEM, activity, funded.residents[1], minutes=30)
    assert part.status == PartStatus.REPORTED and part.self_reported
    with pytest.raises(ServiceError, match="时长"):
        services.report_participation(SYSTEM, activity, funded.residents[2], minutes=600)
