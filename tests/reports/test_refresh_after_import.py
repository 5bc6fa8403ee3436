"""An import queues a refresh of the importer's subtree; the beat task runs the queue (docs/reports.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.reports import services, tasks
from gridgov.reports.models import IndicatorSnapshot, RefreshRequest

from ..helpers import resident_row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db
IMPORTER = "community_worker"  # scope: 东一社区


def _id(n: int) -> str:
    return idcard.build("130102", dt.date(1980, 1, 1), n)


def _snapshot(area, code: str):
    return IndicatorSnapshot.objects.unscoped("test oracle").get(area=area, period="", code=code).value


def test_an_import_queues_its_subtree_and_the_task_refreshes_it(
    city, users, client_for, django_capture_on_commit_callbacks
):
    services.refresh_snapshots(SystemActor("test"))
    community = users[IMPORTER].area
    before = _snapshot(community, "residents")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(IMPORTER).post(
            reverse("people:import"),
            {"file": upload(xlsx_bytes([resident_row("甲", _id(71), city.unit_a.code)]))},
        )
    assert response.status_code == 302
    assert list(RefreshRequest.objects.values_list("area_path", flat=True)) == [community.path]
    assert _snapshot(community, "residents") == before  # not yet: the queue runs every few minutes

    assert tasks.refresh_requested() == [community.path]
    assert _snapshot(community, "residents") == before + 1
    assert not RefreshRequest.objects.exists()
    assert tasks.refresh_requested() == []  # nothing owed


def test_a_rejected_import_queues_nothing(city, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(IMPORTER).post(
            reverse("people:import"),
            {"file": upload(xlsx_bytes([resident_row("甲", _id(72), "99999999999999999999")]))},
        )
    assert response.status_code == 200  # the page lists the bad row
    assert not RefreshRequest.objects.exists()


def test_an_ancestors_request_covers_its_descendants(city):
    services.request_refresh(city.communities[0].path)
    services.request_refresh(city.streets[0].path)
    services.request_refresh(city.grid_a.path)
    assert services.run_requested(SystemActor("test")) == [city.streets[0].path]
    services.request_refresh("")  # a city-wide import (the system, a superuser)
    services.request_refresh(city.grid_a.path)
    assert services.run_requested(SystemActor("test")) == [""]
