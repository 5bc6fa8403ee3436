"""The three gaps closed together: expiry on a schedule (beat task), page forms for earning rules and
the redemption catalogue, and escalation penalties from the event loop (积分联奖惩)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.core.models import AuditEvent
from gridgov.events import hooks
from gridgov.events import services as events
from gridgov.events.models import Category, EventTransition
from gridgov.points import ledger, services
from gridgov.points.hooks import penalise_grid_worker_for_escalated_event
from gridgov.points.models import (
    ActivityKind,
    AwardCategory,
    EarningRule,
    EarnRole,
    Scenario,
    StaffAward,
    Transaction,
    TxKind,
)
from tests.base import ListPageTests, WritePageTests, state_of

from .conftest import SYSTEM, give
from .test_ledger import ledger_time
from .test_staff import make_staff

STAFF = ("city_admin", "district", "street", "community_secretary", "community_worker")
NO_VIEW = ("grid_worker", "property", "resident")
RULE_EDITORS = ("city_admin", "district")
CATALOGUE_EDITORS = ("city_admin", "district", "street")


# --- 1. expiry on a schedule ----------------------------------------------------------------------------
def test_expire_task_expires_what_is_due_and_is_idempotent(funded):
    from gridgov.points.tasks import expire_points

    resident = funded.resident_a
    acc = services.resident_account(resident)
    with ledger_time(dt.date(2024, 5, 1)):
        give(resident, 100)  # expires 2025-12-31
    give(resident, 30)  # earned today: not due
    with ledger_time(dt.date(2025, 12, 31)):
        assert expire_points.delay().get() == 0  # still valid on its last day
    with ledger_time(dt.date(2026, 1, 1)):
        assert expire_points.delay().get() == 1
        assert expire_points.delay().get() == 0  # the same day again changes nothing
    acc.refresh_from_db()
    assert acc.balance == 30
    expiry = Transaction.objects.unscoped("t").get(kind=TxKind.EXPIRE)
    assert expiry.idempotency_key == f"expire:{acc.pk}:2026-01-01"
    assert AuditEvent.objects.filter(action="points.expire", actor=None).count() == 1
    assert ledger.check_invariants() == []


def test_expire_task_is_in_the_beat_schedule_daily():
    from gridgov.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE["points.expire_points"]
    assert entry["task"] == "points.expire_points"
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {30}
    assert app.conf.beat_schedule["points.expire_points"]["task"] == "points.expire_points"
    import gridgov.points.tasks  # noqa: F401 - registers the task

    assert "points.expire_points" in app.tasks


# --- 2. earning rules: pages and API --------------------------------------------------------------------
def _district_outside(city, user) -> Area:
    """A district not under the user: the other district for a district user, the other city's for the city."""
    for district in [city.districts[1], city.other_city[1]]:
        if not district.path.startswith(user.area.path):
            return district
    raise AssertionError


