"""Concrete page test classes: the generic scope tests of tests/base.py for area, resident, household pages."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from gridgov.areas.models import Area
from gridgov.core import idcard
from gridgov.people.models import Household, Resident

from .base import (
    REZONE_ROLES,
    UNMASK_ROLES,
    VIEW_AREA_ROLES,
    VIEW_PEOPLE_ROLES,
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


class TestResidentPages(ListPageTests, DetailPageTests, WritePageTests):
    model = Resident
    list_url_name = "people:resident_list"
    detail_url_name = "people:resident_detail"
    allowed_roles = VIEW_PEOPLE_ROLES
    denied_roles = ("property", "resident")
    writer_roles = VIEW_PEOPLE_ROLES

    def in_scope(self, city, user):
        return city.resident_a

    def out_of_scope(self, city, user):
        return city.resident_outside(user)

    def post(self, client, obj):
        return client.post(reverse(self.detail_url_name, args=[obj.pk]), {"name": "改名", "relation": "head"})


class TestResidentUnmaskPage(WritePageTests):
    model = Resident
    detail_url_name = "people:resident_detail"
    writer_roles = UNMASK_ROLES

    def in_scope(self, city, user):
        return city.resident_a

    def out_of_scope(self, city, user):
        return city.resident_outside(user)

    def post(self, client, obj):
        return client.post(reverse("people:resident_unmask", args=[obj.pk]))


class TestHouseholdPages(ListPageTests, DetailPageTests, WritePageTests):
    model = Household
    list_url_name = "people:household_list"
    detail_url_name = "people:household_detail"
    allowed_roles = VIEW_PEOPLE_ROLES
    denied_roles = ("property", "resident")
    writer_roles = VIEW_PEOPLE_ROLES

    def in_scope(self, city, user):
        return city.household_a

    def out_of_scope(self, city, user):
        return city.household_outside(user)

    def title_of(self, obj):
        return obj.unit.name

    def post(self, client, obj):
        number = idcard.build("120101", dt.date(1990, 1, 1), 11)
        return client.post(
            reverse(self.detail_url_name, args=[obj.pk]),
            {"name": "新居民", "id_number": number, "relation": "spouse"},
        )

    def test_post_out_of_scope_registers_nobody(self, city, users, client_for):
        household = self.out_of_scope(city, users["grid_worker"])
        before = Resident.objects.unscoped("test").count()
        assert self.post(client_for("grid_worker"), household).status_code == 404
        assert Resident.objects.unscoped("test").count() == before

    def test_post_in_scope_registers_the_resident(self, city, users, client_for):
        before = Resident.objects.unscoped("test").count()
        response = self.post(client_for("grid_worker"), city.household_a)
        assert response.status_code == 302
        assert Resident.objects.unscoped("test").count() == before + 1
