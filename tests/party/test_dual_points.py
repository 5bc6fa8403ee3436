"""A recorded 双报到 service earns the member's resident points (points subscribes to party's hook)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gridgov.party import services
from gridgov.party.models import ServiceCategory
from gridgov.points import dual_report
from gridgov.points import services as points
from gridgov.points.models import ActivityKind, EarnRole, Transaction

from .conftest import SYSTEM


def test_service_earns_points_once(city, resources, django_capture_on_commit_callbacks):
    points.save_rule(
        SYSTEM,
        area=city.city,
        role=EarnRole.PARTY_MEMBER,
        activity_kind=ActivityKind.PARTY_DUTY,
        points_per_event=5,
        points_per_hour=10,
        daily_cap=100,
    )
    points.fund_pool(SYSTEM, city.communities[0], 1000, key="test-dual-pool")
    member = resources.members[city.grid_a.pk]
    with django_capture_on_commit_callbacks(execute=True):
        record = services.record_dual_service(
            SYSTEM,
            member=member,
            community=city.communities[0],
            served_on=timezone.localdate() - dt.timedelta(days=1),
            hours="2.5",
            category=ServiceCategory.PATROL,
            content="夜间巡逻",
        )
    tx = Transaction.objects.unscoped("test").get(idempotency_key=dual_report.source_key(record.pk))
    account = points.resident_account(member.resident)
    leg = tx.entries.get(account=account)
    assert leg.amount == 5 + 10 * 150 // 60  # per service + per hour by the minute, as earning.points_for
    assert dual_report.award_missing() >= 0  # a second run posts nothing for this record
    assert (
        Transaction.objects.unscoped("test").filter(idempotency_key=dual_report.source_key(record.pk)).count()
        == 1
    )


def test_no_rule_no_points(city, resources):
    record = resources.services[city.grid_a.pk]
    assert dual_report.award_dual_service(record.pk) is None
