"""双报到 → points: what a recorded service earns under the 党员报到服务 rule, posted once by the catch-up run
(`dual_report.award_missing`, run by the generator and the nightly beat task)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.party import hooks as party_hooks
from gridgov.party import services as party
from gridgov.party.models import ServiceCategory
from gridgov.points import dual_report, ledger, services, tasks
from gridgov.points.models import ActivityKind, EarnRole, Transaction

from .conftest import SYSTEM, key


def _record(city, hours: str):
    community = city.communities[0]
    resident = next(r for r in city.residents if r.area_path.startswith(community.path))
    member = party.register_member(
        SYSTEM, resident=resident, in_service=True, workplace="市直机关党委", dual_community=community
    )
    with party_hooks.muted():  # the catch-up run is what posts here, not the hook
        record = party.record_dual_service(
            SYSTEM,
            member=member,
            community=community,
            served_on=timezone.localdate() - dt.timedelta(days=2),
            hours=Decimal(hours),
            category=ServiceCategory.PATROL,
            content="夜间巡逻",
        )
    return record, resident


def party_duty_rule(city):
    """The demo's city rule for party members' service: 5 per service + 12 per hour, at most 60 a day."""
    services.save_rule(
        SYSTEM,
        area=city.city,
        role=EarnRole.PARTY_MEMBER,
        activity_kind=ActivityKind.PARTY_DUTY,
        points_per_event=5,
        points_per_hour=12,
        daily_cap=60,
    )


def test_a_service_of_two_and_a_half_hours_earns_the_rule_once(city):
    party_duty_rule(city)
    services.fund_pool(SYSTEM, city.communities[0], 1000, key=key("fund"))
    record, resident = _record(city, "2.5")
    assert dual_report.award_missing() == 1
    account = services.resident_account(resident)
    assert account.balance == 5 + 12 * 150 // 60 == 35  # 2.5 h = 150 min → 30 + 5
    assert services.earning_pool(resident.area_path).balance == 1000 - 35
    # Twice: nothing more is posted, the balance stays, one audit row.
    assert dual_report.award_missing() == 0
    assert tasks.award_dual_services() == 0
    assert services.resident_account(resident).balance == 35
    assert (
        Transaction.objects.unscoped("test").filter(idempotency_key=dual_report.source_key(record.pk)).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="points.dual_service_award").count() == 1
    assert ledger.check_invariants() == []


def test_the_daily_cap_bounds_a_long_service_and_no_rule_posts_nothing(city):
    services.fund_pool(SYSTEM, city.communities[0], 1000, key=key("fund"))
    _, resident = _record(city, "8")
    assert dual_report.award_missing() == 0  # no 党员报到服务 rule yet: nothing owed, nothing posted
    party_duty_rule(city)
    assert tasks.award_dual_services() == 1  # the nightly task catches up once a rule exists
    assert services.resident_account(resident).balance == 60  # 5 + 96 = 101, cut to the daily cap


def test_the_catch_up_runs_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["points.award_dual_services"]
    assert entry["task"] == tasks.award_dual_services.name == "points.award_dual_services"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({1}, {50})
