"""Area API: the generic scope tests of tests/base.py (list, detail, rename, move)."""

from __future__ import annotations

from django.urls import reverse

from gridgov.areas.models import Area

from ..base import (
    REZONE_ROLES,
    VIEW_AREA_ROLES,
    DetailAPITests,
    ListAPITests,
    WriteAPITests,
)


class AreaObjects:
    model = Area
    allowed_roles = VIEW_AREA_ROLES
    denied_roles = ("resident",)

    def in_scope(self, city, user):
        return city.unit_a

    def out_of_scope(self, city, user):
        return city.unit_outside(user)


class TestAreaAPI(AreaObjects, ListAPITests, DetailAPITests):
    basename = "area"

    def test_detail_carries_figures(self, city, api_for):
        body = api_for("street").get(self.detail_url(city.grid_a.pk)).json()
        assert body["figures"]["residents"] == 2
        assert body["figures"]["households"] == 1
        assert body["path"] == city.grid_a.path


class TestAreaRenameAPI(AreaObjects, WriteAPITests):
    basename = "area"
    writer_roles = REZONE_ROLES
    reader_roles = ("community_secretary", "community_worker", "grid_worker", "property")
    write_action = "areas.rename"

    def write(self, client, obj):
        return client.post(reverse("area-rename", args=[obj.pk]), {"name": "改名单元"}, format="json")


class TestAreaMoveAPI(AreaObjects, WriteAPITests):
    """Moving a building: the out-of-scope building is 404 even with a valid, visible new parent."""

    basename = "area"
    writer_roles = REZONE_ROLES
    reader_roles = ("community_secretary", "community_worker", "grid_worker", "property")
    write_action = "areas.move"

    def in_scope(self, city, user):
        self.new_parent = city.grid_b
        return city.building_a

    def out_of_scope(self, city, user):
        self.new_parent = city.grid_b
        return city.unit_outside(user).parent

    def write(self, client, obj):
        return client.post(
            reverse("area-move", args=[obj.pk]),
            {"new_parent": self.new_parent.pk, "reason": "网格调整"},
            format="json",
        )
