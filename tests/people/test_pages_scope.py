"""The people pages not covered by test_pages.py, in the scope matrix: exports, the import page and its
template, and the new-household action on a unit."""

from __future__ import annotations

import pytest

from gridgov.areas.models import Area

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from ..conftest import ROLES

pytestmark = pytest.mark.django_db


class TestPeopleCollectionPages(PageMatrixTests):
    pages = {
        "people:export": Page(("people.export_resident",), audited=True),
        "people:household_export": Page(("people.export_resident",), audited=True),
        "people:import": Page(("people.import_resident",)),
        "people:import_template": Page((), roles=tuple(ROLES)),  # an empty form: no rows
    }


class TestHouseholdCreatePage(ObjectPageTests):
    model = Area
    object_pages = {
        "people:household_create": ObjectPage(
            ("people.add_household",), method="post", data=lambda t, c, u, o: {"number": "909"}
        ),
    }

    def in_scope(self, city, user):
        return city.unit_a

    def out_of_scope(self, city, user):
        return city.unit_outside(user)
