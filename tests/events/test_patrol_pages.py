"""Pages: the grid worker's patrol/visit phone page and the grid councils (list and form)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.events.models import Category, Event, GridCouncil, PatrolLog

from ..base import redirects_to_login

pytestmark = pytest.mark.django_db


def test_patrol_page_logs_and_reports(city, users, client_for):
    client = client_for("grid_worker")
    assert client.get(reverse("events:patrol")).status_code == 200
    r = client.post(
        reverse("events:patrol"),
        {"kind": "visit", "area": city.grid_a.pk, "place": "3号楼", "visited": "独居老人"},
    )
    assert r.status_code == 302
    category = Category.objects.get(code="env.garbage")
    r = client.post(
        reverse("events:patrol"),
        {
            "kind": "patrol",
            "area": city.building_a.pk,
            "place": "1号楼",
            "findings": "垃圾堆放",
            "report": "1",
            "category": category.pk,
        },
    )
    assert r.status_code == 302
    logs = PatrolLog.objects.visible_to(users["grid_worker"]).filter(worker=users["grid_worker"])
    assert logs.count() == 2
    with_event = logs.get(place="1号楼")
    assert with_event.event is not None and with_event.event.origin == f"patrol:{with_event.pk}"
    html = client.get(reverse("events:patrol")).content.decode()
    assert with_event.event.number in html and "3号楼" in html


def test_patrol_page_bad_input_out_of_scope_and_permission(city, users, client_for):
    client = client_for("grid_worker")
    counts = (PatrolLog.objects.unscoped("t").count(), Event.objects.unscoped("t").count())
    audit = AuditEvent.objects.count()
    r = client.post(reverse("events:patrol"), {"kind": "patrol", "area": city.grid_a.pk, "place": ""})
    assert r.status_code == 200 and "地点" in r.content.decode()
    r = client.post(reverse("events:patrol"), {"kind": "nonsense", "area": city.grid_a.pk, "place": "x"})
    assert r.status_code == 200
    r = client.post(reverse("events:patrol"), {"kind": "patrol", "area": city.grids[2].pk, "place": "x"})
    assert r.status_code == 404
    assert (PatrolLog.objects.unscoped("t").count(), Event.objects.unscoped("t").count()) == counts
    assert AuditEvent.objects.count() == audit
    assert client_for("resident").get(reverse("events:patrol")).status_code == 403
    assert client_for("property").post(reverse("events:patrol"), {}).status_code == 403
    assert redirects_to_login(client_for(None).get(reverse("events:patrol")))


def test_grid_worker_nav_has_patrol(client_for):
    html = client_for("grid_worker").get(reverse("events:mine")).content.decode()
    assert reverse("events:patrol") in html


def test_councils_list_and_create(city, users, client_for):
    client = client_for("community_worker")
    r = client.post(
        reverse("events:councils"),
        {
            "area": city.grid_a.pk,
            "held_on": "2026-03-01",
            "topic": "停车",
            "decisions": "划线",
            "attendees": "12",
        },
    )
    assert r.status_code == 302
    council = GridCouncil.objects.visible_to(users["community_worker"]).get(topic="停车")
    assert council.attendees == 12
    assert AuditEvent.objects.filter(action="events.council", object_id=str(council.pk)).exists()
    far = GridCouncil.objects.create(
        area=city.other_city[4], area_path=city.other_city[4].path, held_on=council.held_on, topic="外市议题"
    )
    html = client.get(reverse("events:councils")).content.decode()
    assert "停车" in html and "外市议题" not in html
    assert f'data-council="{far.pk}"' not in html


def test_councils_bad_input_scope_and_permission(city, users, client_for):
    client = client_for("community_worker")
    count, audit = GridCouncil.objects.unscoped("t").count(), AuditEvent.objects.count()
    for data in (
        {"area": city.communities[0].pk, "held_on": "2026-03-01", "topic": "x"},  # not a grid
        {"area": city.grid_a.pk, "held_on": "2026-03-01", "topic": ""},
        {"area": city.grid_a.pk, "held_on": "bad", "topic": "x"},
        {"area": city.grid_a.pk, "held_on": "2026-03-01", "topic": "x", "attendees": "-3"},
    ):
        assert client.post(reverse("events:councils"), data).status_code == 200
    # a grid of another community is not offered: "not a valid choice", shown on the form
    r = client.post(
        reverse("events:councils"), {"area": city.grids[2].pk, "held_on": "2026-03-01", "topic": "x"}
    )
    assert r.status_code == 200 and 'data-testid="error-area"' in r.content.decode()
    assert f'value="{city.grids[2].pk}"' not in r.content.decode()
    assert GridCouncil.objects.unscoped("t").count() == count and AuditEvent.objects.count() == audit
    assert client_for("resident").get(reverse("events:councils")).status_code == 403
    assert client_for("property").post(reverse("events:councils"), {}).status_code == 403
