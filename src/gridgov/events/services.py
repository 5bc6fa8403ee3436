"""Every write on events: one service per transition, each checking scope and permission inside its
transaction (the event row locked), writing a trail row (EventTransition) and an audit row."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Role
from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core import audit
from gridgov.core.actors import SystemActor, as_user, is_system, skips_checks
from gridgov.core.scope import OutOfScope, check_reach, user_can_reach
from gridgov.core.services import ServiceError

from . import assignees, hooks, machine, sla
from .models import (
    OPEN_STATES,
    Attachment,
    Category,
    DispatchRule,
    Event,
    EventTransition,
    GridCouncil,
    PatrolKind,
    PatrolLog,
    Source,
    State,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User

MAX_ESCALATION = sla.MAX_LEVEL
# The periodic escalation of overdue work orders (Celery beat), audited as system:events.escalate_overdue.
ESCALATOR = SystemActor("events.escalate_overdue")


class TransitionRefused(ServiceError):
    """An illegal or unauthorised transition; nothing was changed."""


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _by_system(actor: User | SystemActor | None) -> bool:
    """The platform itself acts: it may take the machine's SYSTEM transitions (escalation), no other."""
    return skips_checks(actor) or is_system(actor)


def _label(actor: User | SystemActor | None) -> str:
    if _by_system(actor):
        return _("系统")
    return str(actor)


# --- who may do what ---------------------------------------------------------------------------------
def is_dispatcher(user, event: Event) -> bool:
    return bool(user and user.has_perm("events.dispatch_event") and user_can_reach(user, event.area_path))


def is_assignee(user, event: Event) -> bool:
    if not user or not user.has_perm("events.handle_event") or not event.assignee_kind:
        return False
    kind = assignees.find(event.assignee_kind)
    if kind is None:
        return False
    if not kind.is_area:
        # a unit of a registered kind (a property company): only the logins working for that unit
        return assignees.is_unit_of(user, event.assignee_kind, event.assignee_id)
    if getattr(user, "role", "") in (Role.RESIDENT, Role.MERCHANT) or assignees.member_kind(user) is not None:
        return False
    return event.assignee_area is not None and user_can_reach(user, event.assignee_area.path)


def is_reporter(user, event: Event) -> bool:
    return bool(user and event.reporter_id == user.pk and user.has_perm("events.rate_event"))


_CHECKS: dict[str, Callable[[Any, Event], bool]] = {
    machine.DISPATCHER: is_dispatcher,
    machine.ASSIGNEE: is_assignee,
    machine.REPORTER: is_reporter,
}


def allowed_actions(user, event: Event) -> list[str]:
    """Actions this user may take on the event now (for buttons on pages and the API)."""
    result = []
    for action in machine.actions_from(event.state):
        rule = machine.target(event.state, action)
        assert rule is not None
        if any(who in _CHECKS and _CHECKS[who](user, event) for who in rule[1]):
            result.append(action)
    return result


def _transition(
    actor: User | SystemActor,
    event: Event,
    action: str,
    *,
    now: dt.datetime | None = None,
    note: str = "",
    change: Callable[[Event], None] | None = None,
) -> Event:
    """The one place a state changes: lock, check the table and the actor, change, trail, audit."""
    now = _now(now)
    event = Event.objects.lock_in_scope(actor, event.pk)
    label = machine.ACTION_LABELS.get(action, action)
    rule = machine.target(event.state, action)
    if rule is None:
        last = event.transitions.order_by("-created_at", "-id").first()
        if last is not None and last.action == action:
            raise TransitionRefused(_("重复提交:该事件已“%(action)s”,未做任何更改") % {"action": label})
        raise TransitionRefused(
            _("事件当前状态为“%(state)s”,不能“%(action)s”")
            % {"state": event.get_state_display(), "action": label}
        )
    new_state, who = rule
    if _by_system(actor):
        permitted = machine.SYSTEM in who or (
            machine.SYSTEM_OWN in who and event.source == Source.SYSTEM and event.reporter_id is None
        )
    else:
        permitted = any(w in _CHECKS and _CHECKS[w](actor, event) for w in who)
    if not permitted:
        raise TransitionRefused(_("您无权对该事件执行“%(action)s”") % {"action": label})
    before = audit.snapshot(event)
    from_state = event.state
    if change is not None:
        change(event)
    if new_state is not None:
        event.state = new_state
    event.save()
    EventTransition.objects.create(
        event=event,
        action=action,
        from_state=from_state,
        to_state=event.state,
        actor=as_user(actor),
        actor_label=_label(actor),
        note=(note or "")[:500],
        created_at=now,
    )
    after = audit.snapshot(event)
    audit.record(
        actor,
        f"events.{action}",
        event,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v} | ({"note": note} if note else {}),
    )
    return event


