"""The points pages not covered by the generic classes of the other modules, in the scope matrix: the
resident's phone pages (only a login bound to a resident), the staff's reports, approvals, month close,
exports and forms, and the pages and actions on one merchant, participation or activity (404 outside the
user's scope)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.points import services
from gridgov.points.models import Activity, Merchant, MerchantKind, Participation

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from .conftest import SYSTEM, participation

pytestmark = pytest.mark.django_db

RESIDENT = ("resident",)


@pytest.fixture
def linked_resident(city, users):
    """The resident login bound to the resident it is (the phone pages need one)."""
    services.link_resident(SYSTEM, users["resident"], city.resident_a)


@pytest.mark.usefixtures("funded", "linked_resident")
class TestPointsCollectionPages(PageMatrixTests):
    pages = {
        "points:me": Page((), roles=RESIDENT),
        "points:code": Page((), roles=RESIDENT),
        "points:hours": Page((), roles=RESIDENT),
        "points:activities": Page((), roles=RESIDENT),
        # an empty report: the form's errors, nothing recorded
        "points:self_report": Page((), method="post", roles=RESIDENT, passed=400),
        # granted to staff too, but only a merchant's login has a counter (no test role is one)
        "points:merchant": Page(("points.add_redemption",), roles=()),
        "points:approvals": Page(("points.view_participation",)),
        "points:approvals_export": Page(("points.view_participation",), audited=True),
        "points:volunteers": Page(("points.view_participation",), area=True),
        "points:accounts_export": Page(("points.view_account",), audited=True),
        "points:rules_export": Page(("points.view_earningrule",), audited=True),
        "points:catalogue_export": Page(("points.view_scenario",), audited=True),
        "points:rule_create": Page(("points.add_earningrule",)),
        "points:scenario_create": Page(("points.add_scenario",)),
        "points:reports": Page(("points.view_transaction",)),
        "points:report_data": Page(("points.view_transaction",)),
        "points:report_export": Page(("points.view_transaction",), audited=True),
        "points:month_close": Page(("points.view_monthclose",)),
        "points:grid_rules": Page(("points.view_gridscorerule",)),
    }


def _community_outside(city, user) -> Area:
    return city.unit_outside(user).parent.parent.parent


class TestMerchantStatementPage(ObjectPageTests):
    model = Merchant
    object_pages = {"points:statement": ObjectPage(("points.settle_merchant",))}

    @pytest.fixture(autouse=True)
    def _merchants(self, city):
        self.merchants = {
            c.pk: services.create_merchant(SYSTEM, name=f"{c.name}便利店", kind=MerchantKind.SHOP, area=c)
            for c in [*city.communities, city.other_city[3]]
        }

    def in_scope(self, city, user):
        return self.merchants[city.communities[0].pk]

    def out_of_scope(self, city, user):
        return self.merchants[_community_outside(city, user).pk]


class TestDecidePage(ObjectPageTests):
    model = Participation
    object_pages = {
        "points:decide": ObjectPage(
            ("points.approve_participation",), method="post", data=lambda t, c, u, o: {"decision": "approve"}
        )
    }

    @pytest.fixture(autouse=True)
    def _parts(self, funded):
        self.parts = {}

    def _part(self, resident):
        if resident.pk not in self.parts:
            self.parts[resident.pk] = participation(resident)
        return self.parts[resident.pk]

    def in_scope(self, city, user):
        return self._part(city.resident_a)

    def out_of_scope(self, city, user):
        return self._part(city.resident_outside(user))


@pytest.mark.usefixtures("linked_resident")
class TestSignUpPage(ObjectPageTests):
    """A resident signs up for an open activity of their own community (or above): another community's is
    a 404."""

    model = Activity
    object_pages = {"points:sign_up": ObjectPage((), method="post", roles=RESIDENT)}

    @pytest.fixture(autouse=True)
    def _activities(self, city):
        now = timezone.now()
        self.activities = {
            unit.pk: services.create_activity(
                SYSTEM,
                title=f"{unit.name}清扫",
                kind="volunteer",
                area=unit,
                starts_at=now + dt.timedelta(days=1),
                ends_at=now + dt.timedelta(days=1, hours=2),
                capacity=10,
            )
            for unit in city.all_units
        }

    def in_scope(self, city, user):
        return self.activities[city.unit_a.pk]

    def out_of_scope(self, city, user):
        return self.activities[city.units[2].pk]  # 东二社区: outside the resident's community
