"""Events API: scope on every endpoint (generic base classes), the loop over HTTP, bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.events import services
from gridgov.events.models import Event, GridCouncil, PatrolLog

from ..base import DetailAPITests, ListAPITests, WriteAPITests, state_of
from .conftest import NOW, SYSTEM, report

pytestmark = pytest.mark.django_db

STAFF = ("city_admin", "district", "street", "community_secretary", "community_worker", "grid_worker")


class EventObjects:
    model = Event

    def in_scope(self, city, user):
        event = Event.objects.unscoped("t").filter(area_path=city.unit_a.path).first()
        return event or services.report_event(
            SYSTEM, category=self._category(), title="路灯坏了", area=city.unit_a, now=NOW
        )

    def out_of_scope(self, city, user):
        event = Event.objects.unscoped("t").filter(area_path=city.other_city[-1].path).first()
        return event or services.report_event(
            SYSTEM, category=self._category(), title="外市事件", area=city.other_city[-1], now=NOW
        )

    def _category(self):
        from gridgov.events.models import Category

        return Category.objects.get(code="env.garbage")


class TestEventAPI(EventObjects, ListAPITests, DetailAPITests, WriteAPITests):
    basename = "event"
    allowed_roles = STAFF
    writer_roles = ("city_admin", "district", "street", "community_secretary", "community_worker")
    reader_roles = ("grid_worker",)
    write_action = "events.accept"

    @pytest.fixture(autouse=True)
    def _events(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def write(self, client, obj):
        return client.post(reverse("event-accept", args=[obj.pk]), {"note": "受理"}, format="json")


def test_resident_sees_and_rates_only_own_events(city, users, api_for, loop):
    mine = report(users, city, loop)
    other = report(users, city, loop, who="community_worker")
    client = api_for("resident")
    ids = {row["id"] for row in client.get(reverse("event-list")).json()["results"]}
    assert ids == {mine.pk}
    assert client.get(reverse("event-detail", args=[other.pk])).status_code == 404
    before = state_of(other)
    assert (
        client.post(reverse("event-rate", args=[other.pk]), {"rating": 5}, format="json").status_code == 404
    )
    assert state_of(other) == before


def test_the_loop_over_http(city, users, api_for, loop):
    resident = api_for("resident")
    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    response = resident.post(
        reverse("event-list"),
        {"category": loop["category"].pk, "title": "电梯停了", "area": city.unit_a.pk, "attachments": [png]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert len(response.json()["attachments"]) == 1
    worker = api_for("community_worker")
    assert worker.post(reverse("event-accept", args=[pk]), {}, format="json").status_code == 200
    again = worker.post(reverse("event-accept", args=[pk]), {}, format="json")
    assert again.status_code == 400 and "重复提交" in again.json()["detail"]
    r = worker.post(
        reverse("event-dispatch", args=[pk]),
        {"assignee_kind": "property", "assignee_id": loop["company"].pk},
        format="json",
    )
    assert r.status_code == 200, r.content
    prop = api_for("property")
    assert prop.post(reverse("event-start", args=[pk]), {}, format="json").status_code == 200
    assert (
        prop.post(reverse("event-finish", args=[pk]), {"result": "已修复"}, format="json").status_code == 200
    )
    bad_close = worker.post(reverse("event-close", args=[pk]), {}, format="json")
    assert bad_close.status_code == 400
    assert worker.post(reverse("event-verify", args=[pk]), {}, format="json").status_code == 200
    assert worker.post(reverse("event-close", args=[pk]), {}, format="json").status_code == 200
    r = resident.post(reverse("event-rate", args=[pk]), {"rating": 5, "comment": "很快"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "rated"
    detail = resident.get(reverse("event-detail", args=[pk])).json()
    assert [t["action"] for t in detail["transitions"]] == [
        "report",
        "accept",
        "dispatch",
        "start",
        "finish",
        "verify",
        "close",
        "rate",
    ]


def test_oversized_or_wrong_type_attachment_changes_nothing(city, users, api_for, loop, settings):
    event = report(users, city, loop)
    client = api_for("resident")
    audit_rows = AuditEvent.objects.count()
    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    r = client.post(reverse("event-attach", args=[event.pk]), {"file": fake}, format="multipart")
    assert r.status_code == 400 and "JPG" in r.json()["detail"]
    settings.GRIDGOV_EVENT_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("x.pdf", b"%PDF-1.4" + b"0" * 100, content_type="application/pdf")
    r = client.post(reverse("event-attach", args=[event.pk]), {"file": big}, format="multipart")
    assert r.status_code == 400
    assert event.attachments.count() == 0 and AuditEvent.objects.count() == audit_rows


def test_dispatch_permission_and_out_of_scope_target(city, users, api_for, loop):
    event = report(users, city, loop)
    services.accept(users["community_worker"], event, now=NOW)
    r = api_for("grid_worker").post(
        reverse("event-dispatch", args=[event.pk]), {"assignee_kind": "grid"}, format="json"
    )
    assert r.status_code == 403
    r = api_for("community_worker").post(
        reverse("event-dispatch", args=[event.pk]),
        {"assignee_kind": "community", "assignee_area": city.communities[3].pk},
        format="json",
    )
    assert r.status_code == 400 and "管辖范围" in r.json()["detail"]


def test_patrol_with_finding_becomes_a_work_order_and_council(city, users, api_for, loop):
    client = api_for("grid_worker")
    r = client.post(
        reverse("event-patrol-list"),
        {
            "kind": "patrol",
            "area": city.grid_a.pk,
            "place": "3号楼",
            "findings": "消防通道堆物",
            "report_category": loop["category"].pk,
            "started_at": "2026-03-04T09:00:00+08:00",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    log = PatrolLog.objects.unscoped("t").get(pk=r.json()["id"])
    assert log.event is not None and log.event.origin == f"patrol:{log.pk}"
    r = client.post(
        reverse("event-patrol-list"),
        {"kind": "visit", "area": city.grid_b.pk, "place": "x", "started_at": "2026-03-04T09:00:00+08:00"},
        format="json",
    )
    assert r.status_code == 400 and "area" in r.json()  # another grid: not a valid choice
    r = client.post(
        reverse("event-council-list"),
        {
            "area": city.grid_a.pk,
            "held_on": "2026-03-04",
            "topic": "停车难",
            "decisions": "划线",
            "attendees": 12,
        },
        format="json",
    )
    assert r.status_code == 201
    assert GridCouncil.objects.visible_to(users["grid_worker_b"]).count() == 0
    assert {
        row["id"] for row in api_for("grid_worker").get(reverse("event-council-list")).json()["results"]
    } == {r.json()["id"]}
