"""Requests the party API and pages used to answer with a 500 (issue 11 §4): TRACE on the function-like
endpoints, id filters past any column or outside the requester's scope, bodies that are not an object.
Each is a 4xx with a Chinese message (or, on a page, the filter's error and no rows) and changes nothing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.party.models import OrgChange, PartyOrg

from ..base import state_of
from ..helpers import read_xlsx

HUGE = "99999999999999999999"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese(response) -> bool:
    return bool(CHINESE.search(response.content.decode()))


@pytest.mark.parametrize(
    "url",
    [
        reverse("party-figures-list"),
        reverse("party-check-list"),
        reverse("party-check-detail", args=["grids_without_branch"]),
    ],
)
def test_trace_is_405(city, api_for, url):
    assert api_for("city_admin").generic("TRACE", url).status_code == 405


@pytest.mark.parametrize("value", [HUGE, "1e20", "-1e308", "1.5", "abc"])
def test_member_org_filter_out_of_range_is_400(city, network, api_for, value):
    response = api_for("grid_worker").get(reverse("party-member-list"), {"org": value})
    assert response.status_code == 400 and chinese(response)


def test_member_org_filter_in_the_requesters_scope(city, users, network, api_for):
    client = api_for("grid_worker")
    inside = network.branches[city.grid_a.pk]
    rows = client.get(reverse("party-member-list"), {"org": inside.pk}).json()["results"]
    assert [r["id"] for r in rows] == [network.members[city.grid_a.pk].pk]
    outside = network.branches[city.grid_b.pk]
    assert client.get(reverse("party-member-list"), {"org": outside.pk}).status_code == 400


@pytest.mark.parametrize("value", [HUGE, "1e20", "abc"])
def test_central_household_group_filter_is_400(city, network, api_for, value):
    response = api_for("street").get(reverse("party-central-list"), {"group": value})
    assert response.status_code == 400 and chinese(response)


def test_member_page_with_a_bad_org_shows_no_rows(city, network, client_for):
    member = network.members[city.grid_a.pk]
    client = client_for("grid_worker")
    ok = client.get(reverse("party:member_list"), {"org": network.branches[city.grid_a.pk].pk})
    assert ok.status_code == 200 and member.resident.name in ok.content.decode()
    for value in (HUGE, "1e20", str(network.branches[city.grid_b.pk].pk)):
        response = client.get(reverse("party:member_list"), {"org": value})
        assert response.status_code == 200 and member.resident.name not in response.content.decode()
    export = client_for("street").get(reverse("party:member_export"), {"org": "1e20"})
    assert export.status_code == 200 and read_xlsx(export.content) == []  # the page's rows: none


@pytest.mark.parametrize("action", ["merge", "reparent", "dissolve", "coverage", "split"])
@pytest.mark.parametrize("raw", ["0", "[]"])
def test_reorganisation_needs_an_object_body(city, network, api_for, action, raw):
    org = network.groups[city.building_a.pk]
    before, audits = state_of(org), AuditEvent.objects.count()
    url = reverse(f"party-org-{action}", args=[org.pk])
    response = api_for("street").generic("POST", url, raw, content_type="application/json")
    assert response.status_code == 400 and chinese(response)
    assert state_of(org) == before and AuditEvent.objects.count() == audits


def test_merge_target_outside_the_requester_is_400(city, users, network, api_for):
    org = network.groups[city.building_a.pk]
    other = network.groups[city.unit_outside(users["street"]).parent_id]
    for target in (other.pk, HUGE):
        response = api_for("street").post(
            reverse("party-org-merge", args=[org.pk]), {"target": target, "reason": "调整"}, format="json"
        )
        assert response.status_code == 400 and "target" in response.json()
    assert PartyOrg.objects.unscoped("test").get(pk=org.pk).is_active


def test_create_with_a_parent_outside_is_400(city, users, network, api_for):
    outside = network.branches[city.unit_outside(users["street"]).parent.parent_id]
    for parent in (outside.pk, HUGE):
        body = {
            "kind": "building_group",
            "name": "新党小组",
            "parent": parent,
            "covers": [city.building_a.pk],
        }
        response = api_for("street").post(reverse("party-org-list"), body, format="json")
        assert response.status_code == 400 and "parent" in response.json()
    assert not PartyOrg.objects.unscoped("test").filter(name="新党小组").exists()


def test_history_is_a_plain_list(city, network, api_for):
    org = network.groups[city.building_a.pk]
    body = api_for("street").get(reverse("party-org-history", args=[org.pk])).json()
    expected = list(OrgChange.objects.unscoped("test").filter(org=org).values_list("id", flat=True))
    assert isinstance(body, list) and expected
    assert [row["id"] for row in body] == expected