# --- report ------------------------------------------------------------------------------------------
def event_number(reported_at: dt.datetime, pk: int) -> str:
    """The one work-order number format: SJ, the local report date, the id in 7 digits (SJ202603040000123)."""
    return f"SJ{timezone.localtime(reported_at):%Y%m%d}{pk:07d}"


def _clean_text(value: str, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("请填写%(label)s") % {"label": label})
    if len(value) > max_length:
        raise ServiceError(_("%(label)s不能超过 %(n)d 个字") % {"label": label, "n": max_length})
    return value


def _check_report_area(actor: User | SystemActor, area: Area) -> None:
    """Staff report inside their subtree; a resident anywhere in their own community."""
    if skips_checks(actor):
        return
    if getattr(actor, "role", "") == Role.RESIDENT and actor.area_path:
        community = ancestor_path(actor.area_path, Level.COMMUNITY)
        if not area.path.startswith(community):
            raise OutOfScope(area.path)
        return
    kind = assignees.member_kind(actor)
    if kind is not None and kind.may_report is not None:
        # a login working for a unit reports where its kind allows (a company: in its own estates,
        # where it will see the event afterwards)
        if not kind.may_report(actor, area.path):
            raise OutOfScope(area.path)
        return
    check_reach(actor, area.path)


def duplicate_candidates(
    category: Category,
    area: Area,
    *,
    x: float | None = None,
    y: float | None = None,
    now: dt.datetime | None = None,
) -> list[Event]:
    """Open events of the same category reported nearby within the window (suggestions, not a block)."""
    now = _now(now)
    since = now - dt.timedelta(hours=settings.GRIDGOV_EVENT_DUPLICATE_HOURS)
    near = area.path[: min(len(area.path), 15)]
    qs = (
        Event.objects.unscoped(
            "duplicate suggestions: open orders of the same grid and category, whoever reports"
        )
        .in_area(near)
        .filter(category=category, state__in=OPEN_STATES, reported_at__gte=since, duplicate_of__isnull=True)
        .order_by("-reported_at")[:20]
    )
    radius = settings.GRIDGOV_EVENT_DUPLICATE_METRES
    result = []
    for event in qs:
        both = x is not None and y is not None and event.x is not None and event.y is not None
        if both and math.hypot(event.x - x, event.y - y) > radius:  # type: ignore[operator]
            continue
        result.append(event)
    return result[:5]


@transaction.atomic
def report_event(
    actor: User | SystemActor,
    *,
    category: Category,
    title: str,
    area: Area,
    description: str = "",
    x: float | None = None,
    y: float | None = None,
    address: str = "",
    source: str | None = None,
    origin: str = "",
    attachments: list | None = None,
    now: dt.datetime | None = None,
) -> Event:
    now = _now(now)
    area = Area.objects.unscoped("the report's area re-read by id: _check_report_area checks it next").get(
        pk=area.pk
    )
    _check_report_area(actor, area)
    title = _clean_text(title, _("标题"), 100)
    description = _clean_text(description, _("描述"), 2000, required=False)
    if source is None:
        role = str(getattr(actor, "role", ""))
        by_role: dict[str, str] = {
            Role.RESIDENT: Source.RESIDENT,
            Role.GRID_WORKER: Source.GRID,
            Role.PROPERTY: Source.PROPERTY,
        }
        source = by_role.get(role, Source.SYSTEM if _by_system(actor) else Source.STAFF)
    if x is None and area.x is not None:
        x, y = area.x, area.y
    event = Event.objects.create(
        number=uuid.uuid4().hex[:20],
        category=category,
        title=title,
        description=description,
        area=area,
        area_path=area.path,
        x=x,
        y=y,
        address=(address or "")[:200],
        source=source,
        origin=origin[:64],
        reporter=as_user(actor),
        reported_at=now,
        accept_due=sla.add_working_hours(now, category.accept_hours),
    )
    event.number = event_number(now, event.pk)
    event.save(update_fields=["number"])
    EventTransition.objects.create(
        event=event,
        action="report",
        from_state=State.REPORTED,
        to_state=State.REPORTED,
        actor=event.reporter,
        actor_label=_label(actor),
        created_at=now,
    )
    audit.record(actor, "events.report", event, after=audit.snapshot(event))
    for upload in attachments or []:
        _save_attachment(actor, event, upload)
    return event


