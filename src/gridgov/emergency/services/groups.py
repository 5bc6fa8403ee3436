"""Work-group templates (city, overridable per district) and forming every community's groups.

Forming solves, per mode, the same min-cost flow as activation but with arcs only from a community's own
registered responders to its own groups (the standing plan: "职责明确到人、工作分配到人"). Leaders are
frontline responders of the community (community staff lead the groups); the rest fill the headcount per
skill. Re-forming keeps standing posts that are still free to keep.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core import audit
from gridgov.core.scope import check_path
from gridgov.core.services import ServiceError

from .. import solver
from ..models import (
    SKILL_BIT,
    SKILLS,
    GroupTemplate,
    Mode,
    Post,
    PostState,
    Responder,
    ResponderKind,
    WorkGroup,
)
from ._common import households_by_community, now, require, responder_rows, usable, xy

# code, name, leader post, duties, {skill: [base, per 1000 households]}
DEFAULT_TEMPLATES: dict[str, list[tuple[str, str, str, str, dict[str, list[float]]]]] = {
    Mode.NORMAL: [
        ("coord", "综合协调组", "社区书记", "统筹日常工作、联络下沉力量", {"general": [1, 3]}),
        (
            "grid",
            "网格服务组",
            "网格长",
            "入户走访、信息采集、民情收集",
            {"general": [1, 8], "data_entry": [1, 3]},
        ),
        (
            "volunteer",
            "志愿服务组",
            "志愿服务队长",
            "关爱帮扶、便民服务",
            {"logistics": [1, 6], "medical": [0, 3]},
        ),
        ("publicity", "宣传引导组", "宣传委员", "政策宣传、舆情引导", {"publicity": [1, 3], "psych": [0, 2]}),
    ],
    Mode.EMERGENCY: [
        (
            "command",
            "综合协调组",
            "社区书记",
            "指挥调度、上传下达",
            {"general": [2, 5], "data_entry": [1, 3]},
        ),
        (
            "screening",
            "排查登记组",
            "网格长",
            "人员排查、信息登记",
            {"data_entry": [2, 12], "dialect": [1, 5], "general": [1, 8]},
        ),
        ("supply", "物资保障组", "后勤组长", "物资调配、生活保障", {"logistics": [2, 15], "driving": [1, 5]}),
        ("medical", "医疗防疫组", "社区医生", "医疗救护、防疫消杀", {"medical": [2, 10]}),
        (
            "publicity",
            "宣传引导组",
            "宣传委员",
            "通知发布、舆情引导",
            {"publicity": [1, 5], "dialect": [0, 2]},
        ),
        ("care", "心理疏导组", "心理辅导员", "心理疏导、特殊人群关爱", {"psych": [1, 3]}),
        ("order", "秩序维护组", "治保主任", "卡口值守、秩序维护", {"security": [2, 12], "general": [0, 5]}),
    ],
}
GROUPS_PER_MODE: dict[str, int] = {Mode.NORMAL.value: 4, Mode.EMERGENCY.value: 7}


def _check_requirements(requirements: dict) -> dict[str, list[float]]:
    clean = {}
    if not isinstance(requirements, dict) or not requirements:
        raise ServiceError(_("编制应按技能填写"))
    for skill, value in requirements.items():
        if skill not in SKILL_BIT:
            raise ServiceError(_("未知技能“%(s)s”") % {"s": skill})
        try:
            base, per_1000 = int(value[0]), float(value[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise ServiceError(_("技能“%(s)s”的编制应为[基数, 每千户人数]") % {"s": skill}) from None
        if not (0 <= base <= 500 and 0 <= per_1000 <= 500):
            raise ServiceError(_("编制超出范围"))
        clean[skill] = [base, per_1000]
    return clean


@transaction.atomic
def ensure_city_templates(actor, city: Area) -> int:
    """The city's default template (4 normal + 7 emergency groups), created once."""
    require(actor, "emergency.add_grouptemplate")
    check_path(actor, city.path)
    if city.level != Level.CITY:
        raise ServiceError(_("模板应设在市级或区县级"))
    made = []
    for mode, rows in DEFAULT_TEMPLATES.items():
        for sort, (code, name, leader, duties, req) in enumerate(rows):
            if (
                GroupTemplate.objects.unscoped("templates apply across the whole city")
                .filter(area=city, mode=mode, code=code)
                .exists()
            ):
                continue
            made.append(
                GroupTemplate.objects.create(
                    area=city,
                    area_path=city.path,
                    mode=mode,
                    code=code,
                    name=name,
                    leader_post=leader,
                    duties=duties,
                    requirements=req,
                    sort=sort,
                )
            )
    if made:
        audit.record_many(actor, "emergency.create_template", made)
    return len(made)


