"""Requests the workforce API used to answer with a 500 (issue 11 §4): TRACE on the checks and figures,
id filters past any column or outside the requester's scope, action bodies that are not an object; and
the partial updates that now go through the services. Each bad request is a 4xx with a Chinese message
and changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.workforce import services
from gridgov.workforce.models import Competition, GridAssignment, SalaryScale, Studio

from ..base import state_of

SYSTEM = SystemActor("tests.workforce")
HUGE = "99999999999999999999"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese(response) -> bool:
    return bool(CHINESE.search(response.content.decode()))


@pytest.mark.parametrize(
    "url",
    [
        reverse("wf-figures-list"),
        reverse("wf-check-list"),
        reverse("wf-check-detail", args=["grids_without_worker"]),
    ],
)
def test_trace_is_405(city, api_for, url):
    assert api_for("city_admin").generic("TRACE", url).status_code == 405


@pytest.mark.parametrize("basename", ["wf-training", "wf-assignment"])
@pytest.mark.parametrize("value", [HUGE, "1e20", "-1e308", "abc"])
def test_staff_filter_out_of_range_is_400(city, crew, api_for, basename, value):
    response = api_for("street").get(reverse(f"{basename}-list"), {"staff": value})
    assert response.status_code == 400 and chinese(response)


def test_staff_filter_in_the_requesters_scope(city, users, crew, api_for):
    client = api_for("community_secretary")
    inside = crew.grid_workers[city.grid_a.pk]
    rows = client.get(reverse("wf-assignment-list"), {"staff": inside.pk}).json()["results"]
    assert {r["staff"] for r in rows} == {inside.pk} and rows
    outside = crew.grid_workers[city.unit_outside(users["community_secretary"]).parent.parent_id]
    assert client.get(reverse("wf-assignment-list"), {"staff": outside.pk}).status_code == 400


@pytest.mark.parametrize(
    "action",
    ["change-post", "certificate", "training", "assign-grid", "unassign-grid", "evaluate", "replace"],
)
@pytest.mark.parametrize("raw", ["0", "[]"])
def test_staff_actions_need_an_object_body(city, crew, api_for, action, raw):
    staff = crew.grid_workers[city.grid_a.pk]
    before, audits = state_of(staff), AuditEvent.objects.count()
    url = reverse(f"wf-staff-{action}", args=[staff.pk])
    response = api_for("city_admin").generic("POST", url, raw, content_type="application/json")
    assert response.status_code == 400 and chinese(response)
    assert state_of(staff) == before and AuditEvent.objects.count() == audits


def test_assign_grid_outside_the_requester_is_400(city, users, crew, api_for):
    staff = crew.grid_workers[city.grid_a.pk]
    outside = city.unit_outside(users["community_secretary"]).parent.parent
    before = GridAssignment.objects.unscoped("test").count()
    for grid in (outside.pk, HUGE, city.communities[0].pk):  # outside, past any id, not a grid
        response = api_for("community_secretary").post(
            reverse("wf-staff-assign-grid", args=[staff.pk]), {"grid": grid}, format="json"
        )
        assert response.status_code == 400 and "grid" in response.json()
    assert GridAssignment.objects.unscoped("test").count() == before


def test_unassign_reads_the_reason(city, crew, api_for):
    staff = crew.grid_workers[city.grid_a.pk]
    url = reverse("wf-staff-unassign-grid", args=[staff.pk])
    assert api_for("community_secretary").post(url, {}, format="json").status_code == 400
    response = api_for("community_secretary").post(url, {"reason": "调岗"}, format="json")
    assert response.status_code == 200 and response.json()["id"] == staff.pk
    assert not GridAssignment.objects.unscoped("test").filter(staff=staff, ended_on__isnull=True).exists()


def test_score_needs_an_object_body(city, crew, api_for):
    district = city.districts[0]
    comp = services.create_competition(SYSTEM, district, title="擂台赛", year=2025)
    rnd = services.add_round(SYSTEM, comp, held_on=dt.date(2025, 9, 1))
    presentation = services.add_presentation(SYSTEM, rnd, crew.secretaries[city.communities[0].pk])
    url = reverse("wf-presentation-score", args=[presentation.pk])
    for raw in ("0", "[]", '{"judge": "甲", "score": "AAA"}'):
        response = api_for("district").generic("POST", url, raw, content_type="application/json")
        assert response.status_code == 400 and chinese(response), raw
    assert not presentation.scores.exists()


def test_competition_partial_update_goes_through_the_service(city, users, api_for):
    comp = services.create_competition(SYSTEM, city.districts[0], title="擂台赛", year=2025)
    url = reverse("wf-competition-detail", args=[comp.pk])
    response = api_for("district").patch(url, {"title": "第二届擂台赛"}, format="json")
    assert response.status_code == 200, response.content
    comp = Competition.objects.unscoped("test").get(pk=comp.pk)
    assert (comp.title, comp.year) == ("第二届擂台赛", 2025)
    assert AuditEvent.objects.filter(action="workforce.update_competition", actor=users["district"]).exists()
    moved = api_for("district").patch(url, {"district": city.districts[1].pk}, format="json")
    assert moved.status_code == 200
    assert Competition.objects.unscoped("test").get(pk=comp.pk).district_id == city.districts[0].pk


def test_studio_partial_update_keeps_the_other_fields(city, crew, api_for):
    lead = crew.secretaries[city.communities[0].pk]
    studio = services.create_studio(
        SYSTEM, city.communities[0], name="红心工作室", training_base="东一基地", lead=lead
    )
    url = reverse("wf-studio-detail", args=[studio.pk])
    response = api_for("city_admin").patch(url, {"name": "红心书记工作室"}, format="json")
    assert response.status_code == 200, response.content
    studio = Studio.objects.unscoped("test").get(pk=studio.pk)
    assert (studio.name, studio.training_base, studio.lead_id) == ("红心书记工作室", "东一基地", lead.pk)


def test_scale_import_with_a_bad_date_is_400(city, api_for):
    response = api_for("city_admin").post(
        reverse("wf-scale-import-xlsx"),
        {"name": "2026版", "effective_from": "2026-13-01"},
        format="multipart",
    )
    assert response.status_code == 400 and "effective_from" in response.json()
    assert not SalaryScale.objects.filter(name="2026版").exists()
