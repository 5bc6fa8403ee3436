"""The facilities pages not covered by test_pages.py / test_close_and_candidates.py, in the scope matrix:
the registry's forms, import and export, the circle's pages and their map data and export (each for an
?area= of the user's, and 404 for another), and the photo upload on a facility outside the scope."""

from __future__ import annotations

import pytest

from gridgov.facilities.models import Facility

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from ..conftest import ROLES
from .conftest import station_inside, station_outside

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("circle_city")]


class TestFacilityCollectionPages(PageMatrixTests):
    pages = {
        "facilities:create": Page(("facilities.add_facility",)),
        "facilities:export": Page(("facilities.export_facility",)),
        "facilities:import": Page(("facilities.import_facility",)),
        "facilities:import_template": Page((), roles=tuple(ROLES)),  # an empty form: no rows
        "facilities:candidate_create": Page(("facilities.add_candidatesite",)),
        "facilities:standards": Page(("facilities.view_facility",), area=True),
        "facilities:coverage": Page(("facilities.view_buildingaccess",), area=True),
        "facilities:coverage_map": Page(("facilities.view_buildingaccess",), area=True),
        "facilities:uncovered_export": Page(("facilities.view_buildingaccess",), area=True),
        "facilities:siting": Page(("facilities.view_candidatesite",), area=True),
        "facilities:network": Page(("facilities.view_walknetwork",), area=True),
        "facilities:nearby": Page(("facilities.view_nearby",)),
        "facilities:recompute": Page(
            ("facilities.recompute_coverage",), method="post", passed=302, area=True, audited=True
        ),
    }


class TestFacilityPhotoPage(ObjectPageTests):
    model = Facility
    object_pages = {"facilities:photo": ObjectPage(("facilities.change_facility",), method="post")}

    def in_scope(self, city, user):
        return station_inside(city, user)

    def out_of_scope(self, city, user):
        return station_outside(city, user)
