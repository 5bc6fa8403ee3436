"""Pages: the queue and detail (generic scope tests), the resident's phone pages, the ranking page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.events.models import Event

from ..base import DetailPageTests, ListPageTests, WritePageTests
from .conftest import NOW, report
from .test_api import EventObjects

pytestmark = pytest.mark.django_db


class TestEventPages(EventObjects, ListPageTests, DetailPageTests, WritePageTests):
    list_url_name = "events:queue"
    detail_url_name = "events:detail"
    allowed_roles = (
        "city_admin",
        "district",
        "street",
        "community_secretary",
        "community_worker",
        "grid_worker",
    )
    writer_roles = ("street", "community_worker")

    @pytest.fixture(autouse=True)
    def _events(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def post(self, client, obj):
        return client.post(reverse("events:act", args=[obj.pk, "accept"]), {"note": "x"})


def test_resident_reports_and_rates_on_the_phone_pages(city, users, client_for, loop):
    from gridgov.events import services

    client = client_for("resident")
    assert client.get(reverse("events:report")).status_code == 200
    r = client.post(
        reverse("events:report"),
        {
            "category": loop["category"].pk,
            "area": city.unit_a.pk,
            "title": "电梯异响",
            "description": "3号楼",
        },
    )
    assert r.status_code == 302
    event = Event.objects.visible_to(users["resident"]).get(title="电梯异响")
    assert client.get(reverse("events:follow", args=[event.pk])).status_code == 200
    worker = client_for("community_worker")
    page = worker.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert 'data-action="accept"' in page
    worker.post(reverse("events:act", args=[event.pk, "accept"]))
    worker.post(
        reverse("events:act", args=[event.pk, "dispatch"]),
        {"assignee_kind": "property", "unit": loop["company"].pk},
    )
    prop = client_for("property")
    prop.post(reverse("events:act", args=[event.pk, "start"]))
    prop.post(reverse("events:act", args=[event.pk, "finish"]), {"result": "已维修"})
    worker.post(reverse("events:act", args=[event.pk, "verify"]))
    r = worker.post(reverse("events:act", args=[event.pk, "verify"]), follow=True)
    assert "重复提交" in r.content.decode()
    worker.post(reverse("events:act", args=[event.pk, "close"]))
    assert 'data-testid="rate-form"' in client.get(reverse("events:follow", args=[event.pk])).content.decode()
    client.post(reverse("events:act", args=[event.pk, "rate"]), {"rating": "5"})
    event.refresh_from_db()
    assert event.state == "rated" and event.rating == 5
    other = report(users, city, loop, who="community_worker", now=NOW)
    assert client.get(reverse("events:follow", args=[other.pk])).status_code == 404
    assert services.allowed_actions(users["resident"], other) == []


def test_ranking_page(city, users, client_for):
    assert client_for("street").get(reverse("property:ranking")).status_code == 200
    assert client_for("grid_worker").get(reverse("property:ranking")).status_code == 403
    r = client_for("street").get(reverse("property:ranking_export"), {"month": "2025-03"})
    assert r.status_code == 200
