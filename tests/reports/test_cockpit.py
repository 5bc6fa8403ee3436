"""数据大屏: GET /api/reports/cockpit/ and its page (docs/reports.md).

The shared test city (tests/conftest.py): every grid has one building, one unit, one household of two
residents; 东一社区 has grids A and B, 东华街道 two communities, 东城区 one street, 青山市 two districts and
eight grids. The street user is bound to 东华街道.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.core import indicators
from gridgov.core.actors import SystemActor
from gridgov.core.indicators import Indicator
from gridgov.people.models import Household
from gridgov.reports import cockpit, queries, services
from gridgov.reports.models import IndicatorSnapshot

from ..base import AreaQueryAPITests, roles_with
from ..factories import make_child

URL = "report-cockpit-list"
SYSTEM = SystemActor("tests.cockpit")
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]]]}


class TestCockpitAPI(AreaQueryAPITests):
    url_name = URL
    allowed_roles = roles_with("reports.view_indicatorsnapshot")
    denied_roles = ("grid_worker", "property", "resident")


def _get(api_for, role: str, **params):
    return api_for(role).get(reverse(URL), params)


def _households(code: str, **extra) -> Indicator:
    return Indicator(
        code,
        f"测试{code}",
        "户",
        lambda: Household.objects.unscoped("test indicator").filter(is_active=True),
        "area_path",
        chapter="概况",
        **extra,
    )


def _no_households(code: str, **extra) -> Indicator:
    return Indicator(
        code,
        f"测试{code}",
        "户",
        lambda: Household.objects.unscoped("test indicator").filter(is_active=False),
        "area_path",
        chapter="概况",
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["city", "district", "street", "community", "grid"])
def test_every_figure_is_the_tables(city, api_for, which):
    area = {
        "city": city.city,
        "district": city.districts[0],
        "street": city.streets[0],
        "community": city.communities[0],
        "grid": city.grids[0],
    }[which]
    body = _get(api_for, "city_admin", area=area.pk).json()
    t = queries.table(area, "")
    assert body["area"]["id"] == area.pk and body["computed_at"] is None  # no snapshots: live
    tiles = {tile["code"]: tile for tile in body["tiles"]}
    assert tiles, "some headline figure is shown at every level"
    assert list(tiles) == [c for c in cockpit.HEADLINE if c in t.codes]
    for code, tile in tiles.items():
        assert tile["value"] == t.values[code], code
        assert tile["text"] == indicators.format_value(code, t.values[code])
    assert [i["code"] for i in body["indicators"]] == t.columns
    if not t.children:
        assert body["code"] == "" and body["total"] is None and body["children"] == []
        return
    code = body["code"]
    assert code == "residents"  # the default, wherever it breaks down
    assert body["total"]["value"] == t.values[code]
    children = {c["id"]: c["value"] for c in body["children"]}
    assert children == {ch.pk: t.child_values[ch.pk][code] for ch in t.children}
    assert body["total"]["additive"] and body["total"]["parts_sum"] == body["total"]["value"]
    values = [c["value"] for c in body["children"]]
    assert values == sorted(values, reverse=True)  # the ranking


@pytest.mark.django_db
def test_known_values_and_another_indicator(city, api_for):
    body = _get(api_for, "city_admin", area=city.city.pk, code="households").json()
    tiles = {tile["code"]: tile["value"] for tile in body["tiles"]}
    assert tiles["residents"] == 16 and tiles["households"] == 8 and tiles["grids"] == 8
    assert body["code"] == "households"
    assert {c["name"]: c["value"] for c in body["children"]} == {"东城区": 4, "西城区": 4}
    assert body["total"]["value"] == 8 and body["total"]["parts_text"] == "8"
    assert [c["name"] for c in body["crumbs"]] == ["青山市"]
    assert body["child_level_label"] == "区县"
    assert all(c["drill"] for c in body["children"])


@pytest.mark.django_db
def test_a_code_that_does_not_break_down_here_falls_back(city, api_for):
    # "streets" is not shown per street under a district (a street's "streets" is not shown)
    body = _get(api_for, "city_admin", area=city.districts[0].pk, code="streets").json()
    assert "streets" not in [i["code"] for i in body["indicators"]]
    assert body["code"] == "residents"


@pytest.mark.django_db
def test_a_figure_that_is_not_additive_says_how_it_counts(city, api_for):
    code = next(
        c
        for c in queries.table(city.city, "").columns
        if not indicators.get(c).additive_at(city.city.level + 1)
    )
    body = _get(api_for, "city_admin", area=city.city.pk, code=code).json()
    assert body["code"] == code
    assert body["total"]["additive"] is False
    assert body["total"]["counts_by"] == str(indicators.get(code).counts_by) != ""
    assert body["total"]["parts_sum"] is None


@pytest.mark.django_db
def test_snapshots_are_read_when_complete(city, api_for):
    services.refresh_snapshots(SYSTEM)
    IndicatorSnapshot.objects.unscoped("test: mark the snapshot").filter(
        area=city.city, period="", code="residents"
    ).update(value=1234)
    body = _get(api_for, "city_admin", area=city.city.pk).json()
    t = queries.table(city.city, "")
    assert t.computed_at is not None
    assert dt.datetime.fromisoformat(body["computed_at"]) == t.computed_at
    assert {tile["code"]: tile["value"] for tile in body["tiles"]}["residents"] == 1234
    assert body["total"]["value"] == 1234


@pytest.mark.django_db
def test_scope_a_street_user_sees_only_their_street(city, api_for):
    own = _get(api_for, "street")
    assert own.status_code == 200
    assert own.json()["area"]["id"] == city.streets[0].pk
    assert [c["name"] for c in own.json()["crumbs"]] == ["东华街道"]  # nothing above their own area
    assert _get(api_for, "street", area=city.communities[0].pk).status_code == 200
    for outside in (city.streets[1], city.communities[2], city.districts[0], city.city):
        response = _get(api_for, "street", area=outside.pk)
        assert response.status_code == 404, outside.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"period": "2025-13"},
        {"period": "2025-3"},
        {"period": "0000-01"},
        {"period": " 2025-03"},
        {"period": "x" * 300},
        {"area": "abc"},
        {"area": "0"},
        {"area": "-1"},
        {"area": "1.5"},
        {"area": "99999999999999999999999"},
        {"code": "no_such_indicator"},
        {"code": "x" * 300},
    ],
)
def test_bad_parameters_are_400(city, api_for, params):
    response = _get(api_for, "street", **params)
    assert response.status_code == 400, response.content[:300]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.content.decode())  # a Chinese message


@pytest.mark.django_db
def test_geojson_features_are_exactly_the_active_children_with_a_polygon(city, api_for):
    east, west = city.streets[0], city.streets[1]
    retired = make_child(east, "撤销社区", geometry=SQUARE, is_active=False)
    no_shape = make_child(east, "无图社区")
    point = make_child(east, "点社区", geometry={"type": "Point", "coordinates": [5, 5]})
    Area.objects.unscoped("test: draw the communities").filter(pk=city.communities[0].pk).update(
        geometry=SQUARE
    )
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    Area.objects.unscoped("test: draw the communities").filter(pk=city.communities[1].pk).update(
        geometry=multi
    )
    Area.objects.unscoped("test: a community of another street").filter(pk=city.communities[2].pk).update(
        geometry=SQUARE
    )
    body = _get(api_for, "city_admin", area=east.pk).json()
    features = body["geojson"]["features"]
    assert body["geojson"]["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in features] == [
        str(city.communities[0].pk),
        str(city.communities[1].pk),
    ]
    assert [f["properties"]["label"] for f in features] == ["东一社区", "东二社区"]
    assert features[0]["geometry"] == SQUARE and features[1]["geometry"] == multi
    children = {c["id"]: c for c in body["children"]}
    assert retired.pk not in children
    assert children[no_shape.pk]["has_geometry"] is False and children[point.pk]["has_geometry"] is False
    assert children[city.communities[0].pk]["has_geometry"] is True
    assert west.pk not in children


@pytest.mark.django_db
def test_grids_are_drawn_under_a_community_but_not_drilled_into(city, api_for):
    body = _get(api_for, "city_admin", area=city.communities[0].pk).json()
    assert [c["name"] for c in body["children"]] and not any(c["drill"] for c in body["children"])
    assert body["child_level_label"] == "网格"


@pytest.mark.django_db
def test_trends_are_twelve_months_from_snapshots_where_they_exist(city, api_for, monkeypatch):
    monkeypatch.setitem(
        indicators.REGISTRY, "t_new_households", _households("t_new_households", period_field="created_at")
    )
    march = dt.datetime(2025, 3, 15, 12, tzinfo=timezone.get_current_timezone())
    Household.objects.unscoped("test: back-date households").filter(
        pk__in=[h.pk for h in city.households[:3]]
    ).update(created_at=march)
    services.refresh_snapshots(SYSTEM, period="2025-02")
    IndicatorSnapshot.objects.unscoped("test: mark a month's snapshot").filter(
        area=city.city, period="2025-02", code="t_new_households"
    ).update(value=77)
    body = _get(api_for, "city_admin", area=city.city.pk, period="2025-06").json()
    trends = body["trends"]
    assert len(trends["months"]) == 12
    assert trends["months"][0] == "2024-07" and trends["months"][-1] == "2025-06"
    series = {s["code"]: s for s in trends["series"]}
    periodic = [c for c in queries.table(city.city).codes if cockpit.periodic(c)]
    assert list(series) == periodic and "t_new_households" in series and "residents" not in series
    ours = series["t_new_households"]
    assert len(ours["values"]) == len(ours["texts"]) == 12
    by_month = dict(zip(trends["months"], ours["values"], strict=True))
    assert by_month["2025-02"] == 77  # the month's snapshot
    assert by_month["2025-03"] == 3  # live
    assert by_month["2025-04"] == 0
    for code, s in series.items():  # every live month is what the registry computes
        assert s["values"][-1] == indicators.get(code).value(city.city.path, "2025-06"), code


@pytest.mark.django_db
def test_trends_cost_at_most_one_query_per_indicator_per_month(city, users):
    t = queries.table(city.city)
    periodic = [c for c in t.codes if cockpit.periodic(c)]
    with CaptureQueriesContext(connection) as without:
        cockpit.trends(users["city_admin"], city.city, t, cockpit.months_to(""))
    # the snapshot read, then each indicator for each month live
    assert len(without) <= 1 + 12 * len(periodic)
    services.refresh_snapshots(SYSTEM, period=cockpit.months_to("")[0])
    t = queries.table(city.city)
    with CaptureQueriesContext(connection) as with_one_month:
        cockpit.trends(users["city_admin"], city.city, t, cockpit.months_to(""))
    assert len(with_one_month) <= 1 + 11 * len(periodic)


def test_months_to():
    assert cockpit.months_to("2025-01", 3) == ["2024-11", "2024-12", "2025-01"]
    assert len(cockpit.months_to("")) == 12
    assert cockpit.months_to("")[-1] == timezone.localdate().strftime("%Y-%m")


@pytest.mark.django_db
def test_red_and_yellow_lists(city, api_for, monkeypatch):
    registry = {
        # a check that finds problems: yellow, never red as well
        "t_check_found": _households("t_check_found", target=0, higher_is_better=False),
        # a check that finds none: not listed
        "t_check_clean": _no_households("t_check_clean", target=0, higher_is_better=False),
        # a target missed (at least 1000 households): red
        "t_target_missed": _households("t_target_missed", target=1000, higher_is_better=True),
        # a target met (at most 1000): not listed
        "t_target_met": _households("t_target_met", target=1000, higher_is_better=False),
        # a target met from above (at least 1): not listed
        "t_target_met_above": _households("t_target_met_above", target=1, higher_is_better=True),
    }
    for code, ind in registry.items():
        monkeypatch.setitem(indicators.REGISTRY, code, ind)
    assert indicators.get("t_check_found").is_check and not indicators.get("t_target_missed").is_check
    body = _get(api_for, "city_admin", area=city.city.pk).json()
    red = {a["code"]: a for a in body["alerts"]["red"]}
    yellow = {a["code"]: a for a in body["alerts"]["yellow"]}
    assert "t_check_found" in yellow and "t_check_found" not in red
    assert "t_target_missed" in red and "t_target_missed" not in yellow
    for code in ("t_check_clean", "t_target_met", "t_target_met_above"):
        assert code not in red and code not in yellow, code
    found, missed = yellow["t_check_found"], red["t_target_missed"]
    assert found["value"] == 8 and found["text"] == "8"
    assert {w["name"]: w["value"] for w in found["where"]} == {"东城区": 4, "西城区": 4}
    assert missed["value"] == 8 and missed["target"] == 1000 and missed["higher_is_better"] is True
    # every registered indicator is judged, whatever the apps register (not a fixed list)
    t = queries.table(city.city)
    live = [(c, t.values[c]) for c in t.codes if t.values[c] is not None]
    assert list(yellow) == [c for c, v in live if indicators.get(c).is_check and v > 0]
    assert list(red) == [
        c for c, v in live if not indicators.get(c).is_check and queries.meets_target(c, v) is False
    ]


@pytest.mark.django_db
def test_the_street_user_gets_their_own_subtree_in_the_lists(city, api_for, monkeypatch):
    monkeypatch.setitem(
        indicators.REGISTRY, "t_check_found", _households("t_check_found", target=0, higher_is_better=False)
    )
    body = _get(api_for, "street").json()
    item = next(a for a in body["alerts"]["yellow"] if a["code"] == "t_check_found")
    assert item["value"] == 4
    assert {w["name"] for w in item["where"]} == {"东一社区", "东二社区"}


# --- the page -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_page_for_viewers_only_and_in_scope(city, client_for):
    page = reverse("reports:cockpit")
    response = client_for("street").get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "数据大屏" in html and 'data-url="/api/reports/cockpit/"' in html
    assert f'data-area="{city.streets[0].pk}"' in html
    assert "//" not in "".join(
        part.split('"')[0] for part in html.split("src=")[1:]
    )  # scripts only from the project
    assert client_for("street").get(page, {"area": city.streets[1].pk}).status_code == 404
    assert client_for("street").get(page, {"area": "abc"}).status_code == 404
    assert client_for("street").get(page, {"period": "2025-13"}).status_code == 400
    assert client_for("street").get(page, {"code": "nope"}).status_code == 400
    assert client_for("grid_worker").get(page).status_code == 403
    assert client_for(None).get(page).status_code == 302


@pytest.mark.django_db
def test_the_table_links_to_the_cockpit(city, client_for):
    html = client_for("street").get(reverse("reports:index")).content.decode()
    assert reverse("reports:cockpit") in html and "数据大屏" in html