# --- attachments -------------------------------------------------------------------------------------
MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "application/pdf": (b"%PDF-", (".pdf",)),
}


def sniff(upload) -> str:
    """The content type by magic bytes and extension (both must agree); ServiceError otherwise."""
    name = str(getattr(upload, "name", "") or "").lower()
    size = getattr(upload, "size", None)
    limit = settings.GRIDGOV_EVENT_ATTACHMENT_MAX_BYTES
    if size is not None and size > limit:
        raise ServiceError(_("附件不能超过 %(mb).0f MB") % {"mb": limit / 2**20})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head:
        raise ServiceError(_("附件为空"))
    for content_type, (magic, suffixes) in MAGIC.items():
        if head.startswith(magic):
            if not name.endswith(suffixes):
                raise ServiceError(_("附件扩展名与内容不符"))
            return content_type
    raise ServiceError(_("附件只能是 JPG、PNG 图片或 PDF 文件"))


def _save_attachment(actor: User | SystemActor, event: Event, upload) -> Attachment:
    content_type = sniff(upload)
    suffix = MAGIC[content_type][1][0]
    attachment = Attachment(
        event=event,
        content_type=content_type,
        size=upload.size,
        uploaded_by=as_user(actor),
    )
    attachment.file.save(f"event-{event.pk}-{uuid.uuid4().hex[:8]}{suffix}", upload, save=False)
    attachment.save()
    audit.record(actor, "events.attach", event, after={"file": attachment.file.name, "size": attachment.size})
    return attachment


@transaction.atomic
def add_attachment(actor: User | SystemActor, event: Event, upload) -> Attachment:
    event = Event.objects.lock_in_scope(actor, event.pk)
    if not event.is_open and event.state != State.CLOSED:
        raise ServiceError(_("事件已办结,不能再添加附件"))
    return _save_attachment(actor, event, upload)


# --- transitions -------------------------------------------------------------------------------------
@transaction.atomic
def accept(
    actor: User | SystemActor, event: Event, *, note: str = "", now: dt.datetime | None = None
) -> Event:
    now = _now(now)

    def change(e: Event) -> None:
        e.accepted_at = now

    return _transition(actor, event, "accept", now=now, note=note, change=change)


@transaction.atomic
def reject(actor: User | SystemActor, event: Event, *, note: str, now: dt.datetime | None = None) -> Event:
    note = _clean_text(note, _("不予受理的理由"), 500)
    now = _now(now)

    def change(e: Event) -> None:
        e.closed_at = now

    return _transition(actor, event, "reject", now=now, note=note, change=change)


@transaction.atomic
def merge(actor: User | SystemActor, event: Event, *, into: Event, now: dt.datetime | None = None) -> Event:
    if into.pk == event.pk:
        raise ServiceError(_("不能把事件合并到它自己"))
    target = into if skips_checks(actor) else Event.objects.visible_to(actor).filter(pk=into.pk).first()
    if target is None:
        raise OutOfScope("merge target")
    if target.duplicate_of_id or target.state in (State.MERGED, State.REJECTED):
        raise ServiceError(_("目标事件本身已合并或不予受理"))
    now = _now(now)

    def change(e: Event) -> None:
        e.duplicate_of = target
        e.closed_at = now

    return _transition(actor, event, "merge", now=now, note=target.number, change=change)


def suggest_dispatch(event: Event) -> DispatchRule | None:
    """The rule for the event's category (or its nearest ancestor category) on the deepest area above it."""
    category: Category | None = event.category
    while category is not None:
        rules = [
            r
            for r in DispatchRule.objects.unscoped("dispatch rules apply to every event below them").filter(
                category=category
            )
            if event.area_path.startswith(r.area_path)
        ]
        if rules:
            return max(rules, key=lambda r: len(r.area_path))
        category = category.parent
    return None


