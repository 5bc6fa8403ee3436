"""Scope tests for the points endpoints that had none — merchants, redemptions, earning rules, a
resident's own page (`me`) — and for the actions beyond list and detail: an account's entries, reversing
a transaction, checking in and rejecting a participation, a merchant's statement."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.points import services
from gridgov.points.models import (
    Account,
    EarningRule,
    Merchant,
    MerchantKind,
    Participation,
    Redemption,
    Scenario,
    Transaction,
)

from ..base import (
    Action,
    ActionAPITests,
    Call,
    DetailAPITests,
    EndpointMatrixTests,
    ListAPITests,
)
from ..factories import UserFactory
from .conftest import SYSTEM, give, key
from .test_api import NO_VIEW, STAFF, Premade, _account_of, _participation


def community_of(resident) -> Area:
    return Area.objects.unscoped("test: the resident's community").get(
        path=resident.area_path[: PATH_LENGTH[Level.COMMUNITY]]
    )


def shopping_5_of(path: str) -> Scenario:
    """The catalogue's "shopping_5" scenario as seeded in the city of `path`."""
    return Scenario.objects.unscoped("test").get(code="shopping_5", area_path=path[: PATH_LENGTH[Level.CITY]])


# --- merchants ---------------------------------------------------------------------------------------
class MerchantObjects(Premade):
    model = Merchant
    allowed_roles = STAFF
    denied_roles = NO_VIEW

    def make(self, resident):
        return services.create_merchant(
            SYSTEM, name=key("店"), kind=MerchantKind.SHOP, area=community_of(resident)
        )


class TestMerchantAPI(MerchantObjects, ListAPITests, DetailAPITests):
    basename = "points-merchant"


class TestMerchantStatementAPI(MerchantObjects, ActionAPITests):
    basename = "points-merchant"
    actions = {"points-merchant-statement": Action(("points.settle_merchant",), method="get")}

    def test_a_merchant_login_settles_only_its_own(self, city, api_for):
        community = city.communities[0]
        login = UserFactory(username="shop", role=Role.MERCHANT, area=community)
        own = services.create_merchant(
            SYSTEM, name="自家店", kind=MerchantKind.SHOP, area=community, user=login
        )
        neighbour = services.create_merchant(SYSTEM, name="邻家店", kind=MerchantKind.SHOP, area=community)
        client = api_for(None)
        client.force_authenticate(login)
        assert client.get(reverse("points-merchant-statement", args=[own.pk])).status_code == 200
        assert client.get(reverse("points-merchant-statement", args=[neighbour.pk])).status_code == 404


# --- redemptions -------------------------------------------------------------------------------------
class TestRedemptionAPI(Premade, ListAPITests, DetailAPITests):
    """A redemption at a shop of the resident's community, paid from points given to the resident."""

    basename = "points-redemption"
    model = Redemption
    allowed_roles = STAFF
    denied_roles = NO_VIEW

    @pytest.fixture(autouse=True)
    def _catalogue(self, city):
        self.shops = {}
        for top in (city.city, city.other_city[0]):
            services.seed_catalogue(SYSTEM, top)
        for community in (*city.communities, city.other_city[3]):
            services.fund_pool(SYSTEM, community, 10_000, key=key("fund"))

    def shop(self, resident) -> Merchant:
        community = community_of(resident)
        if community.pk not in self.shops:
            self.shops[community.pk] = services.create_merchant(
                SYSTEM, name=key("店"), kind=MerchantKind.SHOP, area=community
            )
        return self.shops[community.pk]

    def make(self, resident):
        give(resident, 200)
        scenario = shopping_5_of(resident.area_path)
        shop = self.shop(resident)
        return services.redeem(
            SYSTEM, merchant=shop, scenario=scenario, resident=resident, key=key()
        ).redemption

    def test_a_merchant_login_sees_only_its_own_redemptions(self, city, users, api_for):
        theirs = self._get(city.resident_a)
        login = UserFactory(username="shop", role=Role.MERCHANT, area=city.communities[0])
        own_shop = services.create_merchant(
            SYSTEM, name="自家店", kind=MerchantKind.SHOP, area=city.communities[0], user=login
        )
        scenario = shopping_5_of(city.city.path)
        mine = services.redeem(
            SYSTEM, merchant=own_shop, scenario=scenario, resident=city.resident_a, key=key()
        ).redemption
        client = api_for(None)
        client.force_authenticate(login)
        ids = {row["id"] for row in client.get(self.list_url()).json()["results"]}
        assert ids == {mine.pk}
        assert client.get(self.detail_url(theirs.pk)).status_code == 404