class RuleObjects:
    model = EarningRule

    @pytest.fixture(autouse=True)
    def _rules(self, city):
        self.rules = {
            d.pk: services.save_rule(
                SYSTEM,
                area=d,
                role=EarnRole.RESIDENT,
                activity_kind=ActivityKind.VOLUNTEER,
                points_per_hour=10,
            )
            for d in [*city.districts, city.other_city[1]]
        }

    def in_scope(self, city, user):
        return self.rules[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.rules[_district_outside(city, user).pk]


class TestRuleListPage(RuleObjects, ListPageTests):
    list_url_name = "points:rules"
    detail_url_name = "points:rule_edit"
    allowed_roles = RULE_EDITORS
    denied_roles = NO_VIEW


class TestRuleEditPage(RuleObjects, WritePageTests):
    detail_url_name = "points:rule_edit"
    writer_roles = RULE_EDITORS

    def post(self, client, obj):
        return client.post(reverse("points:rule_edit", args=[obj.pk]), _rule_data(obj.area_id, per_hour=99))

    def test_get_out_of_scope_is_404(self, city, users, client_for, writer_role):
        obj = self.out_of_scope(city, users[writer_role])
        assert client_for(writer_role).get(reverse("points:rule_edit", args=[obj.pk])).status_code == 404


def _rule_data(
    area_pk: int, *, per_hour=6, per_event=2, daily="", monthly="", role="resident", kind="volunteer"
):
    return {
        "area": area_pk,
        "activity_kind": kind,
        "role": role,
        "points_per_hour": per_hour,
        "points_per_event": per_event,
        "daily_cap": daily,
        "monthly_cap": monthly,
    }


def _rule_counts():
    return EarningRule.objects.unscoped("t").count(), AuditEvent.objects.filter(
        action="points.save_rule"
    ).count()


def test_rule_pages_create_and_edit(city, users, client_for):
    client = client_for("district")
    listing = client.get(reverse("points:rules")).content.decode()
    assert reverse("points:rule_create") in listing
    form = client.get(reverse("points:rule_create"))
    assert form.status_code == 200 and "每小时积分" in form.content.decode()
    district = city.districts[0]
    response = client.post(
        reverse("points:rule_create"), _rule_data(district.pk, daily="20", monthly="100", role="party_member")
    )
    assert response.status_code == 302 and response["Location"] == reverse("points:rules")
    rule = EarningRule.objects.unscoped("t").get(
        area=district, role="party_member", activity_kind="volunteer"
    )
    assert (rule.points_per_hour, rule.points_per_event, rule.daily_cap, rule.monthly_cap) == (6, 2, 20, 100)
    assert AuditEvent.objects.filter(action="points.save_rule", actor=users["district"]).count() == 1
    edit_url = reverse("points:rule_edit", args=[rule.pk])
    assert edit_url in client.get(reverse("points:rules")).content.decode()
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url, _rule_data(district.pk, per_hour=8, role="party_member", kind="activity")
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.activity_kind, rule.points_per_hour, rule.daily_cap, rule.monthly_cap) == (
        "activity",
        8,
        None,
        None,
    )
    assert EarningRule.objects.unscoped("t").filter(area=district).count() == 1  # edited, not added


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"per_hour": -1}, "积分和上限必须是非负整数"),
        ({"daily": "50", "monthly": "10"}, "每日上限不能大于每月上限"),
        ({"area": "outside"}, "选择一个有效的选项"),
        ({"area": "street"}, "选择一个有效的选项"),  # rules are set per city or district
    ],
)
def test_rule_bad_input_shows_an_error_and_changes_nothing(city, client_for, data, message):
    existing = services.save_rule(SYSTEM, area=city.districts[0], role="resident", activity_kind="volunteer")
    areas = {"outside": city.districts[1].pk, "street": city.streets[0].pk}
    area = areas.get(data.pop("area", ""), city.districts[0].pk)
    client = client_for("district")
    before, counts = state_of(existing), _rule_counts()
    for url in (reverse("points:rule_create"), reverse("points:rule_edit", args=[existing.pk])):
        response = client.post(url, _rule_data(area, **data))
        assert response.status_code == 200
        assert message in response.content.decode()
    assert state_of(existing) == before and _rule_counts() == counts


def test_rule_edit_onto_another_rules_triple_is_refused(city, client_for):
    a = services.save_rule(SYSTEM, area=city.districts[0], role="resident", activity_kind="volunteer")
    b = services.save_rule(SYSTEM, area=city.districts[0], role="resident", activity_kind="activity")
    before = state_of(b)
    response = client_for("district").post(
        reverse("points:rule_edit", args=[b.pk]), _rule_data(city.districts[0].pk, kind="volunteer")
    )
    assert "已有相同积分身份和活动类型的规则" in response.content.decode()
    assert state_of(b) == before and EarningRule.objects.unscoped("t").filter(pk=a.pk).exists()


