"""Generic scope tests (tests/base.py) for the reports API: the indicator table of an area answers for an
area in the caller's scope and 404 like a missing id outside it; bad parameters are a 400."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..base import AreaQueryAPITests, roles_with

VIEWERS = roles_with("reports.view_indicatorsnapshot")
URL = "report-indicators-list"


class TestReportIndicatorsAPI(AreaQueryAPITests):
    url_name = URL
    allowed_roles = VIEWERS
    denied_roles = ("grid_worker", "property", "resident")


def test_viewers_are_the_staff_from_the_community_up():
    assert set(VIEWERS) == {"city_admin", "district", "street", "community_secretary", "community_worker"}


@pytest.mark.django_db
def test_default_area_is_the_users_own_and_values_are_its(city, api_for):
    response = api_for("street").get(reverse(URL))
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["residents"]["value"] == 8
    assert rows["grids"]["value"] == 4
    assert set(rows["residents"]) == {
        "code",
        "label",
        "label_en",
        "unit",
        "chapter",
        "value",
        "target",
        "computed_at",
    }
    assert rows["residents"]["computed_at"] is None  # no snapshot yet: computed live


@pytest.mark.django_db
def test_period_is_applied(city, api_for):
    response = api_for("city_admin").get(reverse(URL), {"area": city.grids[0].pk, "period": "2025-03"})
    assert response.status_code == 200
    assert {row["code"]: row["value"] for row in response.json()}["residents"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"period": "2025-13"},
        {"period": "2025-3"},
        {"period": "x" * 300},
        {"area": "abc"},
        {"area": "0"},
        {"area": "-1"},
        {"area": "99999999999999999999999"},
        {"area": "1.5"},
    ],
)
def test_bad_parameters_are_400(city, api_for, params):
    response = api_for("street").get(reverse(URL), params)
    assert response.status_code == 400, response.content[:300]
