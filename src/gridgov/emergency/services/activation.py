"""One-key activation (一键启动): preview, activate, acknowledge, reassign no-shows, deactivate.

`activate` either completes (activation, posts, notifications, timeline and its audit row, in one
transaction) or leaves only an `emergency.activate_failed` audit row written after the rollback.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit
from gridgov.core.actors import as_user, is_system, require_actor
from gridgov.core.scope import OutOfScope, check_path
from gridgov.core.services import ServiceError

from .. import sms, solver
from ..models import (
    SKILLS,
    Acknowledgement,
    Activation,
    Mode,
    Post,
    PostState,
    Responder,
    WorkGroup,
    skill_label,
)
from ._common import available_mask, local, now, require, responder_rows, usable, xy
from .staff_points import award_after_deactivation

DEFAULT_MAX_DISTANCE = 3000
DEFAULT_ACK_MINUTES = 30
LIVE = (PostState.ASSIGNED, PostState.ACKNOWLEDGED)
MAX_COMMUNITIES = 400


@dataclass
class Plan:
    area: Area
    communities: list[Area]
    groups: list[WorkGroup]
    required: int
    posted: int
    distance_m: int
    kept: int
    candidates: int
    arcs: int
    shortfall: list[dict]
    assignments: list[tuple[int, WorkGroup, str, int]] = field(repr=False, default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    instance: solver.Instance | None = field(repr=False, default=None)  # what was solved (benchmark)
    arc_set: solver.Arcs | None = field(repr=False, default=None)

    def summary(self) -> dict:
        return {
            "area": self.area.pk,
            "area_name": self.area.name,
            "communities": [{"id": a.pk, "name": a.name} for a in self.communities],
            "groups": len(self.groups),
            "required": self.required,
            "posted": self.posted,
            "distance_km": round(self.distance_m / 1000, 1),
            "kept": self.kept,
            "candidates": self.candidates,
            "shortfall": self.shortfall,
        }


# --- resolving what is activated ----------------------------------------------------------------------
def _common_area(actor, communities: list[Area]) -> Area:
    paths = [a.path for a in communities]
    prefix = paths[0]
    for p in paths[1:]:
        while not p.startswith(prefix):
            prefix = prefix[:-1]
    for level in sorted(PATH_LENGTH, reverse=True):
        if PATH_LENGTH[level] <= len(prefix) and level <= Level.COMMUNITY:
            return Area.objects.unscoped("ancestor of visible communities").get(
                path=prefix[: PATH_LENGTH[level]]
            )
    raise ServiceError(_("所选社区不属于同一城市"))


def resolve(actor, *, area: Area | None = None, communities=None) -> tuple[Area, list[Area]]:
    """The communities activated: every active community under `area`, or the listed ones (in scope)."""
    require_actor(actor)
    visible = Area.objects.visible_to(actor).filter(level=Level.COMMUNITY, is_active=True)
    if communities:
        ids = {c.pk if isinstance(c, Area) else int(c) for c in communities}
        found = list(visible.filter(pk__in=ids).order_by("path"))
        if len(found) != len(ids):
            raise OutOfScope("community outside the actor's area")
        return _common_area(actor, found), found
    if area is None:
        raise ServiceError(_("请选择启动区域或社区"))
    check_path(actor, area.path)
    if area.level > Level.COMMUNITY:
        raise ServiceError(_("启动区域应为社区或更高层级"))
    found = list(visible.in_area(area.path).order_by("path"))
    if not found:
        raise ServiceError(_("该区域没有社区"))
    return area, found


def _check_not_active(communities: list[Area], exclude: int | None = None) -> None:
    busy = (
        Activation.objects.unscoped("overlap is checked city-wide")
        .filter(state=Activation.State.ACTIVE, communities__in=communities)
        .exclude(pk=exclude)
        .values_list("communities__name", flat=True)
    )
    names = sorted({n for n in busy if n in {a.name for a in communities}})
    if names:
        raise ServiceError(_("以下社区已处于应急状态,不能重复启动:%(n)s") % {"n": "、".join(names[:10])})


# --- the solve ----------------------------------------------------------------------------------------
def _busy_responders() -> set[int]:
    return set(
        Post.objects.unscoped("people already posted elsewhere")
        .filter(activation__state=Activation.State.ACTIVE, state__in=LIVE)
        .values_list("responder_id", flat=True)
    )


def build_plan(
    actor,
    area: Area,
    communities: list[Area],
    *,
    max_distance_m: int,
    when: dt.datetime,
    need: dict[tuple[int, str], int] | None = None,
    exclude: set[int] | None = None,
    neighbours: int = solver.DEFAULT_NEIGHBOURS,
) -> Plan:
    """Post available responders to the emergency groups of `communities` (no writes).

    `need` narrows the demand to some (group id, skill) counts (re-solving no-shows); `exclude` drops
    responders (no-shows, people already posted)."""
    t0 = time.perf_counter()
    groups = list(
        WorkGroup.objects.unscoped("groups of the resolved communities")
        .filter(community__in=communities, mode=Mode.EMERGENCY)
        .order_by("area_path", "sort")
    )
    by_id = {a.pk: a for a in communities}
    if not groups:
        raise ServiceError(_("所选社区尚未编组,请先完成战时编组"))
    leaders = {g.leader_id for g in groups if g.leader_id}
    node_of: dict[tuple[int, str], int] = {}
    demand_xy: list[tuple[float, float]] = []
    demand_skill: list[int] = []
    demand_count: list[int] = []
    node_groups: dict[int, list[tuple[WorkGroup, int]]] = defaultdict(list)
    for g in groups:
        for skill, count in g.required.items():
            count = need.get((g.pk, skill), 0) if need is not None else count
            if count <= 0:
                continue
            key = (g.community_id, skill)
            if key not in node_of:
                node_of[key] = len(demand_count)
                demand_xy.append(xy(by_id[g.community_id]))
                demand_skill.append(SKILLS.index(skill))
                demand_count.append(0)
            demand_count[node_of[key]] += count
            node_groups[node_of[key]].append((g, count))
    dxy = np.array(demand_xy, dtype=np.float64).reshape(-1, 2)
    # candidates: visible, active, available now, not posted elsewhere, home within reach of the area
    qs = (
        Responder.objects.visible_to(actor)
        if as_user(actor) is not None
        else Responder.objects.unscoped("the platform activates across the city")
    )
    if len(dxy):
        lo, hi = dxy.min(axis=0) - max_distance_m, dxy.max(axis=0) + max_distance_m
        qs = qs.filter(home_x__gte=lo[0], home_x__lte=hi[0], home_y__gte=lo[1], home_y__lte=hi[1])
    rows = responder_rows(qs)
    skip = (exclude or set()) | leaders | _busy_responders()
    keep = available_mask(rows, when) & np.array([r["id"] not in skip for r in rows], dtype=bool)
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    resp_xy = np.array([(r["home_x"], r["home_y"]) for r in rows], dtype=np.float64).reshape(-1, 2)
    # stability: standing emergency posts in these groups
    standing = {
        rid: (gid, skill)
        for rid, gid, skill in Post.objects.unscoped("standing posts of the resolved groups")
        .filter(group__in=groups, activation__isnull=True, state=PostState.STANDING)
        .values_list("responder_id", "group_id", "skill")
    }
    group_community = {g.pk: g.community_id for g in groups}
    current = np.array(
        [
            node_of.get((group_community[standing[r["id"]][0]], standing[r["id"]][1]), -1)
            if r["id"] in standing
            else -1
            for r in rows
        ],
        dtype=np.int64,
    )
    inst = solver.Instance(
        resp_xy,
        usable(rows) if rows else np.zeros(0, dtype=np.int64),
        dxy,
        np.array(demand_skill, dtype=np.int64),
        np.array(demand_count, dtype=np.int64),
        current,
    )
    t1 = time.perf_counter()
    arcs = solver.candidate_arcs(inst, max_distance_m, neighbours)
    t2 = time.perf_counter()
    sol = solver.solve(inst, arcs)
    t3 = time.perf_counter()
    # split each (community, skill) node among its groups: standing posts first, then in group order
    room = {(g.pk, SKILLS[demand_skill[node]]): c for node, lst in node_groups.items() for g, c in lst}
    assignments: list[tuple[int, WorkGroup, str, int]] = []
    kept = 0
    members: dict[int, list[int]] = defaultdict(list)
    for k in np.flatnonzero(sol.assign >= 0):
        members[int(sol.assign[k])].append(int(k))
    for node, idx in members.items():
        skill = SKILLS[demand_skill[node]]
        here = {g.pk: g for g, _c in node_groups[node]}
        later = []
        for i in idx:
            old = standing.get(int(ids[i]))
            if old and old[1] == skill and old[0] in here and room[(old[0], skill)] > 0:
                room[(old[0], skill)] -= 1
                g = here[old[0]]
                assignments.append((int(ids[i]), g, skill, _dist(resp_xy[i], dxy[node])))
                kept += 1
            else:
                later.append(i)
        for i in later:
            g = next(g for g, _c in node_groups[node] if room[(g.pk, skill)] > 0)
            room[(g.pk, skill)] -= 1
            assignments.append((int(ids[i]), g, skill, _dist(resp_xy[i], dxy[node])))
    shortfall = [
        {
            "community": g.community_id,
            "community_name": by_id[g.community_id].name,
            "group": g.pk,
            "group_name": g.name,
            "skill": skill,
            "skill_label": skill_label(skill),
            "short": room[(g.pk, skill)],
        }
        for g in groups
        for skill in g.required
        if room.get((g.pk, skill), 0) > 0
    ]
    return Plan(
        area=area,
        communities=communities,
        groups=groups,
        required=int(inst.demand_count.sum()),
        posted=len(assignments),
        distance_m=sol.distance_m,
        kept=kept,
        candidates=len(rows),
        arcs=sol.arcs,
        shortfall=shortfall,
        assignments=assignments,
        timings={
            "load": t1 - t0,
            "arcs": t2 - t1,
            "solve": t3 - t2,
            **{f"ortools_{k}": v for k, v in sol.timings.items()},
        },
        instance=inst,
        arc_set=arcs,
    )


def _dist(a, b) -> int:
    return round(float(np.hypot(a[0] - b[0], a[1] - b[1])))


def _check_params(level: int, reason: str, max_distance_m: int) -> str:
    if level not in Activation.Level.values:
        raise ServiceError(_("响应级别无效"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写启动事由"))
    if not 100 <= int(max_distance_m) <= 50_000:
        raise ServiceError(_("最大通勤距离应在100米到50公里之间"))
    return reason[:200]


def preview(
    actor,
    *,
    area: Area | None = None,
    communities=None,
    level: int,
    reason: str,
    is_drill: bool = False,
    max_distance_m: int = DEFAULT_MAX_DISTANCE,
    when: dt.datetime | None = None,
) -> Plan:
    """What activation would do (communities, posts, people, shortfalls); writes nothing."""
    require(actor, "emergency.activate_emergency")
    _check_params(level, reason, max_distance_m)
    root, found = resolve(actor, area=area, communities=communities)
    if len(found) > MAX_COMMUNITIES:
        raise ServiceError(_("一次最多启动%(n)d个社区") % {"n": MAX_COMMUNITIES})
    _check_not_active(found)
    return build_plan(actor, root, found, max_distance_m=max_distance_m, when=when or now())


def activate(
    actor,
    *,
    area: Area | None = None,
    communities=None,
    level: int,
    reason: str,
    is_drill: bool = False,
    max_distance_m: int = DEFAULT_MAX_DISTANCE,
    ack_minutes: int = DEFAULT_ACK_MINUTES,
    when: dt.datetime | None = None,
    notify: bool = True,
) -> Activation:
    try:
        with transaction.atomic():
            return _activate(
                actor, area, communities, level, reason, is_drill, max_distance_m, ack_minutes, when, notify
            )
    except (ServiceError, OutOfScope) as exc:
        if actor is not None:
            with transaction.atomic():
                audit.record(
                    actor,
                    "emergency.activate_failed",
                    None,
                    after={
                        "reason": str(reason)[:200],
                        "level": level,
                        "is_drill": bool(is_drill),
                        "error": str(exc) if isinstance(exc, ServiceError) else "out of scope",
                    },
                )
        raise


def _activate(actor, area, communities, level, reason, is_drill, max_distance_m, ack_minutes, when, notify):
    require(actor, "emergency.activate_emergency")
    reason = _check_params(level, reason, max_distance_m)
    if not 1 <= int(ack_minutes) <= 24 * 60:
        raise ServiceError(_("响应时限应在1分钟到24小时之间"))
    root, found = resolve(actor, area=area, communities=communities)
    if len(found) > MAX_COMMUNITIES:
        raise ServiceError(_("一次最多启动%(n)d个社区") % {"n": MAX_COMMUNITIES})
    # lock the communities (re-checking scope) so two activations of one community serialise here
    for a in found:
        Area.objects.lock_in_scope(actor, a.pk)
    _check_not_active(found)
    started = when or now()
    plan = build_plan(actor, root, found, max_distance_m=max_distance_m, when=started)
    activation = Activation.objects.create(
        area=root,
        area_path=root.path,
        level=level,
        reason=reason,
        is_drill=bool(is_drill),
        max_distance_m=int(max_distance_m),
        ack_deadline=started + dt.timedelta(minutes=int(ack_minutes)),
        started_by=as_user(actor),
        started_at=started,
        total_distance_m=plan.distance_m,
        posted=plan.posted,
        shortfall=plan.shortfall,
        timeline=[
            _event(
                started,
                "activated",
                _("%(who)s 启动%(kind)s,%(n)d个社区,派岗%(p)d人,缺口%(s)d人")
                % {
                    "who": _who(actor),
                    "kind": _("演练") if is_drill else _("应急状态"),
                    "n": len(found),
                    "p": plan.posted,
                    "s": sum(s["short"] for s in plan.shortfall),
                },
            )
        ],
    )
    activation.communities.set(found)
    t0 = time.perf_counter()
    _write_posts(activation, plan.assignments, started, notify)
    plan.timings["write"] = time.perf_counter() - t0
    activation._plan = plan  # type: ignore[attr-defined]  # the benchmark reads the timings
    audit.record(
        actor,
        "emergency.activate",
        activation,
        after={
            **audit.snapshot(activation, ["level", "reason", "is_drill", "max_distance_m", "posted"]),
            "communities": [a.pk for a in found],
            "shortage": sum(s["short"] for s in plan.shortfall),
        },
    )
    return activation


def _who(actor) -> str:
    return getattr(actor, "display_name", "") or actor.get_username()


def _event(when: dt.datetime, kind: str, text: str) -> dict:
    return {"at": local(when).isoformat(timespec="seconds"), "kind": kind, "text": str(text)}


POST_COLUMNS = (
    "group_id",
    "responder_id",
    "activation_id",
    "area_path",
    "skill",
    "state",
    "distance_m",
    "assigned_at",
    "created_at",
    "updated_at",
)


def _insert_posts(activation: Activation, posts: list[Post], when: dt.datetime) -> None:
    """One parameterised INSERT run over all rows (executemany) inside the service's transaction.

    The ORM's bulk_create spends ~20 s of Python per 45,000 posts preparing values (model instances and
    per-field adaptation) on this machine, against ~0.5 s here; the values are plain (ids, codes, one
    timestamp adapted once by the backend), validated by the solve above, and the activation's audit row
    is written in the same transaction. Read back through the ORM as usual."""
    if not posts:
        return
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(when)
    table = ops.quote_name(Post._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in POST_COLUMNS)
    marks = ", ".join(["%s"] * len(POST_COLUMNS))
    rows = [
        (
            p.group.pk,
            p.responder_id,
            activation.pk,
            p.area_path,
            p.skill,
            PostState.ASSIGNED.value,
            p.distance_m,
            stamp,
            stamp,
            stamp,
        )
        for p in posts
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def _write_posts(activation: Activation, assignments, when: dt.datetime, notify: bool) -> list[Post]:
    """The posts, in one bulk insert. The in-app notice is the post itself (the phone page and its
    navigation entry show it); the SMS channel texts everyone posted after the transaction commits."""
    posts = [
        Post(group=g, responder_id=rid, area_path=g.area_path, skill=skill, distance_m=dist)
        for rid, g, skill, dist in assignments
    ]
    _insert_posts(activation, posts, when)
    if notify and posts:
        template = _("【%(kind)s】请到%(g)s报到(%(s)s岗),%(d)s前在“我的岗位”确认响应。")
        kind = _("演练") if activation.is_drill else _("应急")
        deadline = local(activation.ack_deadline).strftime("%H:%M")
        labels = {code: skill_label(code) for code in SKILLS}
        texts = {
            p.responder_id: template % {"kind": kind, "g": p.group.name, "s": labels[p.skill], "d": deadline}
            for p in posts
        }

        def send() -> None:
            phones = (
                Responder.objects.unscoped("texting posted responders")
                .filter(pk__in=list(texts))
                .exclude(phone_cipher=None)
            )
            sms.backend().send_many((r.reveal_phone(), texts[r.pk]) for r in phones.iterator(chunk_size=2000))

        transaction.on_commit(send)
    return posts


def _lock_activation(actor, activation: Activation | int) -> Activation:
    require(actor, "emergency.activate_emergency")
    pk = activation.pk if isinstance(activation, Activation) else activation
    try:
        return Activation.objects.lock_in_scope(actor, pk)
    except Activation.DoesNotExist:
        raise ServiceError(_("应急启动记录不存在")) from None


# --- after activation ---------------------------------------------------------------------------------
@transaction.atomic
def acknowledge(actor, post: Post | int, *, channel: str = "web", when: dt.datetime | None = None) -> Post:
    """The posted responder confirms their own post; the platform (a SystemActor: the SMS reply gateway)
    records a confirmation that arrived by text message for the post it names."""
    require_actor(actor)
    pk = post.pk if isinstance(post, Post) else post
    obj = (
        Post.objects.unscoped("a responder reaches their own post wherever it is")
        .select_for_update(of=("self",))
        .select_related("responder", "activation", "group")
        .filter(pk=pk)
        .first()
    )
    user = as_user(actor)
    own = obj is not None and (is_system(actor) or (user is not None and obj.responder.user_id == user.pk))
    if obj is None or not own:
        raise ServiceError(_("只能确认本人的岗位"))
    if obj.activation is None or obj.activation.state != Activation.State.ACTIVE:
        raise ServiceError(_("该岗位不在应急状态中"))
    if obj.state == PostState.ACKNOWLEDGED:
        raise ServiceError(_("已确认过响应"))
    if obj.state != PostState.ASSIGNED:
        raise ServiceError(_("该岗位已重新分配,请联系社区"))
    at = when or now()
    obj.state = PostState.ACKNOWLEDGED
    obj.save(update_fields=["state", "updated_at"])
    seconds = max(0, int((at - (obj.assigned_at or at)).total_seconds()))
    Acknowledgement.objects.create(
        post=obj,
        responder=obj.responder,
        area_path=obj.area_path,
        acknowledged_at=at,
        seconds=seconds,
        channel=channel[:10],
    )
    audit.record(actor, "emergency.acknowledge", obj, after={"state": obj.state, "seconds": seconds})
    return obj


@dataclass
class ReassignResult:
    no_shows: int
    reposted: int
    shortfall: list[dict]
    seconds: float


@transaction.atomic
def reassign_no_shows(
    actor, activation: Activation | int, *, when: dt.datetime | None = None, force: bool = False
) -> ReassignResult:
    """After the deadline, mark unacknowledged posts no-shows and re-solve only their (group, skill) posts."""
    t0 = time.perf_counter()
    act = _lock_activation(actor, activation)
    require(actor, "emergency.reassign_post")
    if act.state != Activation.State.ACTIVE:
        raise ServiceError(_("应急状态已结束"))
    at = when or now()
    if at < act.ack_deadline and not force:
        raise ServiceError(_("尚未到响应截止时间"))
    late = list(
        Post.objects.unscoped("posts of a locked activation")
        .select_for_update()
        .filter(activation=act, state=PostState.ASSIGNED, assigned_at__lt=at)
    )
    if not late:
        return ReassignResult(0, 0, [], time.perf_counter() - t0)
    need: dict[tuple[int, str], int] = defaultdict(int)
    for p in late:
        need[(p.group_id, p.skill)] += 1
    no_show_ids = {p.responder_id for p in late}
    Post.objects.unscoped("posts of a locked activation").filter(pk__in=[p.pk for p in late]).update(
        state=PostState.NO_SHOW, released_at=at
    )
    communities = list(act.communities.all())
    plan = build_plan(
        actor,
        act.area,
        communities,
        max_distance_m=act.max_distance_m,
        when=at,
        need=dict(need),
        exclude=no_show_ids,
    )
    _write_posts(act, plan.assignments, at, notify=True)
    short = sum(s["short"] for s in plan.shortfall)
    act.posted = act.posted - len(late) + plan.posted
    act.total_distance_m = int(
        sum(
            Post.objects.unscoped("posts of a locked activation")
            .filter(activation=act, state__in=LIVE)
            .values_list("distance_m", flat=True)
        )
    )
    act.timeline = [
        *act.timeline,
        _event(
            at,
            "reassigned",
            _("%(n)d人未按时响应,已重新派岗%(p)d人,仍缺%(s)d人")
            % {"n": len(late), "p": plan.posted, "s": short},
        ),
    ]
    act.save(update_fields=["posted", "total_distance_m", "timeline", "updated_at"])
    audit.record(
        actor,
        "emergency.reassign",
        act,
        after={"no_shows": len(late), "reposted": plan.posted, "short": short},
    )
    return ReassignResult(len(late), plan.posted, plan.shortfall, time.perf_counter() - t0)


@transaction.atomic
def deactivate(
    actor, activation: Activation | int, *, note: str = "", when: dt.datetime | None = None
) -> Activation:
    """Back to normal mode; the whole episode is kept in `record`."""
    act = _lock_activation(actor, activation)
    if act.state != Activation.State.ACTIVE:
        raise ServiceError(_("应急状态已结束"))
    at = when or now()
    posts = list(
        Post.objects.unscoped("posts of a locked activation")
        .filter(activation=act)
        .select_related("group", "responder", "ack")
        .order_by("area_path", "group__sort", "id")
    )
    seconds = sorted(p.ack.seconds for p in posts if hasattr(p, "ack"))
    served: dict[str, dict] = {}
    names = {a.pk: a.name for a in act.communities.all()}
    for p in posts:
        key = f"{p.group.community_id}:{p.group.code}"
        row = served.setdefault(
            key,
            {"community": names.get(p.group.community_id, ""), "group": p.group.name, "people": []},
        )
        row["people"].append(
            {
                "id": p.responder_id,
                "name": p.responder.name,
                "skill": skill_label(p.skill),
                "state": p.state,
                "seconds": p.ack.seconds if hasattr(p, "ack") else None,
            }
        )
    act.record = {
        "started_at": act.started_at.isoformat(),
        "ended_at": at.isoformat(),
        "minutes": round((at - act.started_at).total_seconds() / 60, 1),
        "posted": sum(1 for p in posts if p.state in (*LIVE, PostState.RELEASED)),
        "acknowledged": len(seconds),
        "no_shows": sum(1 for p in posts if p.state == PostState.NO_SHOW),
        "median_ack_s": seconds[len(seconds) // 2] if seconds else None,
        "p90_ack_s": seconds[min(len(seconds) - 1, int(len(seconds) * 0.9))] if seconds else None,
        "shortfall": act.shortfall,
        "note": (note or "")[:300],
        "served": list(served.values()),
    }
    Post.objects.unscoped("posts of a locked activation").filter(activation=act, state__in=LIVE).update(
        state=PostState.RELEASED, released_at=at
    )
    act.state = Activation.State.ENDED
    act.ended_at = at
    act.ended_by = as_user(actor)
    act.timeline = [
        *act.timeline,
        _event(
            at, "ended", _("%(who)s 宣布恢复平时状态,已响应%(a)d人") % {"who": _who(actor), "a": len(seconds)}
        ),
    ]
    act.save(update_fields=["state", "ended_at", "ended_by", "timeline", "record", "updated_at"])
    audit.record(
        actor, "emergency.deactivate", act, after={k: v for k, v in act.record.items() if k != "served"}
    )
    # staff points for those who served: after commit, keyed per staff member (a retry posts once)
    transaction.on_commit(partial(award_after_deactivation, act.pk))
    return act


def live_counts(activation: Activation) -> list[dict]:
    """Per community and group: posted, acknowledged, still pending, no-shows (the live board)."""
    rows: dict[tuple, dict] = {}
    qs = (
        Post.objects.unscoped("posts of a visible activation")
        .filter(activation=activation)
        .values_list(
            "group__community_id",
            "group__community__name",
            "group_id",
            "group__name",
            "group__sort",
            "state",
            "ack__id",
        )
    )
    for cid, cname, gid, gname, sort, state, ack in qs:
        row = rows.setdefault(
            (cname, cid, sort, gid),
            {
                "community": cid,
                "community_name": cname,
                "group": gid,
                "group_name": gname,
                "posted": 0,
                "acknowledged": 0,
                "pending": 0,
                "no_show": 0,
            },
        )
        if state == PostState.NO_SHOW:
            row["no_show"] += 1
            continue
        row["posted"] += 1
        if ack is not None:
            row["acknowledged"] += 1
        elif state == PostState.ASSIGNED:
            row["pending"] += 1
    return [rows[k] for k in sorted(rows)]