@pytest.mark.parametrize(
    "role", ["street", "community_secretary", "community_worker", "grid_worker", "resident"]
)
def test_rule_pages_without_permission_403(city, client_for, role):
    rule = services.save_rule(SYSTEM, area=city.districts[0], role="resident", activity_kind="volunteer")
    client = client_for(role)
    counts = _rule_counts()
    assert client.get(reverse("points:rule_create")).status_code == 403
    assert client.post(reverse("points:rule_create"), _rule_data(city.districts[0].pk)).status_code == 403
    assert (
        client.post(reverse("points:rule_edit", args=[rule.pk]), _rule_data(city.districts[0].pk)).status_code
        == 403
    )
    assert _rule_counts() == counts


def test_rule_api_update(city, api_for):
    rule = services.save_rule(SYSTEM, area=city.districts[0], role="resident", activity_kind="volunteer")
    url = reverse("points-rule-detail", args=[rule.pk])
    response = api_for("district").patch(url, {"points_per_hour": 12, "daily_cap": 30}, format="json")
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert (rule.points_per_hour, rule.daily_cap) == (12, 30)
    bad = api_for("district").patch(url, {"daily_cap": 50, "monthly_cap": 10}, format="json")
    assert bad.status_code == 400 and "每日上限" in bad.content.decode()
    assert api_for("street").patch(url, {"points_per_hour": 1}, format="json").status_code == 403
    other = services.save_rule(SYSTEM, area=city.districts[1], role="resident", activity_kind="volunteer")
    response = api_for("district").patch(
        reverse("points-rule-detail", args=[other.pk]), {"points_per_hour": 1}, format="json"
    )
    assert response.status_code == 404
    rule.refresh_from_db()
    assert rule.points_per_hour == 12


# --- 2. the catalogue: pages ------------------------------------------------------------------------------
class ScenarioObjects:
    """A scenario in 东一社区 (in scope for every staff role) and one at the nearest unit outside each user."""

    model = Scenario

    @pytest.fixture(autouse=True)
    def _scenarios(self, city, users):
        self.inside = services.save_scenario(
            SYSTEM, area=city.communities[0], code="haircut", name="理发", category="生活服务", price=10
        )
        self.outside = {}
        for user in users.values():
            unit = city.unit_outside(user)
            if unit.pk not in self.outside:
                self.outside[unit.pk] = services.save_scenario(
                    SYSTEM, area=unit, code="far", name=f"远处场景{unit.pk}", category="生活服务", price=10
                )

    def in_scope(self, city, user):
        return self.inside

    def out_of_scope(self, city, user):
        return self.outside[city.unit_outside(user).pk]


class TestCatalogueListPage(ScenarioObjects, ListPageTests):
    list_url_name = "points:catalogue"
    detail_url_name = "points:scenario_edit"
    allowed_roles = STAFF
    denied_roles = NO_VIEW

    def marker(self, obj) -> str:
        return f'data-scenario="{obj.pk}"'


class TestScenarioEditPage(ScenarioObjects, WritePageTests):
    detail_url_name = "points:scenario_edit"
    writer_roles = CATALOGUE_EDITORS

    def post(self, client, obj):
        return client.post(
            reverse("points:scenario_edit", args=[obj.pk]), _scenario_data(obj.area_id, price=1)
        )

    def test_get_out_of_scope_is_404(self, city, users, client_for, writer_role):
        obj = self.out_of_scope(city, users[writer_role])
        assert client_for(writer_role).get(reverse("points:scenario_edit", args=[obj.pk])).status_code == 404


def _scenario_data(area_pk: int, *, code="gym", price=30, stock="", monthly_limit="2", **extra):
    return {
        "area": area_pk,
        "code": code,
        "name": "健身卡",
        "category": "文体",
        "price": price,
        "stock": stock,
        "monthly_limit": monthly_limit,
        "eligible_groups": ["elderly"],
        "merchant_kinds": ["service"],
        "is_active": "on",
        **extra,
    }


