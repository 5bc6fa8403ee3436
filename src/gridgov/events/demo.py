"""Synthetic city: a year of work orders (step 80), and grid workers' patrols and grid councils.

About ctx.scaled(60_000) events at scale 1.0 (a city of 1.2 million: roughly 160 a day), reported over
the last 365 days in the generated buildings. Each event is walked through the state machine
(`machine.TRANSITIONS`) by simulated people: older events are mostly closed and rated, recent ones
are spread over the open states; a few are rejected, merged, returned and re-dispatched, or reopened
after a failed verification. Every step writes its trail row, so the trail always agrees with the
state. An event in a building that a unit serves (`ctx.assignee_units`, filled by an earlier step: the
property step maps its estates' buildings to their company) goes to that unit when the category's
default assignee is its kind (so the ranking and the demo `property` login have work orders); others
go to the community, the grid or a department.
Events and trails are bulk-inserted (trails as multi-row INSERTs).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gridgov.areas.models import Level, ancestor_path
from gridgov.demo.context import CityContext
from gridgov.demo.registry import step

from . import machine, sla
from .models import (
    AssigneeKind,
    Category,
    Event,
    EventTransition,
    GridCouncil,
    PatrolKind,
    PatrolLog,
    Source,
    State,
)
from .reference import ensure_default_categories
from .services import escalation_clock, event_number

EVENTS_PER_YEAR = 60_000  # at scale 1.0
PATROLS_PER_GRID = 8
COUNCILS_PER_GRID = 2
CATEGORY_WEIGHTS = {
    "env.garbage": 14,
    "env.greening": 6,
    "safety.fire": 5,
    "safety.building": 2,
    "property.repair": 16,
    "property.elevator": 6,
    "property.fee": 4,
    "dispute": 10,
    "facility.road": 6,
    "facility.light": 6,
    "other": 5,
}
TITLES = {
    "env.garbage": ["垃圾桶满溢未清运", "楼道堆放杂物", "建筑垃圾乱堆"],
    "env.greening": ["绿化带枯死", "树枝遮挡窗户", "草坪被踩踏"],
    "safety.fire": ["消防通道被车辆堵塞", "楼道电动车充电", "灭火器过期"],
    "safety.building": ["外墙瓷砖脱落", "阳台开裂"],
    "property.repair": ["楼道灯不亮", "单元门禁损坏", "下水道堵塞", "屋顶漏水"],
    "property.elevator": ["电梯停运", "电梯异响", "电梯困人"],
    "property.fee": ["物业费收费标准有异议", "停车费争议"],
    "dispute": ["邻里噪音纠纷", "楼上漏水纠纷", "宠物扰民"],
    "facility.road": ["路面坑洼", "井盖缺失"],
    "facility.light": ["路灯不亮", "路灯白天常亮"],
    "other": ["其他问题反映"],
}
RESULTS = ["已现场处置完毕", "已维修并回访居民", "已清理完毕", "已协调双方达成一致", "已更换配件"]
MEETING_TOPICS = [
    "小区停车难问题",
    "电梯加装与维保",
    "物业费收缴与服务公开",
    "老旧小区改造",
    "垃圾分类与清运",
]
MEETING_DECISIONS = [
    "增设非机动车充电桩",
    "规范小区停车秩序",
    "公示物业服务收费标准",
    "更换老旧电梯配件",
    "增加垃圾清运频次",
    "修复破损路面",
]
SOURCES = (Source.RESIDENT, Source.GRID, Source.PROPERTY, Source.STAFF)
SOURCE_WEIGHTS = (0.5, 0.3, 0.1, 0.1)


@dataclass
class EventSpec:
    category: Category
    title: str
    area_id: int
    area_path: str
    reported_at: dt.datetime
    source: str
    description: str = ""
    origin: str = ""
    unit: tuple[str, int] | None = None  # (assignee kind, id) of the unit serving the place
    assignee_kind: str = ""
    assignee_area_id: int | None = None
    assignee_name: str = ""
    x: float | None = None
    y: float | None = None
    meeting_id: int | None = None


def _h(rng: random.Random, lo: float, mode: float, hi: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.triangular(lo, hi, mode))


def _plan(rng: random.Random, age_days: float) -> str:
    """The state an event of this age ends in."""
    if age_days < 1:
        return rng.choices(["reported", "accepted", "dispatched", "handling"], (3, 2, 3, 2))[0]
    if age_days < 7:
        return rng.choices(
            ["dispatched", "handling", "handled", "verified", "returned", "closed", "rated"],
            (1, 3, 2, 1, 0.3, 3, 3),
        )[0]
    return rng.choices(["closed", "rated", "rejected", "merged", "handling"], (35, 57, 4, 3, 1))[0]


def _walk(
    rng: random.Random, event: Event, goal: str, now: dt.datetime, assign: dict[str, Any]
) -> list[tuple]:
    """Move `event` from reported towards `goal` through the machine; return the trail rows."""
    at = event.reported_at
    trail: list[tuple[str, str, str, dt.datetime, str]] = [("report", State.REPORTED, State.REPORTED, at, "")]
    state: str = State.REPORTED

    def go(action: str, delay: dt.timedelta, note: str = "") -> bool:
        nonlocal at, state
        nxt = machine.target(state, action)
        assert nxt is not None and nxt[0] is not None, (state, action)
        when = at + delay
        if when >= now:
            return False
        at = when
        trail.append((action, state, nxt[0], at, note))
        state = nxt[0]
        return True

    def done() -> bool:
        return state == goal

    if goal == "rejected":
        if go("reject", _h(rng, 0.2, 1, 6), "不属于受理范围"):
            event.closed_at = at
    elif goal == "merged":
        if go("merge", _h(rng, 0.2, 1, 6)):
            event.closed_at = at
    elif not done() and go("accept", _h(rng, 0.1, 0.8, 4)):
        event.accepted_at = at
        while not done():
            if state in (State.ACCEPTED, State.RETURNED):
                if not go("dispatch", _h(rng, 0.2, 1.5, 8), assign["name"]):
                    break
                event.assignee_kind = assign["kind"]
                event.assignee_area_id = assign["area_id"]
                event.assignee_id = assign["area_id"] or assign["unit_id"]
                event.assignee_name = assign["name"]
                event.dispatched_at = at
                event.finish_due = sla.add_working_hours(at, assign["finish_hours"])
                if (
                    goal != "returned"
                    and rng.random() < 0.03
                    and go("return", _h(rng, 0.5, 2, 10), "不属于本单位职责")
                ):
                    continue
            elif state == State.DISPATCHED:
                if goal == "returned":
                    go("return", _h(rng, 0.5, 2, 10), "不属于本单位职责")
                    break
                if not go("start", _h(rng, 0.2, 2, 16)):
                    break
                event.started_at = event.started_at or at
            elif state == State.HANDLING:
                if not go("finish", _h(rng, 1, 8, 60), rng.choice(RESULTS)):
                    break
                event.handled_at = at
                event.result = trail[-1][4]
            elif state == State.HANDLED:
                reopen = goal != "handled" and event.reopen_count == 0 and rng.random() < 0.05
                if reopen and go("reopen", _h(rng, 1, 6, 30), "居民反映问题仍未解决"):
                    event.reopen_count += 1
                    event.handled_at = None
                    continue
                if not go("verify", _h(rng, 0.5, 5, 30)):
                    break
            elif state == State.VERIFIED:
                if not go("close", _h(rng, 0.1, 1, 8)):
                    break
                event.closed_at = at
            elif state == State.CLOSED:
                if not go("rate", _h(rng, 1, 12, 96)):
                    break
                event.rating = rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0]
            else:
                break
    event.state = state
    # The periodic task's ladder (services.escalate_overdue, every 10 minutes): one escalation per level
    # reached, so an order a year overdue stands at the top level, as the task would have left it.
    due, hours = escalation_clock(event)
    last = at
    for level, reached in sla.escalation_ladder(due, hours, now) if due is not None else []:
        when = max(reached, last) + dt.timedelta(minutes=10)
        if when >= now:
            break
        event.overdue = True
        event.escalation_level = level
        event.escalated_at = last = when
        trail.append(("escalate", state, state, when, f"超时自动督办({level} 级)"))
    return trail


def _assignment(
    category: Category, spec: EventSpec, grid_id: int | None, community_id: int, departments
) -> dict:
    hours = category.finish_hours
    if spec.unit is not None and (category.default_assignee == spec.unit[0] or spec.meeting_id):
        return {
            "kind": spec.unit[0],
            "area_id": None,
            "unit_id": spec.unit[1],
            "name": "",
            "finish_hours": hours,
        }
    if category.default_assignee == AssigneeKind.GRID and grid_id:
        return {
            "kind": AssigneeKind.GRID,
            "area_id": grid_id,
            "unit_id": None,
            "name": "",
            "finish_hours": hours,
        }
    if category.default_assignee == AssigneeKind.DEPARTMENT:
        street = departments.get(ancestor_path(spec.area_path, Level.STREET))
        if street:
            return {
                "kind": AssigneeKind.DEPARTMENT,
                "area_id": street[0],
                "unit_id": None,
                "name": street[1],
                "finish_hours": hours,
            }
    return {
        "kind": AssigneeKind.COMMUNITY,
        "area_id": community_id,
        "unit_id": None,
        "name": "",
        "finish_hours": hours,
    }


def _insert_trail(rows: list[tuple]) -> None:
    """(event_id, action, from, to, created_at, note, actor_label) as multi-row INSERTs."""
    ops = connection.ops
    fields = ["event", "action", "from_state", "to_state", "created_at", "note", "actor_label"]
    columns = ", ".join(ops.quote_name(EventTransition._meta.get_field(f).column) for f in fields)  # type: ignore[union-attr,arg-type]
    table = ops.quote_name(EventTransition._meta.db_table)
    batch = (30000 if connection.vendor == "sqlite" else 60000) // len(fields)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            values: list = []
            for event_id, action, a, b, at, note, label in chunk:
                values.extend((event_id, action, a, b, ops.adapt_datetimefield_value(at), note, label))
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", values)  # noqa: S608


def build_events(
    ctx: CityContext, rng: random.Random, specs: list[EventSpec], now: dt.datetime
) -> list[Event]:
    """Events for the specs, walked through the machine up to a state that fits their age; bulk-inserted."""
    grids = {g.path: g.id for g in ctx.areas.get(Level.GRID) or []}
    communities = {c.path: c.id for c in ctx.areas.get(Level.COMMUNITY) or []}
    departments = {s.path: (s.id, f"{s.name}城管科") for s in ctx.areas.get(Level.STREET) or []}
    counter = getattr(ctx, "_event_counter", 0)
    events, trails = [], []
    for spec in specs:
        counter += 1
        local = timezone.localtime(spec.reported_at)
        event = Event(
            number=f"SJ{local:%Y%m%d}T{counter:07d}",  # until the id is known (event_number below)
            category=spec.category,
            title=spec.title[:100],
            description=spec.description,
            area_id=spec.area_id,
            area_path=spec.area_path,
            x=spec.x,
            y=spec.y,
            source=spec.source,
            origin=spec.origin,
            reported_at=spec.reported_at,
            accept_due=sla.add_working_hours(spec.reported_at, spec.category.accept_hours),
        )
        assign = _assignment(
            spec.category,
            spec,
            grids.get(ancestor_path(spec.area_path, Level.GRID)),
            communities[ancestor_path(spec.area_path, Level.COMMUNITY)],
            departments,
        )
        if not assign["name"]:
            assign["name"] = assign["kind"]  # replaced by the unit's or area's name (_name_assignees)
        age = (now - spec.reported_at).total_seconds() / 86400
        goal = "handling" if spec.meeting_id and age < 7 else _plan(rng, age)
        if spec.meeting_id and goal in ("rejected", "merged"):
            goal = "closed"
        trails.append(_walk(rng, event, goal, now, assign))
        events.append(event)
    ctx._event_counter = counter  # type: ignore[attr-defined]
    _name_assignees(events)
    Event.objects.bulk_create(events, batch_size=2000)
    _number(events)
    rows = []
    for event, trail in zip(events, trails, strict=True):
        for action, a, b, at, note in trail:
            if action == "dispatch":  # the walk knew only the kind; the trail names the assignee
                note = event.assignee_name
            rows.append((event.pk, action, a, b, at, note, "系统" if action == "escalate" else "演示数据"))
    _insert_trail(rows)
    return events


def _number(events: list[Event]) -> None:
    """Give the inserted events the one number format (services.event_number: date + id), in SQL."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat, LPad, Substr

    ids = [e.pk for e in events]
    for start in range(0, len(ids), 2000):
        Event.objects.for_generator().filter(pk__in=ids[start : start + 2000]).update(
            number=Concat(
                Substr("number", 1, 10),
                LPad(Cast("id", CharField()), 7, Value("0")),
                output_field=CharField(),
            )
        )
    for e in events:
        e.number = event_number(e.reported_at, e.pk)


