"""Resident and household pages: the generic scope tests of tests/base.py."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from gridgov.core import idcard
from gridgov.people.models import Household, Resident

from ..base import (
    UNMASK_ROLES,
    VIEW_PEOPLE_ROLES,
    DetailPageTests,
    ListPageTests,
    WritePageTests,
)


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