def _scenario_counts():
    return Scenario.objects.unscoped("t").count(), AuditEvent.objects.filter(
        action__contains="scenario"
    ).count()


def test_catalogue_pages_create_and_edit(city, users, client_for):
    client = client_for("street")
    assert reverse("points:scenario_create") in client.get(reverse("points:catalogue")).content.decode()
    assert "可核销商户类型" in client.get(reverse("points:scenario_create")).content.decode()
    community = city.communities[1]
    response = client.post(reverse("points:scenario_create"), _scenario_data(community.pk, stock="5"))
    assert response.status_code == 302 and response["Location"] == reverse("points:catalogue")
    scenario = Scenario.objects.unscoped("t").get(area=community, code="gym")
    assert (scenario.price, scenario.stock, scenario.monthly_limit) == (30, 5, 2)
    assert scenario.eligible_groups == ["elderly"] and scenario.merchant_kinds == ["service"]
    assert AuditEvent.objects.filter(action="points.create_scenario", actor=users["street"]).count() == 1
    edit_url = reverse("points:scenario_edit", args=[scenario.pk])
    assert edit_url in client.get(reverse("points:catalogue")).content.decode()
    assert "健身卡" in client.get(edit_url).content.decode()
    data = _scenario_data(community.pk, price=40, stock="", eligible_groups=[], merchant_kinds=[])
    del data["is_active"]  # unticked: taken off the shelf
    assert client.post(edit_url, data).status_code == 302
    scenario.refresh_from_db()
    assert (scenario.price, scenario.stock, scenario.is_active, scenario.eligible_groups) == (
        40,
        None,
        False,
        [],
    )
    assert AuditEvent.objects.filter(action="points.change_scenario", actor=users["street"]).count() == 1
    # a community worker sees the catalogue but gets no edit links
    page = client_for("community_worker").get(reverse("points:catalogue")).content.decode()
    assert reverse("points:scenario_create") not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"price": -5}, "所需积分必须是正整数"),
        ({"stock": "-1"}, "库存和限兑次数必须是非负整数"),
        ({"area": "outside"}, "选择一个有效的选项"),
        ({"code": "taken"}, "已有编码为"),
    ],
)
def test_scenario_bad_input_shows_an_error_and_changes_nothing(city, client_for, data, message):
    existing = services.save_scenario(
        SYSTEM, area=city.communities[0], code="taken", name="理发", category="生活服务", price=10
    )
    area = city.communities[2].pk if data.pop("area", "") == "outside" else city.communities[0].pk
    client = client_for("street")
    before, counts = state_of(existing), _scenario_counts()
    response = client.post(reverse("points:scenario_create"), _scenario_data(area, **data))
    assert response.status_code == 200 and message in response.content.decode()
    if data.get("code") != "taken":  # editing the row itself with its own code is fine; bad values are not
        response = client.post(
            reverse("points:scenario_edit", args=[existing.pk]), _scenario_data(area, code="taken", **data)
        )
        assert response.status_code == 200 and message in response.content.decode()
    assert state_of(existing) == before and _scenario_counts() == counts


@pytest.mark.parametrize("role", ["community_secretary", "community_worker", "grid_worker", "property"])
def test_catalogue_forms_without_permission_403(city, client_for, role):
    scenario = services.save_scenario(
        SYSTEM, area=city.communities[0], code="x", name="理发", category="生活服务", price=10
    )
    client = client_for(role)
    before, counts = state_of(scenario), _scenario_counts()
    assert client.get(reverse("points:scenario_create")).status_code == 403
    assert (
        client.post(reverse("points:scenario_create"), _scenario_data(city.communities[0].pk)).status_code
        == 403
    )
    url = reverse("points:scenario_edit", args=[scenario.pk])
    assert client.post(url, _scenario_data(city.communities[0].pk)).status_code == 403
    assert state_of(scenario) == before and _scenario_counts() == counts