@transaction.atomic
def dispatch(
    actor: User | SystemActor,
    event: Event,
    *,
    assignee_kind: str,
    assignee_id: int | None = None,
    assignee_area: Area | None = None,
    assignee_name: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Event:
    """Dispatch to a target of a registered kind (events.assignees): an area (`assignee_area` or its id)
    for community, grid and department, a unit's id for the other kinds (a property company)."""
    now = _now(now)
    kind = assignees.get(assignee_kind or "")
    if kind.is_area and assignee_area is not None:
        assignee_id = assignee_area.pk
    target = kind.validate(actor, assignee_id, assignee_name)
    category_hours = event.category.finish_hours

    def change(e: Event) -> None:
        e.assignee_kind = target.kind
        e.assignee_id = target.id
        e.assignee_area = target.area
        e.assignee_name = target.name
        e.dispatched_at = now
        e.finish_due = sla.add_working_hours(now, category_hours)
        e.overdue = False  # a new clock: its escalation starts again (the trail keeps the earlier ones)
        e.escalation_level = 0
        e.handler = None

    return _transition(actor, event, "dispatch", now=now, note=note or target.name, change=change)


@transaction.atomic
def start(
    actor: User | SystemActor, event: Event, *, note: str = "", now: dt.datetime | None = None
) -> Event:
    now = _now(now)

    def change(e: Event) -> None:
        e.started_at = e.started_at or now
        e.handler = as_user(actor)

    return _transition(actor, event, "start", now=now, note=note, change=change)


@transaction.atomic
def return_event(
    actor: User | SystemActor, event: Event, *, note: str, now: dt.datetime | None = None
) -> Event:
    note = _clean_text(note, _("退回理由"), 500)
    return _transition(actor, event, "return", now=now, note=note)


@transaction.atomic
def finish(actor: User | SystemActor, event: Event, *, result: str, now: dt.datetime | None = None) -> Event:
    result = _clean_text(result, _("处置结果"), 2000)
    now = _now(now)

    def change(e: Event) -> None:
        e.result = result
        e.handled_at = now
        e.handler = as_user(actor)

    event = _transition(actor, event, "finish", now=now, note=result[:500], change=change)
    hooks.fire("handled", event, actor)
    return event


@transaction.atomic
def verify(
    actor: User | SystemActor, event: Event, *, note: str = "", now: dt.datetime | None = None
) -> Event:
    return _transition(actor, event, "verify", now=now, note=note)


@transaction.atomic
def reopen(actor: User | SystemActor, event: Event, *, note: str, now: dt.datetime | None = None) -> Event:
    note = _clean_text(note, _("核查不通过的理由"), 500)

    def change(e: Event) -> None:
        e.reopen_count += 1
        e.handled_at = None

    return _transition(actor, event, "reopen", now=now, note=note, change=change)


@transaction.atomic
def close(
    actor: User | SystemActor, event: Event, *, note: str = "", now: dt.datetime | None = None
) -> Event:
    now = _now(now)

    def change(e: Event) -> None:
        e.closed_at = now

    event = _transition(actor, event, "close", now=now, note=note, change=change)
    hooks.fire("closed", event, event.handler)
    return event


@transaction.atomic
def rate(
    actor: User | SystemActor, event: Event, *, rating: int, comment: str = "", now: dt.datetime | None = None
) -> Event:
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ServiceError(_("评价须为 1 到 5 星"))
    comment = _clean_text(comment, _("评价意见"), 300, required=False)

    def change(e: Event) -> None:
        e.rating = rating
        e.rating_comment = comment

    return _transition(actor, event, "rate", now=now, note=comment, change=change)


def escalation_clock(event: Event) -> tuple[dt.datetime | None, float]:
    """The due time and SLA hours the event's escalation runs on (no clock: None)."""
    if event.state == State.REPORTED:
        return event.accept_due, float(event.category.accept_hours)
    if event.state in (State.DISPATCHED, State.HANDLING, State.RETURNED):
        return event.finish_due, float(event.category.finish_hours)
    return None, 0.0


def _escalation_level(event: Event, now: dt.datetime) -> int:
    due, hours = escalation_clock(event)
    return sla.escalation_level(due, hours, now)


@transaction.atomic
def escalate(
    actor: User | SystemActor,
    event: Event,
    *,
    note: str = "",
    level: int | None = None,
    now: dt.datetime | None = None,
) -> Event:
    """督办: by a dispatcher (one level up) or by the periodic task (to the level the delay calls for)."""
    now = _now(now)

    def change(e: Event) -> None:
        e.escalation_level = min(MAX_ESCALATION, level if level is not None else e.escalation_level + 1)
        e.escalated_at = now
        if _by_system(actor):
            e.overdue = True

    event = _transition(actor, event, "escalate", now=now, note=note, change=change)
    hooks.fire("escalated", event, None)
    return event


def escalate_overdue(now: dt.datetime | None = None) -> int:
    """Mark overdue events and escalate them one transaction per event; returns how many were escalated.

    Level = 1 once the due time has passed, +1 for every further SLA period late (at most 3).
    """
    from django.db.models import Q

    now = _now(now)
    candidates = (
        Event.objects.unscoped("periodic escalation of overdue events")
        .filter(
            Q(state=State.REPORTED, accept_due__lt=now)
            | Q(state__in=[State.DISPATCHED, State.HANDLING, State.RETURNED], finish_due__lt=now)
        )
        .select_related("category")
        .order_by("id")
    )
    done = 0
    for event in candidates.iterator():
        level = _escalation_level(event, now)
        if level > event.escalation_level:
            escalate(ESCALATOR, event, level=level, note=_("超时自动督办(%(n)d 级)") % {"n": level}, now=now)
            done += 1
    return done


# --- patrols, visits and grid councils ---------------------------------------------------------------
@transaction.atomic
def log_patrol(
    actor: User | SystemActor,
    *,
    area: Area,
    kind: str,
    place: str,
    findings: str = "",
    visited: str = "",
    started_at: dt.datetime | None = None,
    report_category: Category | None = None,
) -> PatrolLog:
    """A patrol or visit; with `report_category` its findings also become a work order (same transaction)."""
    if kind not in PatrolKind.values:
        raise ServiceError(_("记录类型无效"))
    area = Area.objects.get_in_scope(actor, area.pk)
    place = _clean_text(place, _("地点"), 200)
    findings = _clean_text(findings, _("发现情况"), 2000, required=report_category is not None)
    started_at = started_at or timezone.now()
    log = PatrolLog.objects.create(
        kind=kind,
        worker=as_user(actor),
        area=area,
        area_path=area.path,
        started_at=started_at,
        place=place,
        findings=findings,
        visited=(visited or "").strip()[:100],
    )
    if report_category is not None:
        log.event = report_event(
            actor,
            category=report_category,
            title=findings[:100],
            description=findings,
            area=area,
            address=place,
            source=Source.GRID,
            origin=f"patrol:{log.pk}",
        )
        log.save(update_fields=["event"])
    audit.record(actor, "events.patrol", log, after=audit.snapshot(log))
    return log


@transaction.atomic
def record_council(
    actor: User | SystemActor,
    *,
    area: Area,
    held_on: dt.date,
    topic: str,
    decisions: str = "",
    attendees: int = 0,
) -> GridCouncil:
    area = Area.objects.get_in_scope(actor, area.pk)
    if area.level != Level.GRID:
        raise ServiceError(_("网格议事会须在网格召开"))
    if attendees is None or int(attendees) < 0:
        raise ServiceError(_("参会人数无效"))
    council = GridCouncil.objects.create(
        area=area,
        area_path=area.path,
        held_on=held_on,
        topic=_clean_text(topic, _("议题"), 200),
        decisions=_clean_text(decisions, _("议定事项"), 4000, required=False),
        attendees=int(attendees),
    )
    audit.record(actor, "events.council", council, after=audit.snapshot(council))
    return council


# --- export ------------------------------------------------------------------------------------------
def export_columns():
    from gridgov.core.xlsx import Column

    return [
        Column("number", _("工单号")),
        Column("title", _("标题")),
        Column("category", _("分类")),
        Column("place", _("地点")),
        Column("area_code", _("区域代码")),
        Column("address", _("具体位置")),
        Column("source", _("来源")),
        Column("state", _("状态")),
        Column("assignee", _("承办")),
        Column("reported_at", _("上报时间")),
        Column("accept_due", _("受理时限")),
        Column("finish_due", _("办结时限")),
        Column("closed_at", _("结案时间")),
        Column("overdue", _("超时")),
        Column("escalation", _("督办级别")),
        Column("rating", _("评价")),
    ]


@transaction.atomic
def export_events(actor: User | SystemActor, qs) -> bytes:
    """The work orders of `qs` (already scoped and filtered by the caller) as xlsx; the export is audited."""
    from gridgov.core.xlsx import write_sheet

    from .places import place_labels

    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    events = list(qs.select_related("category", "area"))
    labels = place_labels({e.area_path for e in events})
    rows = [
        {
            "number": e.number,
            "title": e.title,
            "category": e.category.name,
            "place": labels.get(e.area_path, ""),
            "area_code": e.area.code,
            "address": e.address,
            "source": e.get_source_display(),
            "state": e.get_state_display(),
            "assignee": e.assignee_name,
            "reported_at": when(e.reported_at),
            "accept_due": when(e.accept_due),
            "finish_due": when(e.finish_due),
            "closed_at": when(e.closed_at),
            "overdue": _("是") if e.overdue else "",
            "escalation": e.escalation_level or "",
            "rating": e.rating or "",
        }
        for e in events
    ]
    title = _("事件工单")
    audit.record(actor, "events.export", None, object_repr=str(title), after={"rows": len(rows)})
    return write_sheet(str(title), export_columns(), rows)
