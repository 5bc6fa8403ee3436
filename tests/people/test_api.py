"""Household and resident API: the generic scope tests of tests/base.py (list, detail, update, unmask)."""

from __future__ import annotations

from django.urls import reverse

from gridgov.people.models import Household, Resident

from ..base import (
    UNMASK_ROLES,
    VIEW_PEOPLE_ROLES,
    DetailAPITests,
    ListAPITests,
    WriteAPITests,
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
