"""Requests the points API used to answer with a 500 (issue 11 §4), the merchant role rules of the models,
and the schema of what the endpoints really take and return.

Each bad request is a 4xx with a Chinese message and changes nothing; each valid one that used to fail
now succeeds through its service (audited)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from gridgov.accounts.roles import Role
from gridgov.areas.models import Area
from gridgov.core.models import AuditEvent
from gridgov.points import services
from gridgov.points.models import (
    EarningRule,
    Merchant,
    MerchantKind,
    PartStatus,
    Redemption,
    Scenario,
    StaffAward,
)
from tests.base import state_of
from tests.factories import UserFactory

from .conftest import SYSTEM, give, key, participation
from .test_staff import make_staff

HUGE = "99999999999999999999"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese(response) -> bool:
    return bool(CHINESE.search(response.content.decode()))


def _unchanged(obj, call):
    """Run `call`; the row and the audit log are as before."""
    before, audits = state_of(obj), AuditEvent.objects.count()
    response = call()
    assert state_of(obj) == before
    assert AuditEvent.objects.count() == audits
    return response


# --- scenarios and earning rules: create and update in the requester's scope ---------------------------
def test_street_user_creates_a_scenario(city, users, api_for):
    body = {"area": city.streets[0].pk, "code": "haircut", "name": "理发", "category": "生活", "price": 10}
    response = api_for("street").post(reverse("points-scenario-list"), body, format="json")
    assert response.status_code == 201, response.content
    created = Scenario.objects.unscoped("test").get(pk=response.json()["id"])
    assert created.area_path == city.streets[0].path
    assert AuditEvent.objects.filter(action="points.create_scenario", actor=users["street"]).count() == 1
    again = api_for("street").post(reverse("points-scenario-list"), body, format="json")
    assert again.status_code == 400 and chinese(again)  # (area, code) is taken: checked, not a 500


def test_scenario_area_outside_the_requester_is_refused(city, api_for):
    body = {"area": city.streets[1].pk, "code": "x1", "name": "理发", "category": "生活", "price": 10}
    response = api_for("street").post(reverse("points-scenario-list"), body, format="json")
    assert response.status_code == 400 and "area" in response.json()
    assert not Scenario.objects.unscoped("test").filter(code="x1").exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_scenario_update(city, users, api_for, method):
    street = city.streets[0]
    scenario = services.save_scenario(SYSTEM, area=street, code="a", name="理发", category="生活", price=10)
    services.save_scenario(SYSTEM, area=street, code="b", name="洗衣", category="生活", price=5)
    url = reverse("points-scenario-detail", args=[scenario.pk])
    body = {"area": street.pk, "code": "a", "name": "理发", "category": "生活", "price": 20}
    response = getattr(api_for("street"), method)(
        url, body if method == "put" else {"price": 20}, format="json"
    )
    assert response.status_code == 200, response.content
    scenario.refresh_from_db()
    assert scenario.price == 20 and scenario.name == "理发" and scenario.code == "a"
    taken = _unchanged(scenario, lambda: api_for("street").patch(url, {"code": "b"}, format="json"))
    assert taken.status_code == 400 and chinese(taken)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_rule_update(city, users, api_for, method):
    district = city.districts[0]
    rule = services.save_rule(
        SYSTEM, area=district, role="resident", activity_kind="volunteer", points_per_hour=5
    )
    services.save_rule(SYSTEM, area=district, role="resident", activity_kind="activity", points_per_hour=2)
    url = reverse("points-rule-detail", args=[rule.pk])
    body = {"area": district.pk, "role": "resident", "activity_kind": "volunteer", "points_per_hour": 8}
    response = getattr(api_for("district"), method)(
        url, body if method == "put" else {"points_per_hour": 8}, format="json"
    )
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert rule.points_per_hour == 8 and rule.activity_kind == "volunteer"
    onto_other = _unchanged(
        rule, lambda: api_for("district").patch(url, {"activity_kind": "activity"}, format="json")
    )
    assert onto_other.status_code == 400 and "已有相同" in onto_other.json()["detail"]


def test_rule_post_of_a_taken_triple_updates_it_as_the_page_does(city, api_for):
    district = city.districts[0]
    rule = services.save_rule(
        SYSTEM, area=district, role="resident", activity_kind="volunteer", points_per_hour=5
    )
    body = {"area": district.pk, "role": "resident", "activity_kind": "volunteer", "points_per_hour": 9}
    response = api_for("district").post(reverse("points-rule-list"), body, format="json")
    assert response.status_code == 201 and response.json()["id"] == rule.pk
    assert EarningRule.objects.unscoped("test").get(pk=rule.pk).points_per_hour == 9


def test_rule_defined_above_is_listed_but_not_changed(city, api_for):
    rule = services.save_rule(
        SYSTEM, area=city.city, role="resident", activity_kind="volunteer", points_per_hour=5
    )
    rows = api_for("district").get(reverse("points-rule-list")).json()["results"]
    assert [(r["id"], r["editable"]) for r in rows] == [(rule.pk, False)]
    url = reverse("points-rule-detail", args=[rule.pk])
    assert (
        _unchanged(
            rule, lambda: api_for("district").patch(url, {"points_per_hour": 1}, format="json")
        ).status_code
        == 404
    )


# --- participations: the activity filter, approve and reject ---------------------------------------------
def test_participation_activity_filter_in_scope(city, users, api_for):
    inside = participation(city.resident_a)
    outside = participation(city.resident_outside(users["grid_worker"]))
    client = api_for("grid_worker")
    url = reverse("points-participation-list")
    rows = client.get(url, {"activity": inside.activity_id}).json()["results"]
    assert [r["id"] for r in rows] == [inside.pk]
    for value in (outside.activity_id, HUGE, "1e20", "-1e308", "abc"):
        response = client.get(url, {"activity": value})
        assert response.status_code == 400 and chinese(response), value


def test_approve_reads_minutes_through_a_field(city, users, api_for):
    part = participation(city.resident_a)
    url = reverse("points-participation-approve", args=[part.pk])
    client = api_for("community_worker")
    for body in ({"minutes": "AAA"}, {"minutes": 0}, {"minutes": 24 * 60 + 1}, {"minutes": int(HUGE)}):
        response = _unchanged(part, lambda body=body: client.post(url, body, format="json"))
        assert response.status_code == 400 and "minutes" in response.json(), body
    for raw in ("0", "[]", '"x"'):
        response = _unchanged(
            part, lambda raw=raw: client.generic("POST", url, raw, content_type="application/json")
        )
        assert response.status_code == 400 and chinese(response), raw
    approved = client.post(url, {"minutes": 30}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == PartStatus.APPROVED and approved.json()["minutes"] == 30


def test_reject_takes_an_object_body(city, api_for):
    part = participation(city.resident_a)
    url = reverse("points-participation-reject", args=[part.pk])
    response = _unchanged(
        part, lambda: api_for("community_worker").generic("POST", url, "[]", content_type="application/json")
    )
    assert response.status_code == 400
    done = api_for("community_worker").post(url, {"reason": "未到场"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == PartStatus.REJECTED


# --- staff awards --------------------------------------------------------------------------------------
def test_staff_award_create(funded, users, api_for):
    staff = make_staff(funded.resident_a)
    services.fund_pool(SYSTEM, Area.objects.unscoped("t").get(path=staff.area_path), 1000, key=key())
    body = {"staff": staff.pk, "category": "task", "points": 5, "reason": "完成任务", "source": "t-1"}
    client = api_for("community_secretary")
    response = client.post(reverse("points-award-list"), body, format="json")
    assert response.status_code == 201, response.content
    award = StaffAward.objects.unscoped("test").get(pk=response.json()["id"])
    assert award.source == "api:t-1" and award.points == 5
    assert AuditEvent.objects.filter(actor=users["community_secretary"], object_id=str(award.pk)).exists()
    again = client.post(reverse("points-award-list"), body, format="json")  # same source: the same award
    assert again.status_code == 201 and again.json()["id"] == award.pk
    assert StaffAward.objects.unscoped("test").count() == 1


def test_staff_award_for_staff_outside_is_refused(funded, users, api_for):
    outside = make_staff(funded.resident_outside(users["community_secretary"]))
    for staff in (outside.pk, HUGE):
        body = {"staff": staff, "category": "task", "points": 5, "reason": "完成任务", "source": f"s-{staff}"}
        response = api_for("community_secretary").post(reverse("points-award-list"), body, format="json")
        assert response.status_code == 400 and "staff" in response.json()
    assert not StaffAward.objects.unscoped("test").exists()


# --- accounts, transactions, redemptions ------------------------------------------------------------------
def test_split_and_reverse_read_their_bodies(funded, api_for):
    tx = give(funded.resident_a, 10)
    account = services.resident_account(funded.resident_a)
    client = api_for("city_admin")
    split = reverse("points-account-split", args=[account.pk])
    for body in ({"slots": "AAA"}, {"slots": 0}, {"slots": int(HUGE)}):
        response = _unchanged(account, lambda body=body: client.post(split, body, format="json"))
        assert response.status_code == 400 and chinese(response), body
    reverse_url = reverse("points-transaction-reverse", args=[tx.pk])
    no_key = client.post(reverse_url, {"reason": "错发"}, format="json")
    assert no_key.status_code == 400 and "idempotency_key" in no_key.json()
    done = client.post(reverse_url, {"reason": "错发", "idempotency_key": "r1"}, format="json")
    assert done.status_code == 201 and done.json()["entries"][0].keys() == {"account", "amount"}
    assert services.resident_account(funded.resident_a).balance == 0


def test_redeem_body_is_checked(funded, catalogue, shop, api_for):
    client = api_for("street")
    url = reverse("points-redemption-list")
    token = services.resident_token(funded.resident_a)
    for body in (
        {"merchant": shop.pk, "scenario": catalogue["shopping_5"].pk},  # neither token nor code
        {"merchant": shop.pk, "scenario": HUGE, "token": token},
        {"merchant": HUGE, "scenario": catalogue["shopping_5"].pk, "token": token},
        {"merchant": shop.pk, "scenario": catalogue["shopping_5"].pk, "token": token, "quantity": 0},
    ):
        response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 400 and chinese(response), body
    assert not Redemption.objects.unscoped("test").exists()


# --- the merchant rules, once in the models --------------------------------------------------------------
def test_merchant_account_sees_only_its_own(funded, catalogue, api_for):
    user = UserFactory(username="shop9", role=Role.MERCHANT, area=funded.communities[0])
    own = services.create_merchant(
        SYSTEM, name="便利店", kind=MerchantKind.SHOP, area=funded.communities[0], user=user
    )
    other = services.create_merchant(
        SYSTEM, name="隔壁店", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    assert list(Merchant.objects.visible_to(user)) == [own]
    give(funded.resident_a, 100)
    for merchant, k in ((own, "m1"), (other, "m2")):
        services.redeem(
            SYSTEM, merchant=merchant, scenario=catalogue["shopping_5"], resident=funded.resident_a, key=k
        )
    assert {r.merchant_id for r in Redemption.objects.visible_to(user)} == {own.pk}
    # staff of the area see both, as before
    staff = UserFactory(username="cw9", role=Role.COMMUNITY_WORKER, area=funded.communities[0])
    assert {r.merchant_id for r in Redemption.objects.visible_to(staff)} == {own.pk, other.pk}
    assert set(Merchant.objects.visible_to(staff)) == {own, other}


# --- the schema says what the endpoints take and return ---------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema, ref_holder) -> dict:
    name = ref_holder["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def test_schema_redeem_body(schema):
    op = schema["paths"]["/api/points/redemptions/"]["post"]
    body = _component(schema, op["requestBody"]["content"]["application/json"]["schema"])
    assert {"scenario", "token", "code", "quantity", "merchant"} <= set(body["properties"])
    assert body["required"] == ["scenario"]
    assert {"200", "201"} <= set(op["responses"])


def test_schema_lists_are_arrays(schema):
    for path in (
        "/api/points/accounts/{id}/entries/",
        "/api/party/orgs/{id}/history/",
        "/api/workforce/competitions/{id}/ranking/",
    ):
        response = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert response["type"] == "array", path
    tx = schema["components"]["schemas"]["Transaction"]["properties"]["entries"]
    assert tx["type"] == "array" and "$ref" in tx["items"]
