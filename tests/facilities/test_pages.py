"""Pages: the generic scope tests of tests/base.py for the registry, and the circle's pages."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from gridgov.facilities import services
from gridgov.facilities.models import WalkNetwork

from ..base import DetailPageTests, ListPageTests, WritePageTests, redirects_to_login
from .conftest import SYSTEM, station_inside, station_outside
from .test_api import VIEW_FACILITY_ROLES


@pytest.mark.usefixtures("circle_city")
class TestFacilityPages(ListPageTests, DetailPageTests, WritePageTests):
    from gridgov.facilities.models import Facility as model

    list_url_name = "facilities:list"
    detail_url_name = "facilities:detail"
    allowed_roles = VIEW_FACILITY_ROLES
    denied_roles = ("property", "resident")
    writer_roles = ("city_admin", "district", "street", "community_secretary", "community_worker")

    def list_query(self, city):
        return {"q": "红色驿站", "page_size": 100}

    def in_scope(self, city, user):
        return station_inside(city, user)

    def out_of_scope(self, city, user):
        return station_outside(city, user)

    def title_of(self, obj):
        return obj.name

    def post(self, client, obj):
        return client.post(
            reverse("facilities:detail", args=[obj.pk]), {"name": "改名", "host_type": "public"}
        )


@pytest.mark.usefixtures("circle_city")
class TestFacilityTogglePage(WritePageTests):
    from gridgov.facilities.models import Facility as model

    detail_url_name = "facilities:detail"
    writer_roles = ("city_admin", "district", "street", "community_secretary", "community_worker")

    def in_scope(self, city, user):
        return station_inside(city, user)

    def out_of_scope(self, city, user):
        return station_outside(city, user)

    def post(self, client, obj):
        return client.post(reverse("facilities:toggle", args=[obj.pk]), {"reason": "装修", "confirm": "on"})


CIRCLE_PAGES = ["facilities:coverage", "facilities:standards", "facilities:siting", "facilities:candidates"]


@pytest.mark.parametrize("name", CIRCLE_PAGES)
def test_circle_pages_for_each_role(circle_city, client_for, name):
    services.compute_coverage(circle_city.city.path)
    assert redirects_to_login(client_for(None).get(reverse(name)))
    for role in VIEW_FACILITY_ROLES:
        assert client_for(role).get(reverse(name)).status_code == 200, role
    for role in ("property", "resident"):
        assert client_for(role).get(reverse(name)).status_code == 403, role
    # Another street's area is out of scope: 404 (a list page's ?area= filter just gives nothing).
    other = client_for("street").get(reverse(name), {"area": circle_city.streets[1].pk})
    assert other.status_code == (200 if name == "facilities:candidates" else 404)


def test_coverage_page_says_when_the_fallback_is_used(circle_city, client_for):
    services.compute_coverage(circle_city.city.path)
    html = client_for("street").get(reverse("facilities:coverage")).content.decode()
    assert 'data-testid="fallback"' in html and "绕行系数" in html
    assert "echarts-5.6.0.min.js" in html and "cdn" not in html.lower()
    from .test_services import STREETS

    services.import_network(SYSTEM, area=circle_city.city, data=json.dumps(STREETS))
    services.compute_coverage(circle_city.city.path)
    html = client_for("street").get(reverse("facilities:coverage")).content.decode()
    assert 'data-testid="fallback"' not in html


def test_coverage_map_data_stays_in_scope(circle_city, client_for):
    services.compute_coverage(circle_city.city.path)
    data = client_for("grid_worker").get(reverse("facilities:coverage_map")).json()
    assert [f["properties"]["id"] for f in data["geojson"]["features"]] == [circle_city.grid_a.pk]
    assert len(data["covered"]) + len(data["uncovered"]) == 1


def test_standards_page_lists_failing_communities(circle_city, client_for):
    services.create_facility(SYSTEM, kind="centre", name="东二中心", x=1500, y=1000, floor_area="0.5")
    html = client_for("city_admin").get(reverse("facilities:standards")).content.decode()
    assert "东二社区" in html and "面积不足" in html and "没有党群服务中心" in html
    assert "902" in html  # the report's figure next to the platform's count


def test_siting_page(circle_city, client_for):
    services.compute_coverage(circle_city.city.path)
    services.create_candidate(SYSTEM, name="某闲置用房", area=circle_city.buildings[2])
    html = client_for("city_admin").get(reverse("facilities:siting"), {"k": 3}).content.decode()
    assert 'data-testid="picks"' in html


def test_resident_phone_page(circle_city, client_for):
    response = client_for("resident").get(reverse("facilities:nearby"))
    assert response.status_code == 200
    html = response.content.decode()
    assert circle_city.stations[0].name in html and "生活圈内" in html
    assert (
        client_for("resident")
        .get(reverse("facilities:nearby"), {"building": circle_city.buildings[3].pk})
        .status_code
        == 404
    )
    assert redirects_to_login(client_for(None).get(reverse("facilities:nearby")))


def test_create_page(circle_city, client_for):
    client = client_for("community_worker")
    response = client.post(
        reverse("facilities:create"),
        {
            "kind": "red_station",
            "name": "新驿站",
            "x": 400,
            "y": 400,
            "host_type": "idle",
            "services": ["tools"],
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("facilities:create"),
        {"kind": "red_station", "name": "远", "x": 3500, "y": 400, "host_type": "idle"},
    )
    assert response.status_code == 200 and "不在您管辖的任何区域内" in response.content.decode()
    assert client_for("grid_worker").get(reverse("facilities:create")).status_code == 403


def test_network_page_rejects_fragments(circle_city, client_for):
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 500], [4000, 500]]}},
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[100, 1800], [300, 1800]]},
            },
        ],
    }
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "net.geojson"
    response = client_for("city_admin").post(reverse("facilities:network"), {"file": upload})
    assert response.status_code == 200 and "不连通" in response.content.decode()
    assert not WalkNetwork.objects.unscoped("test").exists()
    assert client_for("street").post(reverse("facilities:network"), {"file": upload}).status_code == 403


def test_import_page_lists_bad_rows(circle_city, client_for):
    from .test_services import sheet

    response = client_for("street").post(
        reverse("facilities:import"), {"file": sheet([["红色驿站", "负", "", 300, 300, -1, "", "", ""]])}
    )
    assert 'data-testid="import-errors"' in response.content.decode()