@transaction.atomic
def override_templates(actor, *, area: Area, mode: str, groups: list[dict]) -> list[GroupTemplate]:
    """A district's own groups for one mode (4 normal or 7 emergency), replacing its earlier override.
    Each dict: code, name, leader_post, duties, requirements ({skill: [base, per_1000]})."""
    require(actor, "emergency.change_grouptemplate")
    area = Area.objects.lock_in_scope(actor, area.pk)
    if area.level != Level.DISTRICT:
        raise ServiceError(_("只有区县可以调整本区的编组模板"))
    if mode not in Mode.values:
        raise ServiceError(_("时态无效"))
    if len(groups) != GROUPS_PER_MODE[mode]:
        raise ServiceError(_("平时应设4个小组,战时应设7个小组"))
    codes = [str(g.get("code", "")).strip() for g in groups]
    if any(not c for c in codes) or len(set(codes)) != len(codes):
        raise ServiceError(_("小组代码不能为空且不能重复"))
    old = GroupTemplate.objects.unscoped("a district replaces its own override rows").filter(
        area=area, mode=mode
    )
    before = [audit.snapshot(t) for t in old]
    in_use = WorkGroup.objects.unscoped("groups formed from the replaced templates").filter(template__in=old)
    made = []
    for sort, (code, g) in enumerate(zip(codes, groups, strict=True)):
        name = str(g.get("name", "")).strip()
        if not name:
            raise ServiceError(_("组名不能为空"))
        t, _created = GroupTemplate.objects.unscoped(
            "a district replaces its own override rows"
        ).update_or_create(
            area=area,
            mode=mode,
            code=code,
            defaults={
                "area_path": area.path,
                "name": name[:40],
                "leader_post": str(g.get("leader_post", "组长"))[:40],
                "duties": str(g.get("duties", ""))[:200],
                "requirements": _check_requirements(g.get("requirements") or {}),
                "sort": sort,
            },
        )
        made.append(t)
    stale = old.exclude(code__in=codes)
    if in_use.filter(template__in=stale).exists():
        raise ServiceError(_("被替换的小组已编组,请先重新编组"))
    stale.delete()
    audit.record(
        actor,
        "emergency.override_templates",
        area,
        before={"groups": before},
        after={"groups": [audit.snapshot(t) for t in made]},
    )
    return made


def templates_for(paths: list[str]) -> dict[tuple[str, str], list[GroupTemplate]]:
    """(community path, mode) → its templates: the district's override of that mode if any, else the city's."""
    rows = list(GroupTemplate.objects.unscoped("templates apply city-wide").order_by("mode", "sort"))
    by_area: dict[tuple[str, str], list[GroupTemplate]] = defaultdict(list)
    for t in rows:
        by_area[(t.area_path, t.mode)].append(t)
    result = {}
    for path in paths:
        for mode in Mode.values:
            result[(path, mode)] = (
                by_area.get((ancestor_path(path, Level.DISTRICT), mode))
                or by_area.get((ancestor_path(path, Level.CITY), mode))
                or []
            )
    return result


@dataclass
class FormResult:
    communities: int
    groups: int
    posts: int
    short_groups: int


def _communities(actor, communities) -> list[Area]:
    ids = [c.pk if isinstance(c, Area) else int(c) for c in communities]
    found = list(
        Area.objects.visible_to(actor)
        .filter(pk__in=ids, level=Level.COMMUNITY, is_active=True)
        .order_by("path")
    )
    if len(found) != len(set(ids)):
        raise ServiceError(_("社区不存在或不在您的管辖范围内"))
    return found


def form_groups(actor, communities) -> FormResult:
    """Form (or re-form) the 4 + 7 groups of each community from its registered responders."""
    require(actor, "emergency.form_workgroup")
    with transaction.atomic():
        areas = _communities(actor, communities)
        if not areas:
            raise ServiceError(_("请选择社区"))
        for a in areas:  # lock and re-check each community inside the transaction
            Area.objects.lock_in_scope(actor, a.pk)
        return _form(actor, areas)