# --- 3. escalation penalties --------------------------------------------------------------------------
NOW = timezone.make_aware(dt.datetime(2026, 3, 4, 10, 0))  # Wednesday 10:00: inside working hours


def _worker_on_grid_a(city):
    from gridgov.workforce import services as wf

    staff = make_staff(city.resident_a)
    wf.assign_grid(SYSTEM, staff, city.grid_a, reason="测试")
    return staff


def _report(users, city):
    return events.report_event(
        users["resident"],
        category=Category.objects.get(code="property.repair"),
        title="楼道灯坏了",
        area=city.unit_a,
        now=NOW,
    )


def _penalties(staff):
    return StaffAward.objects.unscoped("t").filter(staff=staff, category=AwardCategory.PENALTY).order_by("id")


def test_the_hook_is_registered_for_escalated_events():
    assert penalise_grid_worker_for_escalated_event in hooks.registered("escalated")


def test_escalation_deducts_once_per_escalation(funded, users, settings, django_capture_on_commit_callbacks):
    settings.GRIDGOV_POINTS_PER_ESCALATION = 4
    staff = _worker_on_grid_a(funded)
    services.award_staff_points(
        SYSTEM, staff, points=20, category="work_result", reason="考核", source="t:bonus"
    )
    event = _report(users, funded)  # accept due within 2 working hours: 12:00
    with django_capture_on_commit_callbacks(execute=True):
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=3)) == 1
    [penalty] = _penalties(staff)
    trail = EventTransition.objects.get(event=event, action="escalate")
    assert penalty.source == f"events.event:{event.pk}:escalated:{trail.pk}"
    assert (penalty.points, penalty.ledger_points, penalty.grid_id) == (-4, -4, funded.grid_a.pk)
    assert penalty.month == dt.date(2026, 3, 1)
    assert services.staff_account(staff).balance == 16
    # the hook retried for the same escalation, and the periodic task run again: nothing more
    event.refresh_from_db()
    penalise_grid_worker_for_escalated_event(event, None)
    with django_capture_on_commit_callbacks(execute=True):
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=3, minutes=10)) == 0
    assert _penalties(staff).count() == 1
    assert services.staff_account(staff).balance == 16
    # the next level, and a dispatcher's manual 督办, are escalations of their own
    with django_capture_on_commit_callbacks(execute=True):
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=5)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        events.escalate(users["community_worker"], event, note="督办", now=NOW + dt.timedelta(hours=6))
    assert _penalties(staff).count() == 3
    assert services.staff_account(staff).balance == 8
    assert services.staff_score(staff, NOW.date()) == 80 - 12  # the month of the escalations
    assert ledger.check_invariants() == []


def test_a_worker_with_no_points_is_not_driven_negative(funded, users, django_capture_on_commit_callbacks):
    staff = _worker_on_grid_a(funded)
    _report(users, funded)
    with django_capture_on_commit_callbacks(execute=True):
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=3)) == 1
    [penalty] = _penalties(staff)
    points = django_settings.GRIDGOV_POINTS_PER_ESCALATION
    assert (penalty.points, penalty.ledger_points, penalty.transaction_id) == (-points, 0, None)
    assert services.staff_account(staff).balance == 0
    assert services.staff_score(staff, NOW.date()) == 80 - points  # the score still counts the penalty
    assert ledger.check_invariants() == []


def test_no_worker_or_penalty_off_means_no_deduction(
    city, users, settings, django_capture_on_commit_callbacks
):
    _report(users, city)  # grid A has no assigned worker yet
    with django_capture_on_commit_callbacks(execute=True):
        events.escalate_overdue(now=NOW + dt.timedelta(hours=3))
    assert not StaffAward.objects.unscoped("t").exists()
    staff = _worker_on_grid_a(city)
    settings.GRIDGOV_POINTS_PER_ESCALATION = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert events.escalate_overdue(now=NOW + dt.timedelta(hours=5)) == 1
    assert not _penalties(staff).exists()
