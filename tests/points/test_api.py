"""Scope and permissions of every points endpoint (the generic base classes), plus the flows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.areas.models import Area
from gridgov.points import services
from gridgov.points.models import (
    Account,
    Activity,
    MerchantKind,
    Participation,
    Scenario,
    StaffAward,
    Transaction,
)
from tests.base import DetailAPITests, ListAPITests, ListPageTests, WriteAPITests, WritePageTests
from tests.factories import UserFactory

from .conftest import SYSTEM, give, key

STAFF = ("city_admin", "district", "street", "community_secretary", "community_worker")
NO_VIEW = ("grid_worker", "property", "resident")


def _area(resident) -> Area:
    return Area.objects.unscoped("test").get(path=resident.area_path)


def _account_of(resident) -> Account:
    return services.resident_account(resident)


class Premade:
    """The base tests list first and ask for the objects afterwards: make each user's objects up front
    (once per resident and test) so the list already holds them."""

    def make(self, resident):
        raise NotImplementedError

    def _get(self, resident):
        cache = self.__dict__.setdefault("_made", {})
        if resident.pk not in cache:
            cache[resident.pk] = self.make(resident)
        return cache[resident.pk]

    @pytest.fixture(autouse=True)
    def _premade(self, request, db):
        if "city" not in request.fixturenames:
            return
        city, users = request.getfixturevalue("city"), request.getfixturevalue("users")
        for user in users.values():
            self._get(city.resident_a)
            self._get(city.resident_outside(user))

    def in_scope(self, city, user):
        return self._get(city.resident_a)

    def out_of_scope(self, city, user):
        return self._get(city.resident_outside(user))


class TestAccountAPI(Premade, ListAPITests, DetailAPITests, WriteAPITests):
    basename = "points-account"
    model = Account
    allowed_roles = STAFF
    denied_roles = NO_VIEW
    writer_roles = ("city_admin", "district")
    reader_roles = ("street", "community_secretary", "community_worker")
    write_action = "points.split_account"

    def make(self, resident):
        return _account_of(resident)

    def write(self, client, obj):
        return client.post(reverse("points-account-split", args=[obj.pk]), {"slots": 4}, format="json")


class TestTransactionAPI(Premade, ListAPITests, DetailAPITests):
    basename = "points-transaction"
    model = Transaction
    allowed_roles = STAFF
    denied_roles = NO_VIEW

    def make(self, resident):
        services.fund_pool(
            SYSTEM, Area.objects.unscoped("t").get(path=resident.area_path[:12]), 100, key=key()
        )
        return give(resident, 10)


class TestScenarioAPI(Premade, ListAPITests, DetailAPITests, WriteAPITests):
    basename = "points-scenario"
    model = Scenario
    allowed_roles = STAFF
    denied_roles = NO_VIEW
    writer_roles = ("city_admin", "district", "street")
    reader_roles = ("community_secretary", "community_worker")
    write_action = "points.change_scenario"

    def make(self, resident):
        return services.save_scenario(
            SYSTEM, area=_area(resident), code=key("s"), name="理发", category="生活", price=10
        )

    def write(self, client, obj):
        return client.patch(self.detail_url(obj.pk), {"price": 20}, format="json")


def _participation(resident) -> Participation:
    now = timezone.now()
    activity = services.create_activity(
        SYSTEM,
        title="楼道清扫",
        kind="volunteer",
        area=_area(resident),
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now - dt.timedelta(hours=1),
        capacity=10,
    )
    return services.report_participation(SYSTEM, activity, resident, minutes=90)


class TestParticipationAPI(Premade, ListAPITests, DetailAPITests, WriteAPITests):
    basename = "points-participation"
    model = Participation
    allowed_roles = (*STAFF, "grid_worker")
    denied_roles = ("property", "resident")
    writer_roles = STAFF
    reader_roles = ("grid_worker",)
    write_action = "points.approve"

    def make(self, resident):
        return _participation(resident)

    def write(self, client, obj):
        return client.post(reverse("points-participation-approve", args=[obj.pk]))


class TestActivityAPI(Premade, ListAPITests, DetailAPITests):
    basename = "points-activity"
    model = Activity
    allowed_roles = (*STAFF, "grid_worker")
    denied_roles = ("property", "resident")

    def make(self, resident):
        return _participation(resident).activity


class TestStaffAwardAPI(Premade, ListAPITests, DetailAPITests):
    basename = "points-award"
    model = StaffAward
    allowed_roles = STAFF
    denied_roles = NO_VIEW

    def make(self, resident):
        from tests.points.test_staff import make_staff

        staff = make_staff(resident)
        services.fund_pool(SYSTEM, Area.objects.unscoped("t").get(path=staff.area_path), 1000, key=key())
        return services.award_staff_points(
            SYSTEM, staff, points=5, category="task", reason="完成任务", source=key("src")
        )


def test_merchant_redeems_through_api(funded, catalogue, users, api_for):
    merchant_user = UserFactory(username="shop1", role=Role.MERCHANT, area=funded.communities[0])
    shop = services.create_merchant(
        SYSTEM, name="便利店", kind=MerchantKind.SHOP, area=funded.communities[0], user=merchant_user
    )
    resident = funded.resident_a
    give(resident, 200)
    services.link_resident(SYSTEM, users["resident"], resident)
    me = api_for("resident").get(reverse("points-me-list")).json()
    assert me["balance"] == 200
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(merchant_user)
    body = {"scenario": catalogue["shopping_5"].pk, "token": me["token"]}
    response = client.post(reverse("points-redemption-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert response.status_code == 201, response.content
    again = client.post(reverse("points-redemption-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert services.resident_account(resident).balance == 150
    bad = client.post(
        reverse("points-redemption-list"),
        {**body, "scenario": catalogue["rice_oil"].pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abd",
    )
    assert bad.status_code == 400 and "积分不足" in bad.json()["detail"]
    listed = client.get(reverse("points-redemption-list")).json()
    assert [r["id"] for r in listed["results"]] == [response.json()["id"]]
    statement = client.get(reverse("points-merchant-statement", args=[shop.pk]))
    assert statement.status_code == 200  # its own monthly statement
    other = services.create_merchant(
        SYSTEM, name="隔壁店", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    assert client.get(reverse("points-merchant-statement", args=[other.pk])).status_code == 404
    code = api_for("resident").post(reverse("points-me-one-time-code")).json()["code"]
    ok = client.post(
        reverse("points-redemption-list"),
        {"scenario": catalogue["shopping_5"].pk, "code": code},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abe",
    )
    assert ok.status_code == 201


def test_me_without_link_is_403(api_for):
    assert api_for("resident").get(reverse("points-me-list")).status_code == 403


@pytest.mark.parametrize("role", ["city_admin", "street"])
def test_reverse_via_api(funded, api_for, role):
    tx = give(funded.resident_a, 30)
    response = api_for(role).post(
        reverse("points-transaction-reverse", args=[tx.pk]),
        {"reason": "错发"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="rv",
    )
    assert response.status_code == 201, response.content
    assert services.resident_account(funded.resident_a).balance == 0


class TestAccountPages(Premade, ListPageTests, WritePageTests):
    """The account list (scoped) and the split form (city and district only)."""

    model = Account
    list_url_name = "points:accounts"
    allowed_roles = STAFF
    denied_roles = NO_VIEW
    writer_roles = ("city_admin", "district")

    def make(self, resident):
        return _account_of(resident)

    def marker(self, obj) -> str:
        return f'data-account="{obj.pk}"'

    def list_query(self, city) -> dict[str, str]:
        return {"kind": "resident"}

    def post(self, client, obj):
        return client.post(reverse("points:account_split", args=[obj.pk]), {"slots": "4"})