def _name_assignees(events: list[Event]) -> None:
    from gridgov.areas.models import Area

    from . import assignees

    units = {(e.assignee_kind, e.assignee_id) for e in events if e.assignee_id and not e.assignee_area_id}
    names = {}
    for kind, unit_id in units:
        target = assignees.lookup(kind, unit_id)
        names[(kind, unit_id)] = target.name if target is not None else ""
    area_ids = {e.assignee_area_id for e in events if e.assignee_area_id}
    areas = dict(Area.objects.for_generator().filter(pk__in=area_ids).values_list("pk", "name"))
    for e in events:
        if e.assignee_id and not e.assignee_area_id:
            e.assignee_name = names.get((e.assignee_kind, e.assignee_id), "")
        elif e.assignee_area_id and e.assignee_kind != AssigneeKind.DEPARTMENT:
            e.assignee_name = areas.get(e.assignee_area_id, "")


@step(order=80, name="事件工单")
def generate_events(ctx: CityContext) -> str:
    rng = ctx.fork("events")
    buildings = ctx.areas.get(Level.BUILDING) or []
    grids = ctx.areas.get(Level.GRID) or []
    if not buildings:
        return "0 件事件工单"
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    ensure_default_categories(Category)  # a flushed test database has lost the data migration's rows
    categories = {c.code: c for c in Category.objects.all()}
    codes = [c for c in CATEGORY_WEIGHTS if c in categories]
    weights = [CATEGORY_WEIGHTS[c] for c in codes]
    units = ctx.assignee_units  # building id -> (kind, id) of the unit serving it (property's estates)
    total = ctx.scaled(EVENTS_PER_YEAR)
    progress = ctx.progress("事件工单", total)
    made = trail_rows = 0
    batch = 10_000
    for start in range(0, total, batch):
        specs = []
        for _i in range(min(batch, total - start)):
            b = rng.choice(buildings)
            code = rng.choices(codes, weights)[0]
            reported = now - dt.timedelta(seconds=rng.randrange(3600, 365 * 86400))
            specs.append(
                EventSpec(
                    category=categories[code],
                    title=rng.choice(TITLES.get(code, ["其他问题反映"])),
                    area_id=b.id,
                    area_path=b.path,
                    reported_at=reported,
                    source=rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
                    unit=units.get(b.id),
                    x=b.x + rng.uniform(-20, 20),
                    y=b.y + rng.uniform(-20, 20),
                )
            )
        with transaction.atomic():
            events = build_events(ctx, rng, specs, now)
        made += len(events)
        progress.advance(len(specs))
    progress.close()
    trail_rows = EventTransition.objects.count()
    # patrols and visits (a few with findings that became the work orders above are not linked) and councils
    with transaction.atomic():
        logs = []
        for g in grids:
            for _i in range(PATROLS_PER_GRID if ctx.scale >= 0.02 else 2):
                kind = rng.choices(PatrolKind.values, (6, 3, 1))[0]
                logs.append(
                    PatrolLog(
                        kind=kind,
                        area_id=g.id,
                        area_path=g.path,
                        started_at=now - dt.timedelta(hours=rng.randrange(1, 365 * 24)),
                        place=f"{g.name}",
                        findings=rng.choice(["", "", "未发现问题", "楼道堆放杂物已劝导清理"]),
                        visited=rng.choice(["", "独居老人", "困难家庭"]) if kind == PatrolKind.VISIT else "",
                    )
                )
        PatrolLog.objects.bulk_create(logs, batch_size=5000)
        councils = [
            GridCouncil(
                area_id=g.id,
                area_path=g.path,
                held_on=(now - dt.timedelta(days=rng.randrange(1, 365))).date(),
                topic=rng.choice(MEETING_TOPICS),
                decisions=rng.choice(MEETING_DECISIONS),
                attendees=rng.randint(6, 25),
            )
            for g in grids
            for _i in range(COUNCILS_PER_GRID)
        ]
        GridCouncil.objects.bulk_create(councils, batch_size=5000)
    ctx.summary.update(events=made)
    return f"{made} 件事件工单,{trail_rows} 条流转记录,{len(logs)} 条巡查走访,{len(councils)} 次网格议事会"