# --- earning rules: lists and reads include the rules of the user's ancestors ----------------------------
class RuleObjects:
    """One rule on each city and district (rules are set there): a user reads its subtree's rules and those
    of its ancestors, and none of another district or city; a write finds only its own subtree."""

    model = EarningRule
    allowed_roles = STAFF
    denied_roles = NO_VIEW

    @pytest.fixture(autouse=True)
    def _rules(self, city):
        self.rules = {
            area.pk: services.save_rule(
                SYSTEM, area=area, role="resident", activity_kind="volunteer", points_per_hour=2
            )
            for area in (city.city, *city.districts, city.other_city[0], city.other_city[1])
        }

    def in_scope(self, city, user):
        return self.rules[city.districts[0].pk]

    def out_of_scope(self, city, user):
        if user.area_id == city.city.pk:
            return self.rules[city.other_city[0].pk]
        return self.rules[city.districts[1].pk]

    def expected_visible_pks(self, user):
        root = user.area.path
        rows = EarningRule.objects.unscoped("test oracle").all()
        return {r.pk for r in rows if r.area_path.startswith(root) or root.startswith(r.area_path)}


class TestRuleAPI(RuleObjects, ListAPITests, DetailAPITests):
    basename = "points-rule"


class TestRuleUpdateAPI(RuleObjects, ActionAPITests):
    basename = "points-rule"
    actions = {
        "points-rule-detail": Action(
            ("points.change_earningrule",), method="patch", data=lambda t, c, u: {"points_per_hour": 3}
        )
    }

    def test_a_rule_read_from_above_is_404_to_change(self, city, users, api_for):
        city_rule = self.rules[city.city.pk]
        client = api_for("district")
        assert client.get(reverse("points-rule-detail", args=[city_rule.pk])).status_code == 200
        response = client.patch(
            reverse("points-rule-detail", args=[city_rule.pk]), {"points_per_hour": 9}, format="json"
        )
        assert response.status_code == 404


# --- actions on accounts, transactions and participations ------------------------------------------------
class TestAccountEntriesAPI(Premade, ActionAPITests):
    basename = "points-account"
    actions = {"points-account-entries": Action(("points.view_account",), method="get")}

    model = Account

    def make(self, resident):
        return _account_of(resident)


class TestTransactionReverseAPI(Premade, ActionAPITests):
    basename = "points-transaction"
    actions = {
        "points-transaction-reverse": Action(
            ("points.reverse_transaction",), data=lambda t, c, u: {"reason": "录错"}
        )
    }

    model = Transaction

    def make(self, resident):
        services.fund_pool(SYSTEM, community_of(resident), 100, key=key())
        return give(resident, 10)


class TestParticipationActionsAPI(Premade, ActionAPITests):
    basename = "points-participation"
    actions = {
        "points-participation-check-in": Action(("points.change_participation",)),
        "points-participation-reject": Action(
            ("points.approve_participation",), data=lambda t, c, u: {"reason": "未到场"}
        ),
    }

    model = Participation

    def make(self, resident):
        return _participation(resident)


# --- a resident's own points -----------------------------------------------------------------------------
class TestMePointsAPI(EndpointMatrixTests):
    """`me` answers only a login linked to a resident, and only about that resident: every other login is
    refused (403), whatever its rank. Issuing a one-time code is audited."""

    calls = {
        "points-me-list": Call((), roles=("resident",)),
        "points-me-one-time-code": Call((), method="post", passed=201, audited=True, roles=("resident",)),
    }

    @pytest.fixture(autouse=True)
    def _linked(self, city, users):
        services.link_resident(SYSTEM, users["resident"], city.resident_a)

    def test_me_shows_the_linked_residents_own_points(self, city, api_for):
        services.fund_pool(SYSTEM, city.communities[0], 1_000, key=key())
        give(city.resident_a, 30)
        give(city.residents[1], 70)  # the same household's other member
        body = api_for("resident").get(reverse("points-me-list")).json()
        assert body["balance"] == 30
        assert all(entry["amount"] == 30 for entry in body["entries"])
