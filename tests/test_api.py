"""Concrete API test classes: the generic scope tests of tests/base.py for areas, households, residents."""

from __future__ import annotations

from django.urls import reverse

from gridgov.areas.models import Area
from gridgov.people.models import Household, Resident

from .base import (
    MANAGE_PEOPLE_ROLES,
    REZONE_ROLES,
    UNMASK_ROLES,
    VIEW_AREA_ROLES,
    VIEW_PEOPLE_ROLES,
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


class HouseholdObjects:
    model = Household
    allowed_roles = VIEW_PEOPLE_ROLES
    denied_roles = ("property", "resident")

    def in_scope(self, city, user):
        return city.household_a

    def out_of_scope(self, city, user):
        return city.household_outside(user)


class TestHouseholdAPI(HouseholdObjects, ListAPITests, DetailAPITests):
    basename = "household"

    def test_member_count(self, city, api_for):
        body = api_for("grid_worker").get(self.detail_url(city.household_a.pk)).json()
        assert body["member_count"] == 2
        assert body["unit_code"] == city.unit_a.code


class ResidentObjects:
    model = Resident
    allowed_roles = VIEW_PEOPLE_ROLES
    denied_roles = ("property", "resident")

    def in_scope(self, city, user):
        return city.resident_a

    def out_of_scope(self, city, user):
        return city.resident_outside(user)


class TestResidentAPI(ResidentObjects, ListAPITests, DetailAPITests):
    basename = "resident"

    def test_detail_is_masked(self, city, api_for):
        body = api_for("city_admin").get(self.detail_url(city.resident_a.pk)).json()
        number = city.id_numbers[city.resident_a.pk]
        assert body["id_masked"] == number[:6] + "*" * 8 + number[-4:]
        assert "id_number" not in body
        assert "phone" not in body


class TestResidentUpdateAPI(ResidentObjects, WriteAPITests):
    basename = "resident"
    writer_roles = VIEW_PEOPLE_ROLES
    reader_roles = ()
    write_action = "people.update_resident"

    def write(self, client, obj):
        return client.patch(self.detail_url(obj.pk), {"name": "改名"}, format="json")


class TestResidentUnmaskAPI(ResidentObjects, WriteAPITests):
    """Unmasking is no write, but it is an audited action on one object: same scope rules."""

    basename = "resident"
    writer_roles = UNMASK_ROLES
    reader_roles = tuple(r for r in VIEW_PEOPLE_ROLES if r not in UNMASK_ROLES)
    write_action = "people.unmask"

    def write(self, client, obj):
        return client.post(reverse("resident-unmask", args=[obj.pk]))


def test_role_lists_are_consistent():
    """The shared role lists must follow the role table, or every subclass would test the wrong thing."""
    from gridgov.accounts.roles import ROLE_PERMISSIONS

    def holders(perm):
        return {role for role, perms in ROLE_PERMISSIONS.items() if perm in perms}

    assert holders("areas.view_area") == set(VIEW_AREA_ROLES) | {"merchant"}
    assert holders("people.view_resident") == set(VIEW_PEOPLE_ROLES)
    assert holders("areas.rezone_area") == set(REZONE_ROLES)
    assert holders("people.unmask_resident") == set(UNMASK_ROLES)
    assert holders("people.import_resident") == set(MANAGE_PEOPLE_ROLES)
