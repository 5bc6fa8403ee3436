"""Grid monthly scores → staff points → performance pay (积分联奖惩), on a hand-computed fixture.

Grid A of 东一社区, last month, under the district's rule (the city default differs, so the district's
must win): 3 work orders closed on time (rated 5 and 4), 1 closed late (rated 2), 1 escalation, 3 patrols
and 1 joint patrol, 2 visits, 5 approved points events of its residents. Grid B: 1 visit.

    grid A = 3×3 − 1×2 − 1×4 + 4×1 + 2×2 + (11 − 3×3)×1 + 5×0.5 = 15.5 → 16 (half away from zero)
    grid B = 1×2 = 2
    worker W (grid A, 100%) = 16;  member C (linked to A and B, 40%) = round(6.4) + round(0.8) = 6 + 1 = 7
    scores: W 80 + 16 = 96 → factor 0.960;  C 80 + 7 = 87 → factor 0.870
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.events.models import Category, Event, EventTransition, PatrolLog
from gridgov.points import ledger, services
from gridgov.points.models import (
    Activity,
    GridScore,
    GridScoreRule,
    MonthClose,
    Participation,
    PerformancePay,
    StaffAward,
)
from gridgov.workforce import services as wf
from gridgov.workforce.models import Payroll, PayrollLine

from .conftest import SYSTEM
from .test_staff import make_staff


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def at(month: dt.date, day: int) -> dt.datetime:
    return dt.datetime.combine(month.replace(day=day), dt.time(10), tzinfo=timezone.get_current_timezone())


_numbers = iter(range(1, 10_000))


def event(grid: Area, closed_at, *, overdue=False, rating=None) -> Event:
    category, _ = Category.objects.get_or_create(code="gs-test", defaults={"name": "测试"})
    return Event.objects.create(
        number=f"GS{next(_numbers):06d}",
        category=category,
        title="测试工单",
        area=grid,
        area_path=grid.path,
        state="closed",
        reported_at=closed_at - dt.timedelta(days=1),
        closed_at=closed_at,
        overdue=overdue,
        rating=rating,
    )


def patrol(grid: Area, when, kind="patrol") -> None:
    PatrolLog.objects.create(kind=kind, area=grid, area_path=grid.path, started_at=when, place="楼道")


def points_event(resident, community: Area, on: dt.date) -> None:
    start = dt.datetime.combine(on, dt.time(9), tzinfo=timezone.get_current_timezone())
    activity = Activity.objects.create(
        title="楼道清扫",
        kind="volunteer",
        area=community,
        area_path=community.path,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        capacity=5,
    )
    Participation.objects.create(
        activity=activity,
        resident=resident,
        status="approved",
        minutes=60,
        points=10,
        area_path=community.path,
        resident_path=resident.area_path,
        service_date=on,
    )


@pytest.fixture
def month_records(funded):
    city = funded
    month = last_month()
    community = city.communities[0]
    GridScoreRule.objects.create(effective_from=dt.date(2000, 1, 1), per_closed_on_time=10, linked_share=100)
    GridScoreRule.objects.create(
        district=city.districts[0],
        effective_from=dt.date(2000, 1, 1),
        per_closed_on_time=3,
        per_overdue=2,
        per_escalation=4,
        per_patrol=1,
        per_visit=2,
        rating_neutral=3,
        per_rating_point=1,
        per_resident_event=Decimal("0.5"),
        cap=30,
        worker_share=100,
        linked_share=40,
    )
    worker = make_staff(city.residents[0])
    wf.assign_grid(SYSTEM, worker, city.grid_a, on=dt.date(2020, 1, 1))
    member = make_staff(city.residents[2], post="committee_member")
    wf.link_grid(SYSTEM, member, city.grid_a, on=dt.date(2020, 1, 2))
    wf.link_grid(SYSTEM, member, city.grid_b, on=dt.date(2020, 1, 2))
    rated = [event(city.grid_a, at(month, 3), rating=5), event(city.grid_a, at(month, 4), rating=4)]
    event(city.grid_a, at(month, 5))
    late = event(city.grid_a, at(month, 6), overdue=True, rating=2)
    EventTransition.objects.create(
        event=late, action="escalate", from_state="handling", to_state="handling", created_at=at(month, 5)
    )
    for day in (2, 9, 16):
        patrol(city.grid_a, at(month, day))
    patrol(city.grid_a, at(month, 20), kind="joint")
    patrol(city.grid_a, at(month, 21), kind="visit")
    patrol(city.grid_a, at(month, 22), kind="visit")
    patrol(city.grid_b, at(month, 22), kind="visit")
    for resident, day in ((city.residents[0], 3), (city.residents[0], 4), (city.residents[0], 5)):
        points_event(resident, community, month.replace(day=day))
    for resident, day in ((city.residents[1], 6), (city.residents[1], 7)):
        points_event(resident, community, month.replace(day=day))
    # Outside the month or the community: not counted.
    event(city.grid_a, timezone.now())
    event(city.grids[2], at(month, 3))
    patrol(city.grids[2], at(month, 3))
    assert rated
    return city, community, month, worker, member


def test_grid_score_by_hand(month_records):
    city, community, month, _worker, _member = month_records
    scores = {s.grid_id: s for s in services.score_grids(community, month)}
    a, b = scores[city.grid_a.pk], scores[city.grid_b.pk]
    assert (a.closed_on_time, a.closed_overdue, a.escalations, a.patrols, a.visits) == (3, 1, 1, 4, 2)
    assert (a.ratings, a.rating_total, a.resident_events) == (3, 11, 5)
    assert a.raw_score == Decimal("15.50") and a.score == 16
    assert b.score == 2
    assert a.rule.district_id == city.districts[0].pk  # the district's rule, not the city default
    assert GridScore.objects.unscoped("t").count() == 0  # reading writes nothing


def test_compute_posts_staff_points_once(month_records):
    city, community, month, worker, member = month_records
    result = services.compute_grid_scores(SYSTEM, community, month)
    awards = {(a.staff_id, a.grid_id): a.points for a in result.awards}
    assert awards == {
        (worker.pk, city.grid_a.pk): 16,
        (member.pk, city.grid_a.pk): 6,
        (member.pk, city.grid_b.pk): 1,
    }
    source = f"gridscore:{city.grid_a.pk}:{month:%Y-%m}:{worker.pk}"
    assert StaffAward.objects.unscoped("t").get(source=source).month == month
    assert services.staff_score(worker, month) == 96
    assert services.staff_score(member, month) == 87
    rows = StaffAward.objects.unscoped("t").count()
    again = services.compute_grid_scores(SYSTEM, community, month)
    assert StaffAward.objects.unscoped("t").count() == rows
    assert sorted(a.pk for a in again.awards) == sorted(a.pk for a in result.awards)
    assert GridScore.objects.unscoped("t").filter(month=month).count() == 2
    assert ledger.check_invariants() == []


def test_running_month_is_refused(month_records):
    city, community, *_ = month_records
    with pytest.raises(ServiceError, match="已结束"):
        services.compute_grid_scores(SYSTEM, community, timezone.localdate())
    with pytest.raises(ServiceError, match="社区"):
        services.compute_grid_scores(SYSTEM, city.grid_a, last_month())


def test_close_month_pays_once_with_notes(month_records):
    city, community, month, worker, member = month_records
    preview = services.preview_month_close(SYSTEM, community, month)
    assert preview.closable and preview.closed is None
    by_staff = {line.staff_id: line for line in preview.lines}
    assert (by_staff[worker.pk].score, by_staff[worker.pk].factor) == (96, Decimal("0.960"))
    assert (by_staff[member.pk].score, by_staff[member.pk].factor) == (87, Decimal("0.870"))
    assert not StaffAward.objects.unscoped("t").exists() and not Payroll.objects.unscoped("t").exists()

    closed = services.close_month(SYSTEM, community, month)
    payroll = Payroll.objects.unscoped("t").get(community=community, month=month)
    assert closed.payroll_id == payroll.pk and closed.award_points == 23 and closed.awards == 3
    pay = {p.staff_id: p for p in PerformancePay.objects.unscoped("t").filter(month=month)}
    lines = {line.staff_id: line for line in PayrollLine.objects.unscoped("t").filter(payroll=payroll)}
    standard = pay[worker.pk].standard_amount
    assert pay[worker.pk].amount == (standard * Decimal("0.96")).quantize(Decimal("0.01"))
    assert lines[worker.pk].performance_pay == pay[worker.pk].amount
    assert lines[worker.pk].performance_note == f"积分96分,系数0.960,来自{city.grid_a.name}"
    assert (
        lines[member.pk].performance_note == f"积分87分,系数0.870,来自{city.grid_a.name}、{city.grid_b.name}"
    )
    assert preview.lines and {line.staff_id: line.amount for line in preview.lines} == {
        sid: p.amount for sid, p in pay.items()
    }
    assert AuditEvent.objects.filter(action="points.close_month").count() == 1

    total = payroll.total
    with pytest.raises(ServiceError, match="已结算"):
        services.close_month(SYSTEM, community, month)
    payroll.refresh_from_db()
    assert payroll.total == total and MonthClose.objects.unscoped("t").count() == 1
    after = services.preview_month_close(SYSTEM, community, month)
    assert after.closed is not None and not after.closable
    assert {line.staff_id: line.amount for line in after.lines} == {sid: p.amount for sid, p in pay.items()}


def test_monthly_task_closes_each_community_once(month_records):
    from gridgov.points.tasks import close_months

    _city, community, month, worker, _member = month_records
    first = close_months()
    assert first["closed"] >= 1  # 东一社区 (the others have no staff and are counted as failed)
    assert MonthClose.objects.unscoped("t").filter(community=community, month=month).exists()
    second = close_months()
    assert second["closed"] == 0 and second["skipped"] == first["closed"]
    assert PerformancePay.objects.unscoped("t").filter(staff=worker).count() == 1


def test_month_close_is_scheduled_monthly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["points.close_months"]
    assert entry["task"] == "points.close_months"
    assert entry["schedule"].day_of_month == {1}