def _form(actor, areas: list[Area]) -> FormResult:
    paths = [a.path for a in areas]
    by_path = {a.path: a for a in areas}
    cidx = {a.path: i for i, a in enumerate(areas)}
    templates = templates_for(paths)
    if any(not templates[(p, m)] for p in paths for m in Mode.values):
        raise ServiceError(_("尚未设置编组模板"))
    households = households_by_community(paths)
    existing = {
        (g.community_id, g.mode, g.code): g
        for g in WorkGroup.objects.unscoped("forming visible communities").filter(community__in=areas)
    }
    stamp = now()
    groups: list[WorkGroup] = []
    new_groups = []
    for a in areas:
        for mode in Mode.values:
            for t in templates[(a.path, mode)]:
                g = existing.get((a.pk, mode, t.code))
                if g is None:
                    g = WorkGroup(community=a, area_path=a.path, mode=mode, code=t.code)
                    new_groups.append(g)
                g.template, g.name, g.sort = t, t.name, t.sort
                g.required = t.headcount(households.get(a.path, 0))
                groups.append(g)
    WorkGroup.objects.bulk_create(new_groups, batch_size=2000)
    rows = responder_rows(
        Responder.objects.unscoped("forming visible communities").filter(community__in=areas)
    )
    standing = list(
        Post.objects.unscoped("forming visible communities")
        .filter(group__community__in=areas, activation__isnull=True, state=PostState.STANDING)
        .values_list("id", "responder_id", "group_id", "skill")
    )
    group_by_id = {g.pk: g for g in groups}
    keep_ids: set[int] = set()
    new_posts: list[Post] = []
    for mode in Mode.values:
        mode_groups = [g for g in groups if g.mode == mode]
        kept, made, leaders = _form_mode(rows, mode_groups, cidx, by_path, standing, group_by_id)
        keep_ids |= kept
        new_posts += made
        for g in mode_groups:
            g.leader_id = leaders.get(g.pk)
            g.formed_at = stamp
    drop = [pid for pid, *_rest in standing if pid not in keep_ids]
    Post.objects.unscoped("re-forming replaces standing posts").filter(pk__in=drop).delete()
    for p in new_posts:
        p.assigned_at = stamp
    Post.objects.bulk_create(new_posts, batch_size=5000)
    WorkGroup.objects.unscoped("groups of communities locked above").bulk_update(
        groups, ["template", "name", "sort", "required", "shortfall", "leader", "formed_at"], batch_size=2000
    )
    per_area: dict[str, dict] = defaultdict(lambda: {"groups": 0, "short": {}})
    for g in groups:
        per_area[g.area_path]["groups"] += 1
        if g.shortfall:
            per_area[g.area_path]["short"][f"{g.mode}:{g.code}"] = g.shortfall
    for a in areas:
        audit.record(
            actor,
            "emergency.form_groups",
            a,
            after={"groups": per_area[a.path]["groups"], "shortfall": per_area[a.path]["short"]},
        )
    return FormResult(
        communities=len(areas),
        groups=len(groups),
        posts=len(keep_ids) + len(new_posts),
        short_groups=sum(1 for g in groups if g.shortfall),
    )


