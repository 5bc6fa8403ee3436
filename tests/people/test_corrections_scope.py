"""Correction requests in the scope matrix, pages and the resident's own API route: the community's list
and one request (with its decision form), the staff's form on a resident, the resident's 我的信息 page and
`points/me/corrections` (only a login linked to a resident)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.people.models import Resident
from gridgov.points import services as points_services

from ..base import (
    Call,
    DetailPageTests,
    EndpointMatrixTests,
    ListPageTests,
    ObjectPage,
    ObjectPageTests,
    Page,
    PageMatrixTests,
    WritePageTests,
)
from .test_corrections import DECIDERS, SYSTEM, CorrectionObjects

pytestmark = pytest.mark.django_db


class TestCorrectionPages(CorrectionObjects, ListPageTests, DetailPageTests, WritePageTests):
    list_url_name = "people:correction_list"
    detail_url_name = "people:correction_detail"
    writer_roles = DECIDERS

    def list_query(self, city):
        return {"status": "all"}

    def title_of(self, obj):
        return Resident.objects.unscoped("test oracle").get(pk=obj.resident_id).name

    def post(self, client, obj):
        return client.post(reverse("people:correction_detail", args=[obj.pk]), {"decision": "approve"})


class TestResidentCorrectionPage(ObjectPageTests):
    model = Resident
    object_pages = {"people:resident_correction": ObjectPage(("people.change_resident",))}

    def in_scope(self, city, user):
        return city.resident_a

    def out_of_scope(self, city, user):
        return city.resident_outside(user)


class _Linked:
    @pytest.fixture(autouse=True)
    def _linked(self, city, users):
        points_services.link_resident(SYSTEM, users["resident"], city.resident_a)


class TestMyDataPage(_Linked, PageMatrixTests):
    pages = {"web:my_data": Page((), roles=("resident",))}


class TestMyCorrectionsAPI(_Linked, EndpointMatrixTests):
    calls = {"points-me-corrections": Call((), roles=("resident",))}
