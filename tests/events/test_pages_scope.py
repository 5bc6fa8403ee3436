"""The events pages not covered by test_pages.py, in the scope matrix: the export, the phone pages (report,
mine, patrol, the place picker), the grid councils, and one reporter's event page (404 outside the
user's scope)."""

from __future__ import annotations

import pytest

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from .test_api import STAFF, EventObjects

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("loop")
class TestEventCollectionPages(PageMatrixTests):
    pages = {
        "events:queue_export": Page(("events.export_event",), audited=True),
        "events:report": Page(("events.add_event",)),
        "events:mine": Page(("events.view_event",)),
        "events:patrol": Page(("events.add_patrollog",)),
        "events:places": Page(("events.add_event",)),
        "events:councils": Page(("events.view_gridcouncil",)),
    }


class TestFollowPage(EventObjects, ObjectPageTests):
    # a resident's or a company's login sees its own reports and orders only (test_pages.py follows those)
    object_pages = {"events:follow": ObjectPage(("events.view_event",), sees=STAFF)}

    @pytest.fixture(autouse=True)
    def _events(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])
