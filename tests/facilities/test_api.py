"""API endpoints: the generic scope tests of tests/base.py, plus the circle's read endpoints."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from gridgov.facilities import services
from gridgov.facilities.models import BuildingAccess, CandidateSite, Facility

from ..base import DetailAPITests, ListAPITests, WriteAPITests
from .conftest import SYSTEM, station_inside, station_outside

VIEW_FACILITY_ROLES = (
    "city_admin",
    "district",
    "street",
    "community_secretary",
    "community_worker",
    "grid_worker",
)
EDIT_FACILITY_ROLES = ("city_admin", "district", "street", "community_secretary", "community_worker")


class FacilityObjects:
    model = Facility
    allowed_roles = VIEW_FACILITY_ROLES
    denied_roles = ("property", "resident")

    def in_scope(self, city, user):
        return station_inside(city, user)

    def out_of_scope(self, city, user):
        return station_outside(city, user)


class TestFacilityAPI(FacilityObjects, ListAPITests, DetailAPITests):
    basename = "facility"


class TestFacilityUpdateAPI(FacilityObjects, WriteAPITests):
    basename = "facility"
    writer_roles = EDIT_FACILITY_ROLES
    reader_roles = ("grid_worker",)
    write_action = "facilities.update"

    def write(self, client, obj):
        return client.patch(self.detail_url(obj.pk), {"opening_hours": "每日 8:00-20:00"}, format="json")


class TestFacilityCloseAPI(FacilityObjects, WriteAPITests):
    basename = "facility"
    writer_roles = EDIT_FACILITY_ROLES
    reader_roles = ("grid_worker",)
    write_action = "facilities.close"

    def write(self, client, obj):
        return client.post(reverse("facility-close", args=[obj.pk]), {"reason": "装修"}, format="json")


class CandidateObjects:
    model = CandidateSite
    allowed_roles = VIEW_FACILITY_ROLES
    denied_roles = ("property", "resident")

    @pytest.fixture(autouse=True)
    def _sites_made(self, circle_city):
        circle_city.sites = {
            b.pk: services.create_candidate(SYSTEM, name=f"{b.name}闲置用房", area=b)
            for b in [*circle_city.buildings, circle_city.other_city[5]]
        }

    def _sites(self, city):
        return city.sites

    def in_scope(self, city, user):
        return self._sites(city)[city.building_a.pk]

    def out_of_scope(self, city, user):
        return self._sites(city)[city.unit_outside(user).parent_id]


class TestCandidateAPI(CandidateObjects, ListAPITests, DetailAPITests):
    basename = "candidatesite"


class TestCandidateWithdrawAPI(CandidateObjects, WriteAPITests):
    basename = "candidatesite"
    writer_roles = EDIT_FACILITY_ROLES
    reader_roles = ("grid_worker",)
    write_action = "facilities.update_candidate"

    def write(self, client, obj):
        return client.post(reverse("candidatesite-withdraw", args=[obj.pk]))


class AccessObjects:
    model = BuildingAccess
    allowed_roles = VIEW_FACILITY_ROLES
    denied_roles = ("property", "resident")

    @pytest.fixture(autouse=True)
    def _circle_computed(self, circle_city):
        services.compute_coverage(circle_city.city.path)
        services.compute_coverage(circle_city.other_city[0].path)

    def _computed(self, city):
        return BuildingAccess.objects.unscoped("test")

    def in_scope(self, city, user):
        return self._computed(city).get(building=city.building_a)

    def out_of_scope(self, city, user):
        return self._computed(city).get(building_id=city.unit_outside(user).parent_id)


class TestBuildingAccessAPI(AccessObjects, ListAPITests, DetailAPITests):
    basename = "buildingaccess"


# The base classes use the plain `city` fixture: lay it out (and make its stations) first.
for _cls in (TestFacilityAPI, TestFacilityUpdateAPI, TestFacilityCloseAPI):
    pytest.mark.usefixtures("circle_city")(_cls)


def test_create_outside_any_area_is_400_and_writes_nothing(circle_city, api_for):
    before = Facility.objects.unscoped("test").count()
    response = api_for("street").post(
        reverse("facility-list"), {"kind": "red_station", "name": "城外", "x": 90000, "y": 0}, format="json"
    )
    assert response.status_code == 400
    assert "不在您管辖的任何区域内" in json.dumps(response.json(), ensure_ascii=False)
    assert Facility.objects.unscoped("test").count() == before


def test_create_with_negative_area_is_400(circle_city, api_for):
    response = api_for("street").post(
        reverse("facility-list"),
        {"kind": "red_station", "name": "负", "x": 300, "y": 300, "floor_area": "-1"},
        format="json",
    )
    assert response.status_code == 400


def test_circle_endpoints(circle_city, api_for, users):
    services.compute_coverage(circle_city.city.path)
    client = api_for("street")
    body = client.get(reverse("circle-coverage")).json()
    assert body["area"]["id"] == users["street"].area_id
    assert body["covered"]["household_share"] == 100.0 and body["fallback"] is True
    assert client.get(reverse("circle-map")).json()["covered"]
    standards = client.get(reverse("circle-standards")).json()
    assert standards["counts"]["red_station"] == 4
    assert {c["status"] for c in standards["failing"]} == {"missing"}
    assert client.get(reverse("circle-siting"), {"k": 2}).status_code == 200
    assert client.get(reverse("circle-coverage"), {"area": circle_city.streets[1].pk}).status_code == 404
    assert api_for("resident").get(reverse("circle-coverage")).status_code == 403


def test_nearby_for_a_resident(circle_city, api_for):
    body = api_for("resident").get(reverse("circle-nearby")).json()
    assert body["building"]["id"] == circle_city.building_a.pk
    assert body["positions"][0]["name"] == circle_city.stations[0].name
    assert body["positions"][0]["within_circle"] is True
    # Another building is out of the resident's scope: 404.
    assert (
        api_for("resident")
        .get(reverse("circle-nearby"), {"building": circle_city.buildings[3].pk})
        .status_code
        == 404
    )


def test_network_import_api(circle_city, api_for):
    from .test_services import STREETS

    upload = io.BytesIO(json.dumps(STREETS).encode())
    upload.name = "streets.geojson"
    assert api_for("street").post(reverse("walknetwork-import-geojson"), {"file": upload}).status_code == 403
    upload.seek(0)
    response = api_for("city_admin").post(
        reverse("walknetwork-import-geojson"), {"file": upload, "name": "路网"}
    )
    assert response.status_code == 201, response.content
    bad = io.BytesIO(
        b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [1, 1]}}]}'
    )
    bad.name = "bad.geojson"
    response = api_for("city_admin").post(reverse("walknetwork-import-geojson"), {"file": bad})
    assert response.status_code == 400 and response.json()["errors"]


def test_export_and_import_api(circle_city, api_for):
    response = api_for("street").get(reverse("facility-export-xlsx"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert api_for("grid_worker").get(reverse("facility-export-xlsx")).status_code == 403
    from .test_services import sheet

    response = api_for("street").post(
        reverse("facility-import-xlsx"), {"file": sheet([["红色驿站", "负", "", 300, 300, -1, "", "", ""]])}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["line"] == 2
