"""Services: forming groups, activation with its constraints, bad input changes nothing, the episode."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.emergency import services
from gridgov.emergency.models import (
    SKILL_BIT,
    Activation,
    GroupTemplate,
    Mode,
    Post,
    PostState,
    Readiness,
    Responder,
    WorkGroup,
)

from .conftest import SYSTEM, register

pytestmark = pytest.mark.django_db
ALL = "test"


def _posts(**kw):
    return Post.objects.unscoped(ALL).filter(**kw)


def test_groups_formed_4_and_7_with_leaders_and_valid_posts(emergency):
    groups = WorkGroup.objects.unscoped(ALL)
    for c in emergency.communities:
        assert groups.filter(community=c, mode=Mode.NORMAL).count() == 4
        assert groups.filter(community=c, mode=Mode.EMERGENCY).count() == 7
    assert all(g.leader_id for g in groups)
    for mode in Mode.values:
        posts = list(_posts(activation=None, group__mode=mode).select_related("responder", "group"))
        responders = [p.responder_id for p in posts]
        assert len(responders) == len(set(responders)), "one standing post per responder and mode"
        leaders = set(groups.filter(mode=mode).values_list("leader_id", flat=True))
        assert not leaders & set(responders)
        for p in posts:
            assert p.responder.usable_skills() & SKILL_BIT[p.skill]
            assert p.responder.community_id == p.group.community_id
    for g in groups:
        filled = _posts(group=g, activation=None).count()
        assert filled + sum(v for k, v in g.shortfall.items() if k != "leader") == g.headcount


def test_reforming_keeps_standing_posts(emergency):
    before = set(_posts(activation=None).values_list("id", "responder_id", "group_id"))
    services.form_groups(SYSTEM, emergency.communities)
    assert set(_posts(activation=None).values_list("id", "responder_id", "group_id")) == before


def test_community_without_responders_lists_its_shortfall(city, emergency):
    Responder.objects.unscoped(ALL).filter(community=emergency.communities[3]).update(is_active=False)
    services.form_groups(SYSTEM, [emergency.communities[3]])
    groups = WorkGroup.objects.unscoped(ALL).filter(community=emergency.communities[3])
    for g in groups:
        assert g.shortfall == {**g.required, "leader": 1}
        assert not g.is_formed


def test_district_override_applies_to_its_communities(city, emergency, users):
    rows = [
        {"code": f"g{i}", "name": f"小组{i}", "leader_post": "组长", "requirements": {"general": [1, 0]}}
        for i in range(4)
    ]
    services.override_templates(users["district"], area=city.districts[0], mode=Mode.NORMAL, groups=rows)
    with pytest.raises(ServiceError):
        services.override_templates(
            users["district"], area=city.districts[0], mode=Mode.NORMAL, groups=rows[:3]
        )
    with pytest.raises(ServiceError):
        bad = [{**r, "requirements": {"flying": [1, 0]}} for r in rows]
        services.override_templates(users["district"], area=city.districts[0], mode=Mode.NORMAL, groups=bad)
    with pytest.raises(OutOfScope):
        services.override_templates(users["district"], area=city.districts[1], mode=Mode.NORMAL, groups=rows)
    templates = services.templates_for([c.path for c in emergency.communities])
    east, west = emergency.communities[0].path, emergency.communities[2].path
    assert [t.code for t in templates[(east, Mode.NORMAL)]] == ["g0", "g1", "g2", "g3"]
    assert [t.code for t in templates[(west, Mode.NORMAL)]] == ["coord", "grid", "volunteer", "publicity"]
    assert len(templates[(east, Mode.EMERGENCY)]) == 7
    assert GroupTemplate.objects.unscoped(ALL).filter(area=city.districts[0]).count() == 4


def _activate(users, emergency, role="street", **kw):
    args = {"communities": emergency.communities[:2], "level": 4, "reason": "防汛演练", "is_drill": True}
    return services.activate(users[role], **{**args, **kw})


def test_activation_posts_respect_skill_distance_availability_health(users, emergency):
    east = emergency.communities[0]
    on_leave = register(east, emergency.employer, skills=("medical",), on_leave_until=dt.date(2099, 1, 1))
    restricted = register(east, emergency.employer, skills=("medical",), restricted_skills=["medical"])
    act = _activate(users, emergency, max_distance_m=2500)
    posts = list(_posts(activation=act).select_related("responder", "group"))
    assert posts and act.posted == len(posts)
    ids = [p.responder_id for p in posts]
    assert len(ids) == len(set(ids))
    assert on_leave.pk not in ids and restricted.pk not in ids
    leaders = set(WorkGroup.objects.unscoped(ALL).values_list("leader_id", flat=True))
    for p in posts:
        r, c = p.responder, p.group.community
        assert r.usable_skills() & SKILL_BIT[p.skill]
        assert math.hypot(r.home_x - c.x, r.home_y - c.y) <= 2500.5
        assert p.group.mode == Mode.EMERGENCY and p.state == PostState.ASSIGNED
        assert r.pk not in leaders
    for g in WorkGroup.objects.unscoped(ALL).filter(
        community__in=emergency.communities[:2], mode=Mode.EMERGENCY
    ):
        for skill, need in g.required.items():
            got = sum(1 for p in posts if p.group_id == g.pk and p.skill == skill)
            short = sum(s["short"] for s in act.shortfall if s["group"] == g.pk and s["skill"] == skill)
            assert got + short == need
    assert act.total_distance_m == sum(p.distance_m for p in posts)
    assert AuditEvent.objects.filter(action="emergency.activate", object_id=str(act.pk)).exists()
    assert act.timeline[0]["kind"] == "activated"


def test_activation_keeps_standing_posts_where_free(users, emergency):
    plan = services.preview(users["street"], communities=emergency.communities[:2], level=4, reason="演练")
    standing = set(
        _posts(activation=None, group__mode=Mode.EMERGENCY).values_list("responder_id", "group_id", "skill")
    )
    same = [a for a in plan.assignments if (a[0], a[1].pk, a[2]) in standing]
    assert plan.kept == len(same) > 0
    # a second solve with the first activation's posts as the standing plan keeps every post
    again = services.preview(users["street"], communities=emergency.communities[:2], level=4, reason="演练")
    assert {(a[0], a[1].pk, a[2]) for a in again.assignments} == {
        (a[0], a[1].pk, a[2]) for a in plan.assignments
    }


def test_preview_writes_nothing_and_matches_activation(users, emergency):
    posts, audits = Post.objects.unscoped(ALL).count(), AuditEvent.objects.count()
    plan = services.preview(users["street"], communities=emergency.communities[:2], level=4, reason="演练")
    assert (Post.objects.unscoped(ALL).count(), AuditEvent.objects.count()) == (posts, audits)
    act = _activate(users, emergency)
    assert (act.posted, act.total_distance_m) == (plan.posted, plan.distance_m)
    assert plan.summary()["communities"][0]["id"] == emergency.communities[0].pk


def test_infeasible_demand_reports_groups_and_skills(users, emergency):
    Responder.objects.unscoped(ALL).filter(skills__gt=0).update(restricted_skills=SKILL_BIT["medical"])
    act = _activate(users, emergency)
    medical = [s for s in act.shortfall if s["skill"] == "medical"]
    groups = WorkGroup.objects.unscoped(ALL).filter(community__in=emergency.communities[:2], code="medical")
    assert {s["group"] for s in medical} == {g.pk for g in groups}
    assert all(s["short"] == groups.get(pk=s["group"]).required["medical"] for s in medical)
    assert {s["skill_label"] for s in medical} == {"医疗救护"}


@pytest.mark.parametrize("role", ["grid_worker", "community_worker", "community_secretary", "resident"])
def test_unauthorised_role_refused_and_only_the_attempt_is_audited(users, emergency, role):
    with pytest.raises(services.NotAllowed):
        _activate(users, emergency, role=role)
    assert not Activation.objects.unscoped(ALL).exists()
    assert not _posts(activation__isnull=False).exists()
    assert AuditEvent.objects.filter(action="emergency.activate_failed").count() == 1


def test_out_of_scope_refused(users, emergency):
    with pytest.raises(OutOfScope):
        _activate(users, emergency, communities=[emergency.communities[0], emergency.communities[2]])
    with pytest.raises(OutOfScope):
        services.activate(users["street"], area=emergency.communities[2], level=3, reason="x")
    assert not Activation.objects.unscoped(ALL).exists()
    assert AuditEvent.objects.filter(action="emergency.activate_failed").count() == 2


def test_second_activation_of_an_active_area_refused(users, emergency):
    first = _activate(users, emergency)
    posts = _posts(activation__isnull=False).count()
    with pytest.raises(ServiceError, match="已处于应急状态"):
        services.activate(users["district"], area=emergency.communities[1], level=2, reason="重复")
    assert Activation.objects.unscoped(ALL).count() == 1
    assert _posts(activation__isnull=False).count() == posts
    # a disjoint area can still be activated, without reusing people already posted
    second = services.activate(
        users["city_admin"], communities=emergency.communities[2:], level=3, reason="x"
    )
    a = set(_posts(activation=first).values_list("responder_id", flat=True))
    b = set(_posts(activation=second).values_list("responder_id", flat=True))
    assert not a & b


def test_bad_parameters(users, emergency):
    with pytest.raises(ServiceError):
        _activate(users, emergency, level=9)
    with pytest.raises(ServiceError):
        _activate(users, emergency, reason="  ")
    with pytest.raises(ServiceError):
        _activate(users, emergency, max_distance_m=10)
    assert not Activation.objects.unscoped(ALL).exists()


def test_acknowledge_own_post_only(users, emergency):
    act = _activate(users, emergency)
    mine, other = list(_posts(activation=act).select_related("responder")[:2])
    Responder.objects.unscoped(ALL).filter(pk=mine.responder_id).update(user=users["resident"])
    with pytest.raises(ServiceError, match="本人"):
        services.acknowledge(users["resident"], other.pk)
    with pytest.raises(ServiceError, match="本人"):
        services.acknowledge(users["street"], mine.pk)
    assert not _posts(state=PostState.ACKNOWLEDGED).exists()
    post = services.acknowledge(users["resident"], mine.pk, when=act.started_at + dt.timedelta(seconds=90))
    assert post.state == PostState.ACKNOWLEDGED and post.ack.seconds == 90
    with pytest.raises(ServiceError):
        services.acknowledge(users["resident"], mine.pk)
    board = services.live_counts(act)
    assert sum(r["acknowledged"] for r in board) == 1
    assert sum(r["pending"] for r in board) == act.posted - 1


def test_no_shows_reassigned_after_deadline_then_record(users, emergency):
    act = _activate(users, emergency, ack_minutes=10)
    posts = list(_posts(activation=act).select_related("responder"))
    acked = posts[: len(posts) // 2]
    for p in acked:
        Responder.objects.unscoped(ALL).filter(pk=p.responder_id).update(user=users["resident"])
        services.acknowledge(users["resident"], p.pk, when=act.started_at + dt.timedelta(minutes=3))
        Responder.objects.unscoped(ALL).filter(pk=p.responder_id).update(user=None)
    with pytest.raises(ServiceError, match="截止"):
        services.reassign_no_shows(users["street"], act, when=act.started_at + dt.timedelta(minutes=5))
    result = services.reassign_no_shows(users["street"], act, when=act.started_at + dt.timedelta(minutes=11))
    assert result.no_shows == len(posts) - len(acked)
    no_show_people = set(
        _posts(activation=act, state=PostState.NO_SHOW).values_list("responder_id", flat=True)
    )
    new = _posts(activation=act, state=PostState.ASSIGNED)
    assert new.count() == result.reposted
    assert not no_show_people & set(new.values_list("responder_id", flat=True))
    assert _posts(activation=act, state=PostState.ACKNOWLEDGED).count() == len(acked)
    ended = services.deactivate(users["street"], act, when=act.started_at + dt.timedelta(hours=2))
    assert ended.state == Activation.State.ENDED
    rec = ended.record
    assert rec["acknowledged"] == len(acked) and rec["no_shows"] == result.no_shows
    assert rec["median_ack_s"] == 180
    assert sum(len(g["people"]) for g in rec["served"]) == len(posts) + result.reposted
    assert [e["kind"] for e in ended.timeline] == ["activated", "reassigned", "ended"]
    assert not _posts(activation=act, state__in=[PostState.ASSIGNED, PostState.ACKNOWLEDGED]).exists()
    with pytest.raises(ServiceError):
        services.deactivate(users["street"], act)
    # the same communities can be activated again once back to normal
    assert _activate(users, emergency).state == Activation.State.ACTIVE


def test_deactivation_out_of_scope(users, emergency):
    act = services.activate(users["city_admin"], communities=emergency.communities[2:], level=3, reason="x")
    with pytest.raises(OutOfScope):
        services.deactivate(users["street"], act)
    with pytest.raises(services.NotAllowed):
        services.deactivate(users["community_secretary"], act)
    act.refresh_from_db()
    assert act.state == Activation.State.ACTIVE


def test_readiness_recomputed_when_availability_changes(users, emergency):
    services.compute_readiness(users["street"], emergency.communities[0])
    before = Readiness.objects.unscoped(ALL).get(community=emergency.communities[0])
    assert before.required > 0
    medics = Responder.objects.unscoped(ALL).filter(community=emergency.communities[0])
    for r in medics:
        if r.skills & SKILL_BIT["psych"]:
            services.update_availability(
                users["street"], r, on_leave_until=timezone.localdate() + dt.timedelta(days=3)
            )
    after = Readiness.objects.unscoped(ALL).get(community=emergency.communities[0])
    assert after.computed_at > before.computed_at
    assert after.staffed <= before.staffed
    with pytest.raises(OutOfScope):  # a responder of another street
        services.update_availability(users["street"], emergency.responders[-1].pk, on_leave_until=None)
