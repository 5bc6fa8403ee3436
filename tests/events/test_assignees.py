"""The assignee registry (events.assignees): events dispatches to, shows to and lets handle the units of
kinds other apps register, without knowing their models; property's companies are one such kind."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError, Q
from django.urls import reverse

from gridgov.core.services import ServiceError
from gridgov.events import assignees, services
from gridgov.events.models import Event, State

from ..base import state_of
from .conftest import NOW, report, to_state

pytestmark = pytest.mark.django_db


def test_every_kind_is_registered_and_property_comes_from_its_app():
    kinds = {k.kind: k for k in assignees.kinds()}
    assert set(kinds) == {"department", "property", "community", "grid", "emergency_group"}
    assert kinds["property"].validate.__module__ == "gridgov.property.assignees"
    assert kinds["emergency_group"].validate.__module__ == "gridgov.emergency.assignees"
    assert all(kinds[k].is_area for k in ("department", "community", "grid"))


def test_an_unregistered_kind_is_refused_and_nothing_changes(users, city, loop):
    event = services.accept(users["community_worker"], report(users, city, loop), now=NOW)
    before = state_of(event)
    with pytest.raises(ServiceError, match="派遣对象类型无效"):
        services.dispatch(users["community_worker"], event, assignee_kind="nonsense", assignee_id=1, now=NOW)
    assert state_of(event) == before


def test_a_missing_company_is_a_clear_error_on_the_page_and_the_api(users, city, loop, client_for, api_for):
    event = services.accept(users["community_worker"], report(users, city, loop), now=NOW)
    before = state_of(event)
    page = client_for("community_worker").post(
        reverse("events:act", args=[event.pk, "dispatch"]),
        {"assignee_kind": "property", "unit": "99999999999999999999999"},
        follow=True,
    )
    assert page.status_code == 200 and "请从列表中选择承办单位" in page.content.decode()
    api = api_for("community_worker").post(
        reverse("event-dispatch", args=[event.pk]),
        {"assignee_kind": "property", "assignee_id": 987654},
        format="json",
    )
    assert api.status_code == 400 and "请选择承办的物业企业" in str(api.json())
    assert state_of(event) == before


def test_the_event_stores_a_generic_reference_to_the_company(users, city, loop):
    event = to_state(users, city, loop, State.DISPATCHED)
    assert (event.assignee_kind, event.assignee_id, event.assignee_name) == (
        "property",
        loop["company"].pk,
        "青山物业",
    )
    assert event.assignee_area_id is None


def test_an_area_kind_stores_the_area_and_its_id(users, city, loop):
    event = services.accept(users["community_worker"], report(users, city, loop), now=NOW)
    event = services.dispatch(
        users["community_worker"], event, assignee_kind="grid", assignee_area=city.grid_a, now=NOW
    )
    assert (event.assignee_kind, event.assignee_id, event.assignee_area_id) == (
        "grid",
        city.grid_a.pk,
        city.grid_a.pk,
    )


def test_a_company_with_work_orders_cannot_be_deleted(users, city, loop):
    """The foreign key's PROTECT is kept by property, now that events holds a generic reference."""
    to_state(users, city, loop, State.DISPATCHED)
    with pytest.raises(ProtectedError):
        loop["company"].delete()


@pytest.fixture
def team_kind():
    """A kind another app might add (a volunteer team): the grid worker's login works for team 7."""
    seen = {}

    def validate(actor, target_id, name):
        if target_id != 7:
            raise ServiceError("没有这个队伍")
        return assignees.Target("team", 7, "青年志愿队")

    assignees.register(
        "team",
        label="志愿队",
        validate=validate,
        acts_for=lambda user: user.username == "grid_worker",
        unit_of=lambda user: 7,
        visible_q=lambda user: seen.setdefault("q", Q(assignee_kind="team", assignee_id=7)),
    )
    yield
    assignees.unregister("team")


def test_a_kind_registered_by_another_app_is_dispatched_seen_and_handled_by_its_login(
    users, city, loop, team_kind
):
    # reported in building A (grid A): dispatched to the team, which the grid-A worker's login works for
    event = services.accept(users["community_worker"], report(users, city, loop), now=NOW)
    worker = users["grid_worker"]
    assert not Event.objects.visible_to(worker).filter(pk=event.pk).exists()  # the team's view, not grid A's
    event = services.dispatch(users["community_worker"], event, assignee_kind="team", assignee_id=7, now=NOW)
    assert (event.assignee_kind, event.assignee_id, event.assignee_name) == ("team", 7, "青年志愿队")
    assert Event.objects.visible_to(worker).filter(pk=event.pk).exists()
    assert "start" in services.allowed_actions(worker, event)
    assert services.start(worker, event, now=NOW).state == State.HANDLING
