"""Hostile input on the events API and pages: bodies that are not objects, fields of the wrong type, ids
outside the user's area, filter values out of range — every one a 4xx (or a form error) with a Chinese
message, and nothing changed. Also what the schema promises about these endpoints."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.events import services
from gridgov.events.models import Event, EventTransition, GridCouncil, PatrolLog

from ..base import state_of
from .conftest import SYSTEM, report, to_state

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
HUGE = "99999999999999999999"

# action (URL name) -> (the state it starts from, who may take it, a body of the wrong types)
ACTIONS = {
    "accept": ("reported", "community_worker", {"note": {"x": 1}}),
    "reject": ("reported", "community_worker", {"note": ["不予受理"]}),
    "merge": ("reported", "community_worker", {"into": "AAA"}),
    "dispatch": ("accepted", "community_worker", {"assignee_kind": "property", "assignee_id": "AAA"}),
    "start": ("dispatched", "property", {"note": {"x": 1}}),
    "return": ("dispatched", "property", {"note": {"x": 1}}),
    "finish": ("handling", "property", {"result": {"x": 1}}),
    "verify": ("handled", "community_worker", {"note": {"x": 1}}),
    "reopen": ("handled", "community_worker", {"note": []}),
    "close": ("verified", "community_worker", {"note": {"x": 1}}),
    "escalate": ("reported", "community_worker", {"note": {"x": 1}}),
    "rate": ("closed", "resident", {"rating": "AAA", "comment": "好"}),
}


def _unchanged(event: Event):
    """A check that the event, its trail and the audit log are as they were."""
    before = (
        state_of(event),
        EventTransition.objects.filter(event=event).count(),
        AuditEvent.objects.count(),
    )

    def check():
        fresh = Event.objects.unscoped("test").get(pk=event.pk)
        after = (
            state_of(fresh),
            EventTransition.objects.filter(event=event).count(),
            AuditEvent.objects.count(),
        )
        assert after == before

    return check


def _post(client, name: str, pk: int, body: str):
    return client.generic("POST", reverse(f"event-{name}", args=[pk]), body, content_type="application/json")


@pytest.mark.parametrize("name", sorted(ACTIONS))
@pytest.mark.parametrize("body", ["0", "[]", '"text"', "[{}]", "{bad json"])
def test_action_body_that_is_not_an_object_is_a_chinese_400(name, body, city, users, api_for, loop):
    state, role, _wrong = ACTIONS[name]
    event = to_state(users, city, loop, state)
    unchanged = _unchanged(event)
    response = _post(api_for(role), name, event.pk, body)
    assert response.status_code == 400, response.content
    assert CHINESE.search(response.json()["detail"])
    unchanged()


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_fields_of_the_wrong_type_are_a_chinese_400(name, city, users, api_for, loop):
    state, role, wrong = ACTIONS[name]
    event = to_state(users, city, loop, state)
    unchanged = _unchanged(event)
    response = _post(api_for(role), name, event.pk, json.dumps(wrong))
    assert response.status_code == 400, response.content
    field = next(k for k, v in wrong.items() if not isinstance(v, str) or v == "AAA")
    assert field in response.json() and CHINESE.search(str(response.json()[field]))
    unchanged()


@pytest.mark.parametrize("name", ["reject", "return", "reopen", "finish"])
def test_a_required_reason_missing_is_a_chinese_400(name, city, users, api_for, loop):
    state, role, _wrong = ACTIONS[name]
    event = to_state(users, city, loop, state)
    unchanged = _unchanged(event)
    response = _post(api_for(role), name, event.pk, "{}")
    assert response.status_code == 400 and CHINESE.search(str(response.json()))
    unchanged()


def test_rating_out_of_range_is_a_400(city, users, api_for, loop):
    event = to_state(users, city, loop, "closed")
    unchanged = _unchanged(event)
    for rating in (0, 6, int(HUGE), -1e308):
        response = _post(api_for("resident"), "rate", event.pk, json.dumps({"rating": rating}))
        assert response.status_code == 400 and "rating" in response.json()
    unchanged()


def test_merge_into_an_event_outside_the_users_area_is_a_400(city, users, api_for, loop):
    event = report(users, city, loop)
    far = services.report_event(SYSTEM, category=loop["category"], title="外市", area=city.other_city[-1])
    unchanged = _unchanged(event)
    for into in (far.pk, 10**9, HUGE):
        response = _post(api_for("community_worker"), "merge", event.pk, json.dumps({"into": into}))
        assert response.status_code == 400 and "into" in response.json()
    unchanged()


def test_dispatch_ids_past_the_range_are_a_400(city, users, api_for, loop):
    event = to_state(users, city, loop, "accepted")
    unchanged = _unchanged(event)
    for body in (
        {"assignee_kind": "grid", "assignee_area": int(HUGE)},
        {"assignee_kind": "property", "assignee_id": -1},
        {"assignee_kind": "nonsense", "assignee_id": 1},
    ):
        response = _post(api_for("community_worker"), "dispatch", event.pk, json.dumps(body))
        assert response.status_code == 400, body
    unchanged()


def test_an_action_on_an_event_outside_the_users_area_is_404_whatever_the_body(city, users, api_for, loop):
    far = services.report_event(SYSTEM, category=loop["category"], title="外市", area=city.other_city[-1])
    unchanged = _unchanged(far)
    for body in ("0", "{}", '{"note": {"x": 1}}'):
        assert _post(api_for("community_worker"), "accept", far.pk, body).status_code == 404
    unchanged()


def test_attach_takes_only_a_multipart_file(city, users, api_for, loop):
    event = report(users, city, loop)
    unchanged = _unchanged(event)
    client = api_for("resident")
    assert _post(client, "attach", event.pk, "0").status_code == 415
    response = client.post(reverse("event-attach", args=[event.pk]), {}, format="multipart")
    assert response.status_code == 400 and CHINESE.search(str(response.json()))
    unchanged()


@pytest.mark.parametrize(
    "url",
    [
        lambda pk: reverse("event-list"),
        lambda pk: reverse("event-detail", args=[pk]),
        lambda pk: reverse("event-close", args=[pk]),
        lambda pk: reverse("event-duplicates"),
        lambda pk: reverse("event-patrol-list"),
        lambda pk: reverse("event-council-list"),
    ],
)
def test_trace_is_405(url, city, users, api_for, loop):
    event = report(users, city, loop)
    response = api_for("community_worker").generic("TRACE", url(event.pk))
    assert response.status_code == 405 and CHINESE.search(response.json()["detail"])


# --- creates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url_name", "role", "body", "field"),
    [
        ("event-list", "resident", {"category": "AAA", "title": "x", "area": 1}, "category"),
        ("event-list", "resident", {"category": 1, "title": {"x": 1}, "area": 1}, "title"),
        ("event-list", "resident", {"category": 1, "title": "x", "area": HUGE}, "area"),
        (
            "event-list",
            "resident",
            {"category": 1, "title": "x", "area": 1, "attachments": "AAA"},
            "attachments",
        ),
        ("event-patrol-list", "grid_worker", {"kind": "patrol", "area": "AAA", "place": "x"}, "area"),
        ("event-patrol-list", "grid_worker", {"kind": "nonsense", "area": 1, "place": "x"}, "kind"),
        ("event-council-list", "community_worker", {"area": 1, "held_on": "AAA", "topic": "x"}, "held_on"),
        (
            "event-council-list",
            "community_worker",
            {"area": 1, "held_on": "2026-03-01", "attendees": HUGE},
            "attendees",
        ),
    ],
)
def test_create_with_wrong_types_is_a_chinese_400_and_creates_nothing(
    url_name, role, body, field, city, api_for
):
    counts = (
        Event.objects.unscoped("test").count(),
        PatrolLog.objects.unscoped("test").count(),
        GridCouncil.objects.unscoped("test").count(),
    )
    response = api_for(role).post(reverse(url_name), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and CHINESE.search(str(response.json()[field]))
    assert (
        Event.objects.unscoped("test").count(),
        PatrolLog.objects.unscoped("test").count(),
        GridCouncil.objects.unscoped("test").count(),
    ) == counts


def test_patrol_and_council_in_another_area_are_a_400_and_create_nothing(city, users, api_for):
    count = (PatrolLog.objects.unscoped("test").count(), GridCouncil.objects.unscoped("test").count())
    r = api_for("grid_worker").post(
        reverse("event-patrol-list"),
        {"kind": "patrol", "area": city.other_city[4].pk, "place": "x"},
        format="json",
    )
    assert r.status_code == 400 and "area" in r.json()
    r = api_for("community_worker").post(
        reverse("event-council-list"),
        {"area": city.grids[2].pk, "held_on": "2026-03-01", "topic": "x"},
        format="json",
    )
    assert r.status_code == 400 and "area" in r.json()
    assert (PatrolLog.objects.unscoped("test").count(), GridCouncil.objects.unscoped("test").count()) == count


def test_a_resident_reports_anywhere_in_the_community_but_not_beyond(city, users, api_for, loop):
    """The report's place is report_event's rule (wider than what a resident lists): another unit of the
    community is fine, another community is 404 and reports nothing."""
    client = api_for("resident")
    body = {"category": loop["category"].pk, "title": "路灯坏了"}
    assert (
        client.post(reverse("event-list"), {**body, "area": city.units[1].pk}, format="json").status_code
        == 201
    )
    count = Event.objects.unscoped("test").count()
    assert (
        client.post(reverse("event-list"), {**body, "area": city.units[2].pk}, format="json").status_code
        == 404
    )
    assert Event.objects.unscoped("test").count() == count


# --- filters and query parameters ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        {"category": HUGE},
        {"category": "abc"},
        {"assignee_id": HUGE},
        {"assignee_id": "1e20"},
        {"assignee_id": "-1e308"},
        {"assignee_kind": "nonsense"},
        {"state": "nonsense"},
        {"area": HUGE},
        {"page": "1e30"},
    ],
)
def test_event_filter_values_out_of_range_are_a_chinese_400(query, city, api_for):
    response = api_for("community_worker").get(reverse("event-list"), query)
    assert response.status_code == 400, response.content
    assert CHINESE.search(response.content.decode())


def test_event_filters_resolve_in_the_users_area(city, users, api_for, loop):
    mine = to_state(users, city, loop, "dispatched")
    client = api_for("community_worker")
    rows = client.get(reverse("event-list"), {"assignee_kind": "property", "assignee_id": loop["company"].pk})
    assert [r["id"] for r in rows.json()["results"]] == [mine.pk]
    # an area outside the user's one selects nothing (it is not a 500, nor a way to look outside)
    assert client.get(reverse("event-list"), {"area": city.other_city[0].pk}).json()["results"] == []
    assert client.get(reverse("event-patrol-list"), {"kind": "nonsense"}).status_code == 400


def test_duplicates_query_is_checked(city, users, api_for, loop):
    event = report(users, city, loop, who="community_worker", now=timezone.now())  # inside the window
    client = api_for("community_worker")
    ok = client.get(reverse("event-duplicates"), {"category": loop["category"].pk, "area": city.unit_a.pk})
    assert ok.status_code == 200 and [r["id"] for r in ok.json()] == [event.pk]
    for query in (
        {},
        {"category": loop["category"].pk},
        {"category": "abc", "area": city.unit_a.pk},
        {"category": loop["category"].pk, "area": city.other_city[-1].pk},
        {"category": loop["category"].pk, "area": HUGE},
    ):
        response = client.get(reverse("event-duplicates"), query)
        assert response.status_code == 400, query
        assert CHINESE.search(response.content.decode())


# --- the schema says what the endpoints do --------------------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _ref(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_schema_assignee_kind_admits_the_blank_it_returns(schema, city, users, api_for, loop):
    report(users, city, loop)
    returned = {
        row["assignee_kind"]
        for row in api_for("community_worker").get(reverse("event-list")).json()["results"]
    }
    prop = schema["components"]["schemas"]["Event"]["properties"]["assignee_kind"]
    allowed = {value for choice in prop["oneOf"] for value in _ref(schema, choice)["enum"]}
    assert "" in returned and returned <= allowed


def test_schema_documents_the_real_bodies_and_answers(schema):
    paths = schema["paths"]
    detail = {"$ref": "#/components/schemas/EventDetail"}
    for name in ("accept", "close", "dispatch", "finish", "merge", "rate", "reject", "return"):
        op = paths[f"/api/events/{{id}}/{name}/"]["post"]
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == detail, name
        body = _ref(schema, op["requestBody"]["content"]["application/json"]["schema"])
        assert body["properties"], name
    rate = _ref(
        schema,
        paths["/api/events/{id}/rate/"]["post"]["requestBody"]["content"]["application/json"]["schema"],
    )
    assert rate["properties"]["rating"]["type"] == "integer" and "rating" in rate["required"]
    create = paths["/api/events/"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == detail
    duplicates = paths["/api/events/duplicates/"]["get"]
    assert duplicates["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert {p["name"] for p in duplicates["parameters"] if p["in"] == "query"} == {"category", "area"}


# --- pages: the action forms ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("reject", {"note": ""}, "请填写理由"),
        ("merge", {"into": "SJ000"}, "未找到工单"),
        ("dispatch", {"assignee_kind": "nonsense"}, "派遣对象类型"),
        ("dispatch", {"assignee_kind": "grid", "area": "abc"}, "请从列表中选择承办区域"),
        ("accept", {"note": "x" * 501}, "说明"),
    ],
)
def test_page_action_with_bad_input_shows_the_error_and_changes_nothing(
    name, data, message, city, users, client_for, loop
):
    state = "accepted" if name == "dispatch" else "reported"
    event = to_state(users, city, loop, state)
    client = client_for("community_worker")  # logging in writes its own audit row
    unchanged = _unchanged(event)
    response = client.post(reverse("events:act", args=[event.pk, name]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="action-errors"' in html and message in html
    unchanged()


def test_page_rating_out_of_range_shows_the_error_on_the_phone_page(city, users, client_for, loop):
    event = to_state(users, city, loop, "closed")
    client = client_for("resident")
    unchanged = _unchanged(event)
    response = client.post(reverse("events:act", args=[event.pk, "rate"]), {"rating": "9"})
    assert response.status_code == 200 and "评价须为 1 到 5 星" in response.content.decode()
    assert 'data-testid="rate-form"' in response.content.decode()
    unchanged()


def test_page_finish_with_a_bad_photo_finishes_nothing(city, users, client_for, loop):
    event = to_state(users, city, loop, "handling")
    client = client_for("property")
    unchanged = _unchanged(event)
    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = client.post(
        reverse("events:act", args=[event.pk, "finish"]), {"result": "已修复", "photos": [fake]}
    )
    assert response.status_code == 200 and "JPG" in response.content.decode()
    assert "已修复" in response.content.decode()  # what was typed is kept
    unchanged()
    assert event.attachments.count() == 0


def test_page_unknown_action_is_404_and_get_is_405(city, users, client_for, loop):
    event = report(users, city, loop)
    client = client_for("community_worker")
    assert client.post(reverse("events:act", args=[event.pk, "nonsense"])).status_code == 404
    assert client.get(reverse("events:act", args=[event.pk, "accept"])).status_code == 405


def test_queue_filters_are_checked_and_an_unknown_state_still_means_unfinished(city, users, client_for, loop):
    open_one = report(users, city, loop)
    closed = to_state(users, city, loop, "closed")
    client = client_for("community_worker")
    for query in ({}, {"state": "nonsense"}, {"state": "open"}):
        html = client.get(reverse("events:queue"), query).content.decode()
        assert open_one.number in html and closed.number not in html, query
    html = client.get(reverse("events:queue"), {"state": "all"}).content.decode()
    assert open_one.number in html and closed.number in html
    response = client.get(reverse("events:queue"), {"category": HUGE, "state": "all"})
    assert response.status_code == 200 and 'data-testid="filter-errors"' in response.content.decode()
    assert open_one.number not in response.content.decode()


def test_council_page_bad_input_keeps_what_was_typed(city, client_for):
    count = GridCouncil.objects.unscoped("test").count()
    response = client_for("community_worker").post(
        reverse("events:councils"),
        {"area": city.grid_a.pk, "held_on": "bad", "topic": "停车难", "attendees": "x"},
    )
    html = response.content.decode()
    assert (
        response.status_code == 200
        and 'data-testid="error-held_on"' in html
        and 'data-testid="error-attendees"' in html
    )
    assert 'value="停车难"' in html
    assert GridCouncil.objects.unscoped("test").count() == count


def test_queue_page_downloads_its_rows_with_format_xlsx(city, users, client_for, loop):
    report(users, city, loop)
    client = client_for("community_worker")
    on_page = client.get(reverse("events:queue"), {"state": "all", "format": "xlsx"})
    own_url = client.get(reverse("events:queue_export"), {"state": "all"})
    assert on_page.status_code == own_url.status_code == 200
    assert (
        on_page["Content-Disposition"]
        == own_url["Content-Disposition"]
        == 'attachment; filename="events-all.xlsx"'
    )