def _form_mode(rows, groups, cidx, by_path, standing, group_by_id):
    """Leaders, then a flow restricted to each community's own responders. Returns kept ids, new posts, leaders."""
    n = len(rows)
    comm = (
        np.array([cidx[r["area_path"]] for r in rows], dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
    )
    mask = usable(rows) if n else np.zeros(0, dtype=np.int64)
    # leaders: frontline responders of the community, those with general skills first, one group each
    leaders: dict[int, int] = {}
    current_leader = {g.pk: g.leader_id for g in groups}
    taken: set[int] = set()
    frontline = defaultdict(list)
    for r in rows:
        if r["kind"] == ResponderKind.FRONTLINE:
            frontline[cidx[r["area_path"]]].append(r)
    for lst in frontline.values():
        lst.sort(key=lambda r: (not (r["skills"] & SKILL_BIT["general"]), r["id"]))
    for g in sorted(groups, key=lambda g: (g.area_path, g.sort)):
        options = frontline.get(cidx[g.area_path], [])
        option_ids = {r["id"] for r in options}
        cur = current_leader.get(g.pk)
        if cur in option_ids and cur not in taken:
            choice = cur
        else:
            choice = next((r["id"] for r in options if r["id"] not in taken), None)
        if choice is not None:
            leaders[g.pk] = choice
            taken.add(choice)
    # demand nodes (community, skill)
    node_of = np.full((len(cidx), len(SKILLS)), -1, dtype=np.int64)
    demand_xy: list[tuple[float, float]] = []
    demand_skill: list[int] = []
    demand_count: list[int] = []
    groups_of_node: dict[int, list[WorkGroup]] = defaultdict(list)
    paths = list(cidx)
    for g in groups:
        c = cidx[g.area_path]
        for skill, count in g.required.items():
            s = SKILLS.index(skill)
            if node_of[c, s] < 0:
                node_of[c, s] = len(demand_count)
                demand_xy.append(xy(by_path[paths[c]]))
                demand_skill.append(s)
                demand_count.append(0)
            demand_count[node_of[c, s]] += count
            groups_of_node[int(node_of[c, s])].append(g)
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    pos = {int(v): i for i, v in enumerate(ids)}
    resp_xy = np.array([(r["home_x"], r["home_y"]) for r in rows], dtype=np.float64).reshape(-1, 2)
    mode_group_ids = {g.pk for g in groups}
    current = np.full(n, -1, dtype=np.int64)
    current_group: dict[int, int] = {}
    mine = [(pid, rid, gid, skill) for pid, rid, gid, skill in standing if gid in mode_group_ids]
    for _pid, rid, gid, skill in mine:
        if rid in pos:
            g = group_by_id[gid]
            node = node_of[cidx[g.area_path], SKILLS.index(skill)] if skill in SKILL_BIT else -1
            current[pos[rid]] = node
            current_group[rid] = gid
    eligible = np.array([int(v) not in taken for v in ids], dtype=bool) if n else np.zeros(0, dtype=bool)
    tails, heads = [], []
    for s in range(len(SKILLS)):
        sel = np.flatnonzero(eligible & ((mask >> s) & 1 == 1))
        h = node_of[comm[sel], s]
        ok = h >= 0
        tails.append(sel[ok])
        heads.append(h[ok])
    tail = np.concatenate(tails) if tails else np.zeros(0, dtype=np.int64)
    head = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
    dxy = np.array(demand_xy, dtype=np.float64).reshape(-1, 2)
    dist = np.rint(np.hypot(*(resp_xy[tail] - dxy[head]).T)).astype(np.int64) if len(tail) else tail
    inst = solver.Instance(
        resp_xy,
        mask,
        dxy,
        np.array(demand_skill, dtype=np.int64),
        np.array(demand_count, dtype=np.int64),
        current,
    )
    sol = solver.solve(inst, solver.Arcs(tail.astype(np.int64), head.astype(np.int64), dist))
    # split each node among its groups: standing posts first, then in group order
    room = {(g.pk, skill): cnt for g in groups for skill, cnt in g.required.items()}
    kept: set[int] = set()
    made: list[Post] = []
    posted_by_node: dict[int, list[int]] = defaultdict(list)
    for posted in np.flatnonzero(sol.assign >= 0).tolist():
        posted_by_node[int(sol.assign[posted])].append(posted)
    standing_by_resp = {rid: (pid, gid, skill) for pid, rid, gid, skill in mine}
    for node, members in posted_by_node.items():
        skill = SKILLS[demand_skill[node]]
        rest: list[int] = []
        for i in members:
            rid = int(ids[i])
            old = standing_by_resp.get(rid)
            here = {g.pk for g in groups_of_node[node]}
            if old and old[2] == skill and old[1] in here and room[(old[1], skill)] > 0:
                room[(old[1], skill)] -= 1
                kept.add(old[0])
            else:
                rest.append(i)
        for i in rest:
            g = next(g for g in groups_of_node[node] if room.get((g.pk, skill), 0) > 0)
            room[(g.pk, skill)] -= 1
            made.append(
                Post(
                    group=g,
                    responder_id=int(ids[i]),
                    area_path=g.area_path,
                    skill=skill,
                    state=PostState.STANDING,
                    distance_m=round(float(np.hypot(*(resp_xy[i] - dxy[node])))),
                )
            )
    for g in groups:
        short = {skill: room[(g.pk, skill)] for skill in g.required if room[(g.pk, skill)] > 0}
        if g.pk not in leaders:
            short["leader"] = 1
        g.shortfall = short
    return kept, made, leaders
