"""The emergency API: scope, roles, bad bodies are 4xx, activation round trip."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.emergency.models import Activation, Post, PostState, Responder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BASE = "/api/emergency"


def test_responder_list_is_scoped(api_for, emergency):
    r = api_for("street").get(f"{BASE}/responders/?page_size=500")
    assert r.status_code == 200
    paths = {row["community"] for row in r.json()["results"]}
    assert paths == {emergency.communities[0].pk, emergency.communities[1].pk}
    assert all("*" in row["id_masked"] for row in r.json()["results"])
    other = Responder.objects.unscoped("t").filter(community=emergency.communities[2]).first()
    assert api_for("street").get(f"{BASE}/responders/{other.pk}/").status_code == 404
    assert api_for("resident").get(f"{BASE}/responders/").status_code == 403
    assert api_for(None).get(f"{BASE}/responders/").status_code == 401


def test_register_responder_via_api(api_for, emergency):
    body = {
        "kind": "cadre",
        "name": "李明",
        "id_number": "11010519491231002X",
        "phone": "13700137000",
        "employer": emergency.employer.pk,
        "community": emergency.communities[0].pk,
        "home_x": 10,
        "home_y": 20,
        "skills": ["medical", "driving"],
        "restricted": ["driving"],
    }
    r = api_for("community_worker").post(f"{BASE}/responders/", body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["skills"] == ["medical", "driving"]
    again = api_for("community_worker").post(f"{BASE}/responders/", body, format="json")
    assert again.status_code == 400 and "已登记" in again.json()["detail"]
    outside = {**body, "id_number": "110105194912310038", "community": emergency.communities[2].pk}
    assert api_for("community_worker").post(f"{BASE}/responders/", outside, format="json").status_code == 400
    assert api_for("grid_worker").post(f"{BASE}/responders/", body, format="json").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        0,
        [],
        {},
        {"communities": "x"},
        {"communities": [99999999999999999999]},
        {"communities": [1], "level": 9, "reason": ""},
    ],
)
def test_bad_bodies_are_400(api_for, emergency, body):
    r = api_for("street").post(f"{BASE}/activations/preview/", body, format="json")
    assert r.status_code == 400


def test_activation_round_trip(api_for, emergency, users):
    ids = [c.pk for c in emergency.communities[:2]]
    body = {"communities": ids, "level": 4, "reason": "防汛演练", "is_drill": True}
    preview = api_for("street").post(f"{BASE}/activations/preview/", body, format="json")
    assert preview.status_code == 200, preview.content
    assert {c["id"] for c in preview.json()["communities"]} == set(ids)
    assert not Activation.objects.unscoped("t").exists()
    made = api_for("street").post(f"{BASE}/activations/activate/", body, format="json")
    assert made.status_code == 201, made.content
    act_id = made.json()["id"]
    assert made.json()["posted"] == preview.json()["posted"]
    twice = api_for("street").post(f"{BASE}/activations/activate/", body, format="json")
    assert twice.status_code == 400 and "已处于应急状态" in twice.json()["detail"]
    assert (
        api_for("grid_worker").post(f"{BASE}/activations/activate/", body, format="json").status_code == 403
    )
    outside = {**body, "communities": [emergency.communities[2].pk]}
    assert api_for("street").post(f"{BASE}/activations/activate/", outside, format="json").status_code == 400
    # the responder acknowledges through my-posts; someone else's post is refused
    post = Post.objects.unscoped("t").filter(activation_id=act_id).first()
    Responder.objects.unscoped("t").filter(pk=post.responder_id).update(user=users["resident"])
    mine = api_for("resident").get(f"{BASE}/my-posts/")
    assert next(p["id"] for p in mine.json()["results"]) == post.pk
    other = Post.objects.unscoped("t").filter(activation_id=act_id).exclude(pk=post.pk).first()
    assert api_for("resident").post(f"{BASE}/my-posts/{other.pk}/acknowledge/").status_code == 400
    assert api_for("resident").post(f"{BASE}/my-posts/99999999999999999999/acknowledge/").status_code == 400
    ok = api_for("resident").post(f"{BASE}/my-posts/{post.pk}/acknowledge/")
    assert ok.status_code == 200 and ok.json()["state"] == PostState.ACKNOWLEDGED
    board = api_for("street").get(f"{BASE}/activations/{act_id}/board/").json()
    assert sum(g["acknowledged"] for g in board["groups"]) == 1
    assert (
        api_for("street").post(f"{BASE}/activations/{act_id}/reassign/").status_code == 400
    )  # before deadline
    end = api_for("street").post(
        f"{BASE}/activations/{act_id}/deactivate/", {"note": "演练结束"}, format="json"
    )
    assert end.status_code == 200 and end.json()["record"]["acknowledged"] == 1
    assert api_for("district").get(f"{BASE}/activations/{act_id}/").status_code == 200
    # the street's activation is visible in the communities it covers (东一, the secretary's), not elsewhere
    assert api_for("community_secretary").get(f"{BASE}/activations/{act_id}/").status_code == 200
    other = UserFactory(role=Role.COMMUNITY_SECRETARY, area=emergency.communities[2])
    client = APIClient()
    client.force_authenticate(other)
    assert client.get(f"{BASE}/activations/{act_id}/").status_code == 404


def test_groups_and_readiness(api_for, emergency):
    r = api_for("community_secretary").get(f"{BASE}/groups/?mode=emergency")
    assert r.status_code == 200 and r.json()["count"] == 7
    form = api_for("community_secretary").post(
        f"{BASE}/groups/form/", {"communities": [emergency.communities[0].pk]}, format="json"
    )
    assert form.status_code == 200 and form.json()["groups"] == 11
    bad = api_for("community_secretary").post(
        f"{BASE}/groups/form/", {"communities": [emergency.communities[1].pk]}, format="json"
    )
    assert bad.status_code == 400
    ref = api_for("street").post(
        f"{BASE}/readiness/refresh/", {"area": emergency.communities[0].pk}, format="json"
    )
    assert ref.status_code == 200
    rows = api_for("street").get(f"{BASE}/readiness/").json()["results"]
    assert {row["community"] for row in rows} == {c.pk for c in emergency.communities[:2]}


@pytest.mark.parametrize(
    "query",
    [
        "employer=99999999999999999999",
        "community=abc",
        "kind=x",
        "page=1e30",
        "community=-1e308",
        "state=zzz",
    ],
)
def test_hostile_filters_never_5xx(api_for, emergency, query):
    for path in ("responders", "activations", "groups", "readiness"):
        r = api_for("city_admin").get(f"{BASE}/{path}/?{query}")
        assert r.status_code in (200, 400), (path, query, r.status_code)
    assert api_for("city_admin").generic("TRACE", f"{BASE}/my-posts/").status_code == 405
