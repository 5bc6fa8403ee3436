"""The area pages not covered by test_pages.py, in the scope matrix: the drill-down's export and the
re-zoning form actions (retire, add a child) on an area outside the user's subtree."""

from __future__ import annotations

import pytest

from gridgov.areas.models import Area

from ..base import ObjectPage, ObjectPageTests

pytestmark = pytest.mark.django_db


class TestAreaObjectPages(ObjectPageTests):
    model = Area
    object_pages = {
        "areas:export": ObjectPage(("areas.view_area",)),
        "areas:retire": ObjectPage(
            ("areas.rezone_area",), method="post", data=lambda t, c, u, o: {"reason": "撤并"}
        ),
        "areas:add_child": ObjectPage(
            ("areas.add_area",), method="post", data=lambda t, c, u, o: {"name": "新网格"}
        ),
    }

    def in_scope(self, city, user):
        return city.unit_a

    def out_of_scope(self, city, user):
        return city.unit_outside(user)
