"""Scope tests for the facilities endpoints beyond list and detail: walking networks, a position's photo
and reopening, the registry's import and export, and the 10-minute circle's area queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.facilities import services
from gridgov.facilities.models import WalkNetwork

from ..base import (
    Action,
    ActionAPITests,
    AreaQueryAPITests,
    Call,
    DetailAPITests,
    EndpointMatrixTests,
    ListAPITests,
)
from .test_api import EDIT_FACILITY_ROLES, VIEW_FACILITY_ROLES, FacilityObjects


class NetworkObjects:
    """A walking network belongs to a city (its path is the city's): the city administrator sees its own
    city's network and not the other city's; users below the city hold the permission but no network lies
    in their subtree."""

    model = WalkNetwork
    allowed_roles = ("city_admin",)
    denied_roles = ("property", "resident")

    @pytest.fixture(autouse=True)
    def _networks(self, city):
        self.networks = {
            area.pk: WalkNetwork.objects.create(area=area, area_path=area.path, name=f"{area.name}路网")
            for area in (city.city, city.other_city[0])
        }

    def in_scope(self, city, user):
        return self.networks[city.city.pk]

    def out_of_scope(self, city, user):
        return self.networks[city.other_city[0].pk]


class TestWalkNetworkAPI(NetworkObjects, ListAPITests, DetailAPITests):
    basename = "walknetwork"

    @pytest.mark.parametrize("role", [r for r in VIEW_FACILITY_ROLES if r != "city_admin"])
    def test_below_the_city_no_network_is_in_scope(self, city, users, api_for, role):
        client = api_for(role)
        assert client.get(self.list_url()).json()["count"] == 0
        assert client.get(self.detail_url(self.in_scope(city, users[role]).pk)).status_code == 404


def _photo(test, city, user):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    return {"file": SimpleUploadedFile("p.png", png, content_type="image/png")}


@pytest.mark.usefixtures("circle_city")
class TestFacilityActionsAPI(FacilityObjects, ActionAPITests):
    basename = "facility"
    actions = {
        "facility-add-photo": Action(("facilities.change_facility",), data=_photo, multipart=True),
        "facility-reopen": Action(("facilities.change_facility",)),
    }


@pytest.mark.usefixtures("circle_city")
class TestFacilityFilesAPI(EndpointMatrixTests):
    """Positions are no personal data: the export is not audited. An import without a file is the 400 of
    a rejected import; so is a network import."""

    calls = {
        "facility-export-xlsx": Call(("facilities.view_facility", "facilities.export_facility")),
        "facility-import-xlsx": Call(
            ("facilities.add_facility", "facilities.import_facility"),
            method="post",
            multipart=True,
            passed=400,
        ),
        "walknetwork-import-geojson": Call(
            ("facilities.import_walknetwork",), method="post", multipart=True, passed=400
        ),
    }


# --- the circle: ?area= inside the user's scope answers, outside is the 404 of a missing area -----------
@pytest.mark.usefixtures("circle_city")
class CircleArea(AreaQueryAPITests):
    allowed_roles = VIEW_FACILITY_ROLES
    denied_roles = ("property", "resident")


class TestCircleCoverageAPI(CircleArea):
    url_name = "circle-coverage"


class TestCircleMapAPI(CircleArea):
    url_name = "circle-map"


class TestCircleStandardsAPI(CircleArea):
    url_name = "circle-standards"


class TestCircleSitingAPI(CircleArea):
    url_name = "circle-siting"

    @pytest.fixture(autouse=True)
    def _circle_computed(self, circle_city):
        services.compute_coverage(circle_city.city.path)


class TestCircleRecomputeAPI(CircleArea):
    """Starting a recomputation (a job, audited) for an area outside the user's scope starts nothing."""

    url_name = "circle-recompute"
    method = "post"
    ok = 202
    allowed_roles = tuple(r for r in EDIT_FACILITY_ROLES if r in ("city_admin", "district", "street"))
    denied_roles = ("community_secretary", "community_worker", "grid_worker", "property", "resident")


@pytest.mark.usefixtures("circle_city")
class TestCircleNearbyAPI(AreaQueryAPITests):
    """Nearby positions start from a building (`?building=`): one in the user's scope, else 404. A resident
    has no building below its unit and starts from its own (no parameter)."""

    url_name = "circle-nearby"
    area_param = "building"
    allowed_roles = (*VIEW_FACILITY_ROLES, "property")
    denied_roles = ()

    def in_scope_area(self, city, user):
        return city.building_a

    def out_of_scope_area(self, city, user):
        return city.unit_outside(user).parent

    def test_a_resident_starts_from_its_own_building_and_sees_no_other(self, city, users, api_for):
        client = api_for("resident")
        own = client.get(reverse(self.url_name))
        assert own.status_code == 200
        assert own.json()["building"]["id"] == city.building_a.pk
        assert self.ask(client, city.buildings[1].pk).status_code == 404
