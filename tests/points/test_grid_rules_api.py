"""The grid-score rules API (/api/points/grid-rules/): who sees which rules, who sets them, and bad input
(wrong-shaped JSON, a district out of scope, weights out of range) refused with nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core.models import AuditEvent
from gridgov.points import services
from gridgov.points.models import GridScoreRule

from ..base import DetailAPITests, ListAPITests, WriteAPITests, state_of
from .conftest import SYSTEM

MONTH = dt.date(2025, 1, 1)
VIEWERS = ("city_admin", "district", "street", "community_secretary")
NO_VIEW = ("community_worker", "grid_worker", "property", "resident")


def _district_of(path: str) -> Area:
    return Area.objects.unscoped("test").get(path=path[: PATH_LENGTH[Level.DISTRICT]])


class GridRuleObjects:
    """One rule per district of both cities and the city default; a user sees the default, its own district's
    rule (from a street, community or grid) and the districts below it."""

    model = GridScoreRule

    @pytest.fixture(autouse=True)
    def _rules(self, city, db):
        # made without the service: the base write test counts the audit rows of the action from zero
        self.default = GridScoreRule.objects.create(effective_from=MONTH)
        self.by_district = {
            d.pk: GridScoreRule.objects.create(district=d, effective_from=MONTH, cap=20)
            for d in Area.objects.unscoped("test").filter(level=Level.DISTRICT)
        }

    def in_scope(self, city, user):
        return self.by_district[_district_of(city.resident_a.area_path).pk]

    def out_of_scope(self, city, user):
        # a district that neither holds nor lies under the user's area: the other city's for a city user
        path = user.area.path
        for rule in self.by_district.values():
            d = rule.district.path
            if not d.startswith(path) and d != path[: PATH_LENGTH[Level.DISTRICT]]:
                return rule
        raise AssertionError("no district outside the user's area")

    def expected_visible_pks(self, user) -> set[int]:
        path = user.area.path
        return {
            r.pk
            for r in GridScoreRule.objects.all()
            if r.district is None
            or r.district.path.startswith(path)
            or r.district.path == path[: PATH_LENGTH[Level.DISTRICT]]
        }


class TestGridRuleAPI(GridRuleObjects, ListAPITests, DetailAPITests, WriteAPITests):
    basename = "points-gridrule"
    allowed_roles = VIEWERS
    denied_roles = NO_VIEW
    writer_roles = ("city_admin", "district")
    reader_roles = ("street", "community_secretary")
    write_action = "points.save_grid_score_rule"

    def write(self, client, obj):
        return client.patch(self.detail_url(obj.pk), {"cap": 25}, format="json")

    def test_a_street_user_sees_the_default_and_its_district_only(self, city, users, api_for):
        rows = api_for("street").get(self.list_url()).json()["results"]
        own = self.by_district[_district_of(users["street"].area.path).pk]
        assert {r["id"] for r in rows} == {self.default.pk, own.pk}


@pytest.fixture
def rules(city):
    east, west = city.districts
    return {
        "default": services.save_grid_score_rule(SYSTEM, district=None, effective_from=MONTH),
        "east": services.save_grid_score_rule(SYSTEM, district=east, effective_from=MONTH, cap=20),
        "west": services.save_grid_score_rule(SYSTEM, district=west, effective_from=MONTH, cap=20),
    }


def _snapshot():
    return [state_of(r) for r in GridScoreRule.objects.order_by("pk")], AuditEvent.objects.count()


def test_a_district_user_sets_its_districts_rule_from_a_month(city, users, api_for, rules):
    east = city.districts[0]
    assert users["district"].area_id == east.pk
    client = api_for("district")
    body = {"district": east.pk, "effective_from": "2025-03-15", "per_patrol": "1.50", "cap": 40}
    response = client.post(reverse("points-gridrule-list"), body, format="json")
    assert response.status_code == 201, response.content
    rule = GridScoreRule.objects.get(pk=response.json()["id"])
    assert (rule.district_id, rule.effective_from, rule.per_patrol, rule.cap) == (
        east.pk,
        dt.date(2025, 3, 1),
        Decimal("1.50"),
        40,
    )
    assert rule.per_visit == GridScoreRule().per_visit  # left out: the built-in default
    # the same district and month again replaces that rule (as the page does)
    again = client.post(reverse("points-gridrule-list"), {**body, "cap": 35}, format="json")
    assert again.status_code == 201 and again.json()["id"] == rule.pk
    rule.refresh_from_db()
    assert rule.cap == 35 and rule.per_patrol == Decimal("1.50")
    assert (
        AuditEvent.objects.filter(action="points.save_grid_score_rule", actor=users["district"]).count() == 2
    )
    # a PATCH changes what it sends and keeps the rest
    patched = client.patch(
        reverse("points-gridrule-detail", args=[rule.pk]), {"per_visit": "2"}, format="json"
    )
    assert patched.status_code == 200
    rule.refresh_from_db()
    assert (rule.per_visit, rule.cap, rule.per_patrol) == (Decimal("2"), 35, Decimal("1.50"))


@pytest.mark.parametrize(
    "body",
    [
        [],  # not an object
        0,
        {"effective_from": "2025-03"},  # not a date
        {"district": "abc", "effective_from": "2025-03-01"},
        {"district": 99999999999999999999, "effective_from": "2025-03-01"},
        {"effective_from": "2025-03-01", "per_patrol": "1000"},  # weights 0–999.99
        {"effective_from": "2025-03-01", "per_visit": "-1"},
        {"effective_from": "2025-03-01", "per_visit": "0.001"},  # at most two places
        {"effective_from": "2025-03-01", "per_visit": "NaN"},
        {"effective_from": "2025-03-01", "rating_neutral": "6"},  # neutral rating 0–5
        {"effective_from": "2025-03-01", "worker_share": 101},  # shares 0–100 %
        {"effective_from": "2025-03-01", "linked_share": -1},
        {"effective_from": "2025-03-01", "cap": 1001},
        {"effective_from": "2025-03-01", "cap": "many"},
        {"effective_from": "2025-03-01", "weights": {"x": 1}},
    ],
)
def test_bad_bodies_are_400_and_change_nothing(city, api_for, rules, body):
    before = _snapshot()
    if isinstance(body, dict) and "district" not in body:
        body = {**body, "district": city.districts[0].pk}
    response = api_for("district").post(reverse("points-gridrule-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert _snapshot() == before


def test_a_district_user_cannot_touch_another_district_or_the_city_default(city, api_for, rules):
    client = api_for("district")
    before = _snapshot()
    west = city.districts[1]
    other_city_district = city.other_city[1]
    for district in (west.pk, other_city_district.pk):
        response = client.post(
            reverse("points-gridrule-list"),
            {"district": district, "effective_from": "2025-03-01"},
            format="json",
        )
        assert response.status_code == 400  # not a valid choice in the requester's scope
    assert (
        client.patch(
            reverse("points-gridrule-detail", args=[rules["west"].pk]), {"cap": 1}, format="json"
        ).status_code
        == 404
    )
    assert client.get(reverse("points-gridrule-detail", args=[rules["west"].pk])).status_code == 404
    # the city default: visible, set only by the city
    default = client.post(
        reverse("points-gridrule-list"), {"district": None, "effective_from": "2025-03-01"}, format="json"
    )
    assert default.status_code == 400 and "市级" in default.json()["detail"]
    assert (
        client.patch(
            reverse("points-gridrule-detail", args=[rules["default"].pk]), {"cap": 1}, format="json"
        ).status_code
        == 400
    )
    assert _snapshot() == before


def test_an_update_cannot_move_a_rule_to_another_month_or_district(city, api_for, rules):
    before = _snapshot()
    client = api_for("city_admin")
    url = reverse("points-gridrule-detail", args=[rules["east"].pk])
    assert client.patch(url, {"effective_from": "2025-04-01"}, format="json").status_code == 400
    assert client.patch(url, {"district": city.districts[1].pk}, format="json").status_code == 400
    assert client.patch(url, {"per_patrol": "1000"}, format="json").status_code == 400
    assert _snapshot() == before
    # the same month given as another day of it is no move
    assert client.patch(url, {"effective_from": "2025-01-20", "cap": 22}, format="json").status_code == 200
