"""Area pages (search, drill-down, move form, history): the generic scope tests of tests/base.py."""

from __future__ import annotations

from django.urls import reverse

from gridgov.areas.models import Area

from ..base import (
    REZONE_ROLES,
    VIEW_AREA_ROLES,
    DetailPageTests,
    ListPageTests,
    WritePageTests,
)


class TestAreaPages(ListPageTests, DetailPageTests, WritePageTests):
    """The search page is the area list; the detail page is the drill-down; the move form is the write."""

    model = Area
    list_url_name = "areas:search"
    detail_url_name = "areas:detail"
    allowed_roles = VIEW_AREA_ROLES
    denied_roles = ("resident",)
    writer_roles = REZONE_ROLES

    def list_query(self, city):
        return {"q": "楼"}  # every building's name, in and out of any scope

    def in_scope(self, city, user):
        return city.building_a

    def out_of_scope(self, city, user):
        return city.unit_outside(user).parent

    def title_of(self, obj):
        return obj.name

    def post(self, client, obj):
        return client.post(
            reverse("areas:move", args=[obj.pk]), {"new_parent": obj.parent_id, "reason": "调整"}
        )


class TestAreaHistoryPage(DetailPageTests):
    model = Area
    detail_url_name = "areas:history"
    allowed_roles = VIEW_AREA_ROLES
    denied_roles = ("resident",)

    def in_scope(self, city, user):
        return city.unit_a

    def out_of_scope(self, city, user):
        return city.unit_outside(user)

    def title_of(self, obj):
        return obj.name
