"""Issue 13's remaining chains: tasks to emergency groups as work orders, staff points at deactivation,
activations visible in the communities they cover, 双报到 members into the pool, the board's ETag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.emergency import services
from gridgov.emergency.assignees import KIND
from gridgov.emergency.models import Activation, Mode, Post, Responder, WorkGroup
from gridgov.events import services as events
from gridgov.events.models import Event, State
from gridgov.events.services import TransitionRefused
from gridgov.points import services as points
from gridgov.points.models import StaffAward
from tests.factories import UserFactory

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


def _activate(users, emergency, communities=None):
    return services.activate(
        users["street"],
        communities=communities or emergency.communities[:2],
        level=4,
        reason="防汛演练",
        is_drill=True,
    )


def _group(emergency, index=0, mode=Mode.EMERGENCY) -> WorkGroup:
    return (
        WorkGroup.objects.unscoped("t")
        .filter(community=emergency.communities[index], mode=mode)
        .order_by("sort")
        .first()
    )


def _leader_login(group: WorkGroup, *, role=Role.COMMUNITY_WORKER):
    user = UserFactory(role=role, area=group.community)
    Responder.objects.unscoped("t").filter(pk=group.leader_id).update(user=user)
    return user


# --- tasks as work orders ---------------------------------------------------------------------------
def test_street_issues_task_and_group_leader_handles_it(users, emergency):
    act = _activate(users, emergency)
    group = _group(emergency)
    leader = _leader_login(group)
    event = services.issue_task(users["street"], act, group=group, title="转移低洼住户", description="3号楼")
    assert event.state == State.DISPATCHED
    assert (event.assignee_kind, event.assignee_id) == (KIND, group.pk)
    assert group.name in event.assignee_name
    assert AuditEvent.objects.filter(action="emergency.issue_task").count() == 1
    # the leader's login works for the group: it sees the task and runs the usual lifecycle
    assert Event.objects.visible_to(leader).filter(pk=event.pk).exists()
    events.start(leader, event)
    done = events.finish(leader, event, result="已转移 12 户")
    assert done.state == State.HANDLED
    # …while another community worker does not handle it
    other = UserFactory(role=Role.COMMUNITY_WORKER, area=group.community)
    assert "start" not in events.allowed_actions(other, done)
    # the board lists it for the street
    assert list(services.activation_tasks(users["street"], act)) == [done]


def test_task_refused_for_groups_not_activated_out_of_scope_or_normal(users, emergency):
    act = _activate(users, emergency, communities=[emergency.communities[0]])
    with pytest.raises(ServiceError):
        services.issue_task(users["street"], act, group=_group(emergency, 1), title="未启动社区")
    with pytest.raises(ServiceError):
        services.issue_task(users["street"], act, group=_group(emergency, 0, Mode.NORMAL), title="平时组")
    with pytest.raises(ServiceError):
        services.issue_task(users["street"], act, group=_group(emergency), title="")
    with pytest.raises(ServiceError):  # a grid worker may not dispatch
        services.issue_task(users["grid_worker"], act, group=_group(emergency), title="网格员")
    assert not Event.objects.unscoped("t").exists()
    # a dispatch straight to a group whose community is not under activation is refused by the kind
    event = events.report_event(
        users["street"],
        category=events.Category.objects.first(),
        title="直接派遣",
        area=emergency.communities[1],
    )
    events.accept(users["street"], event)
    with pytest.raises(ServiceError, match="应急状态"):
        events.dispatch(users["street"], event, assignee_kind=KIND, assignee_id=_group(emergency, 1).pk)
    far = (
        WorkGroup.objects.unscoped("t")
        .filter(community=emergency.communities[2], mode=Mode.EMERGENCY)
        .first()
    )
    with pytest.raises(TransitionRefused):
        events.dispatch(users["street"], event, assignee_kind=KIND, assignee_id=far.pk)


def test_ended_activation_takes_no_tasks(users, emergency):
    act = _activate(users, emergency)
    services.deactivate(users["street"], act)
    with pytest.raises(ServiceError, match="已结束"):
        services.issue_task(users["street"], act, group=_group(emergency), title="晚了")


def test_board_task_form_and_phone_page(client_for, users, emergency):
    act = _activate(users, emergency)
    group = _group(emergency)
    post = Post.objects.unscoped("t").filter(activation=act, group=group).first()
    Responder.objects.unscoped("t").filter(pk=post.responder_id).update(user=users["resident"])
    street = client_for("street")
    url = reverse("emergency:board", args=[act.pk])
    assert "派发任务" in street.get(url).content.decode()
    bad = street.post(url, {"group": group.pk, "title": "", "description": "保留的说明"})
    html = bad.content.decode()
    assert bad.status_code == 200 and "保留的说明" in html and "errorlist" in html
    assert not Event.objects.unscoped("t").exists()
    foreign = WorkGroup.objects.unscoped("t").filter(community=emergency.communities[2]).first()
    assert street.post(url, {"group": foreign.pk, "title": "越界"}).status_code == 200
    assert not Event.objects.unscoped("t").exists()
    ok = street.post(url, {"group": group.pk, "title": "排查积水点", "description": "东门"})
    assert ok.status_code == 302
    assert "排查积水点" in street.get(url).content.decode()
    # the cadre posted in that group sees it on the phone page
    phone = client_for("resident").get(reverse("emergency:me")).content.decode()
    assert "小组任务" in phone and "排查积水点" in phone
    # a grid worker sees the board but no task form (no dispatch permission)
    html = client_for("grid_worker").get(url).content.decode()
    assert "排查积水点" not in html or "派发任务" not in html


def test_api_tasks(api_for, users, emergency):
    act = _activate(users, emergency)
    group = _group(emergency)
    url = reverse("emergency-activation-tasks", args=[act.pk])
    client = api_for("street")
    bad = client.post(url, {"group": 99999999, "title": "x"}, format="json")
    assert bad.status_code == 400
    foreign = WorkGroup.objects.unscoped("t").filter(community=emergency.communities[2]).first()
    assert client.post(url, {"group": foreign.pk, "title": "x"}, format="json").status_code == 400
    made = client.post(url, {"group": group.pk, "title": "巡查", "category": "other"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["assignee_id"] == group.pk
    listed = client.get(url).json()
    assert [t["title"] for t in listed] == ["巡查"]
    assert (
        api_for("grid_worker").post(url, {"group": group.pk, "title": "y"}, format="json").status_code == 400
    )


# --- staff points ---------------------------------------------------------------------------------------
def _staff_responder(city, emergency, resident):
    from gridgov.areas.models import Area
    from gridgov.workforce import services as wf

    community = Area.objects.unscoped("t").get(path=resident.area_path[:12])
    staff = wf.hire_staff(
        SYSTEM,
        resident=resident,
        community=community,
        post="grid_worker",
        education="bachelor",
        hired_on=dt.date(2020, 1, 1),
    )
    responder = services.register_responder(
        SYSTEM,
        kind="frontline",
        name=resident.name,
        id_number=city.id_numbers[resident.pk],
        employer=emergency.employer,
        community=community,
        home_x=community.x,
        home_y=community.y,
        skills=["general", "medical", "logistics", "security", "publicity"],
    )
    return staff, responder


def test_staff_points_at_deactivation_are_idempotent(
    city, users, emergency, django_capture_on_commit_callbacks
):
    points.fund_pool(SYSTEM, emergency.communities[0], 10_000, key="fund-emergency-test")
    staff, responder = _staff_responder(city, emergency, city.resident_a)
    act = _activate(users, emergency, communities=[emergency.communities[0]])
    post = Post.objects.unscoped("t").filter(activation=act, responder=responder).first()
    assert post is not None  # close to the community, skilled: posted
    services.acknowledge(SYSTEM, post.pk, channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        services.deactivate(users["street"], act)
    awards = StaffAward.objects.unscoped("t").filter(staff=staff)
    assert [(a.category, a.points, a.source) for a in awards] == [
        ("emergency", services.staff_points.POINTS_DRILL, f"emergency:{act.pk}:{staff.pk}")
    ]
    again = services.award_activation_points(SYSTEM, act)
    assert again.awarded == 1 and StaffAward.objects.unscoped("t").filter(staff=staff).count() == 1
    assert again.skipped >= 1  # cadres and leaders who are not community staff


def test_no_points_while_active_or_for_no_shows(city, users, emergency):
    staff, _responder = _staff_responder(city, emergency, city.resident_a)
    act = _activate(users, emergency, communities=[emergency.communities[0]])
    assert services.award_activation_points(SYSTEM, act).awarded == 0  # still active
    services.deactivate(users["street"], act)
    result = services.award_activation_points(SYSTEM, act)
    assert not StaffAward.objects.unscoped("t").filter(staff=staff).exists()  # never acknowledged
    assert result.awarded == 0


# --- activation visible where it applies ------------------------------------------------------------------
def test_community_sees_covering_activation_other_community_does_not(client_for, api_for, users, emergency):
    act = _activate(users, emergency, communities=[emergency.communities[0]])  # 东一 only, by the street
    assert act.area.level < emergency.communities[0].level or act.area == emergency.communities[0]
    Activation.objects.unscoped("t").filter(pk=act.pk).update(
        area=emergency.communities[0].parent, area_path=emergency.communities[0].parent.path
    )  # activated at the street
    secretary = users["community_secretary"]  # 东一
    other = UserFactory(role=Role.COMMUNITY_SECRETARY, area=emergency.communities[1])  # 东二
    assert Activation.objects.visible_to(secretary).filter(pk=act.pk).exists()
    assert Activation.objects.visible_to(users["grid_worker"]).filter(pk=act.pk).exists()
    assert not Activation.objects.visible_to(other).filter(pk=act.pk).exists()
    assert not Activation.objects.visible_to(secretary, "change").filter(pk=act.pk).exists()
    ids = [
        a["id"]
        for a in api_for("community_secretary").get(reverse("emergency-activation-list")).json()["results"]
    ]
    assert act.pk in ids
    html = client_for("community_secretary").get(reverse("emergency:readiness")).content.decode()
    assert "进行中的应急状态" in html and act.reason in html
    assert client_for("community_secretary").get(reverse("emergency:board", args=[act.pk])).status_code == 200
    # viewing is not acting: the community may not end the street's activation
    assert (
        client_for("community_secretary")
        .post(reverse("emergency:board_action", args=[act.pk, "deactivate"]))
        .status_code
        == 403
    )
    with pytest.raises(Exception):  # noqa: B017 — NotAllowed or OutOfScope, either refuses
        services.deactivate(secretary, act)
    assert Activation.objects.unscoped("t").get(pk=act.pk).state == Activation.State.ACTIVE


# --- 双报到 members ----------------------------------------------------------------------------------------
def test_import_party_members_into_pool(city, users, emergency, client_for):
    from gridgov.party.models import PartyMember

    members = []
    for resident in city.residents[:3]:
        members.append(
            PartyMember(
                resident=resident,
                in_service=True,
                workplace="市直机关",
                dual_community=emergency.communities[0],
                area_path=resident.area_path,
            )
        )
    org_field = PartyMember._meta.get_field("org")
    if not org_field.null:
        pytest.skip("party members need an organisation in this schema")
    PartyMember.objects.bulk_create(members)
    before = Responder.objects.unscoped("t").count()
    result = services.import_party_members(users["community_secretary"], emergency.communities[0])
    assert (result.members, result.created, result.already) == (3, 3, 0)
    assert Responder.objects.unscoped("t").count() == before + 3
    again = services.import_party_members(users["community_secretary"], emergency.communities[0])
    assert (again.created, again.already) == (0, 3)
    with pytest.raises(Exception):  # noqa: B017 — out of scope
        services.import_party_members(users["community_secretary"], emergency.communities[1])
    with pytest.raises(ServiceError):
        services.import_party_members(users["grid_worker"], emergency.communities[0])
    page = client_for("community_secretary").post(
        reverse("emergency:import_party", args=[emergency.communities[0].pk])
    )
    assert page.status_code == 302
    assert (
        client_for("community_secretary")
        .post(reverse("emergency:import_party", args=[emergency.communities[1].pk]))
        .status_code
        == 404
    )


# --- the board's ETag ----------------------------------------------------------------------------------------
def test_board_poll_unchanged_is_304_and_cheap(client_for, users, emergency):
    act = _activate(users, emergency)
    c = client_for("street")
    url = reverse("emergency:board", args=[act.pk])
    first = c.get(url, HTTP_HX_REQUEST="true")
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    with CaptureQueriesContext(connection) as full:
        c.get(url, HTTP_HX_REQUEST="true")
    n_full = len(full)
    with CaptureQueriesContext(connection) as same:
        unchanged = c.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    n_same = len(same)
    assert unchanged.status_code == 304
    assert n_same < n_full
    post = Post.objects.unscoped("t").filter(activation=act).first()
    services.acknowledge(SYSTEM, post.pk, channel="sms")
    changed = c.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    print(f"board poll queries: full {n_full}, unchanged {n_same}")


def test_emergency_group_kind_is_registered_from_emergency():
    from gridgov.events import assignees

    kinds = {k.kind: k for k in assignees.kinds()}
    assert KIND in kinds and not kinds[KIND].is_area
    assert kinds[KIND].validate.__module__ == "gridgov.emergency.assignees"
