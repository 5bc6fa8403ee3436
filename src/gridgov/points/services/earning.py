"""Earning: activities, sign-up, check-in, self-reports, approval against the earning rules."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core import audit
from gridgov.core.actors import require_actor
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident

from .. import ledger
from ..ledger import Leg
from ..models import Activity, ActivityKind, EarningRule, EarnRole, Participation, PartStatus, TxKind
from ._common import _check, _user, month_of, next_month

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor
from .accounts import earning_pool, resident_account


@transaction.atomic
def create_activity(
    actor: User | SystemActor,
    *,
    title: str,
    kind: str,
    area: Area,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
) -> Activity:
    area = Area.objects.unscoped(
        "re-read the activity's area in the transaction; path re-checked by _check"
    ).get(pk=area.pk)
    _check(actor, area.path)
    if kind not in ActivityKind.values:
        raise ServiceError(_("未知活动类型"))
    if not (title or "").strip():
        raise ServiceError(_("请填写活动名称"))
    if ends_at <= starts_at:
        raise ServiceError(_("结束时间应晚于开始时间"))
    if not isinstance(capacity, int) or capacity < 1:
        raise ServiceError(_("名额必须大于零"))
    activity = Activity.objects.create(
        title=title.strip(),
        kind=kind,
        organiser=_user(actor),
        area=area,
        area_path=area.path,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    audit.record(actor, "points.create_activity", activity, after=audit.snapshot(activity))
    return activity


def _minutes(activity: Activity) -> int:
    return int((activity.ends_at - activity.starts_at).total_seconds() // 60)


@transaction.atomic
def sign_up(actor: User | SystemActor, activity: Activity, resident: Resident) -> Participation:
    resident = Resident.objects.unscoped(
        "re-read the resident in the transaction; path re-checked by _check"
    ).get(pk=resident.pk)
    _check(actor, resident.area_path)
    activity = Activity.objects.unscoped(
        "the activity, bound to the checked resident's community just below"
    ).get(pk=activity.pk)
    if not resident.area_path.startswith(ancestor_path(activity.area_path, Level.COMMUNITY)):
        raise ServiceError(_("只能报名本社区的活动"))
    if (
        Participation.objects.unscoped("an earlier sign-up of the checked resident to this activity")
        .filter(activity=activity, resident=resident)
        .exists()
    ):
        raise ServiceError(_("已报名该活动"))
    if (
        Activity.objects.unscoped("take a place: conditional update of the activity's counter")
        .filter(pk=activity.pk, signed_up__lt=F("capacity"))
        .update(signed_up=F("signed_up") + 1)
        != 1
    ):
        raise ServiceError(_("活动名额已满"))
    part = Participation.objects.create(
        activity=activity,
        resident=resident,
        area_path=activity.area_path,
        resident_path=resident.area_path,
        service_date=timezone.localtime(activity.starts_at).date(),
        minutes=_minutes(activity),
    )
    audit.record(actor, "points.sign_up", part, after=audit.snapshot(part))
    return part


@transaction.atomic
def check_in(actor: User | SystemActor, part: Participation) -> Participation:
    require_actor(actor)
    part = Participation.objects.lock_in_scope(actor, part.pk)
    if part.status != PartStatus.SIGNED_UP:
        raise ServiceError(_("当前状态不能签到:%(s)s") % {"s": part.get_status_display()})
    part.status = PartStatus.CHECKED_IN
    part.save(update_fields=["status"])
    audit.record(actor, "points.check_in", part, after={"status": part.status})
    return part


@transaction.atomic
def report_participation(
    actor: User | SystemActor, activity: Activity, resident: Resident, *, minutes: int, note: str = ""
) -> Participation:
    """Self-reported participation (no sign-up): waits for the organiser's approval."""
    resident = Resident.objects.unscoped(
        "re-read the resident in the transaction; path re-checked by _check"
    ).get(pk=resident.pk)
    _check(actor, resident.area_path)
    activity = Activity.objects.unscoped(
        "the activity, bound to the checked resident's community just below"
    ).get(pk=activity.pk)
    if not isinstance(minutes, int) or minutes <= 0 or minutes > _minutes(activity):
        raise ServiceError(_("服务时长无效(不能超过活动时长)"))
    if not resident.area_path.startswith(ancestor_path(activity.area_path, Level.COMMUNITY)):
        raise ServiceError(_("只能申报本社区的活动"))
    part = (
        Participation.objects.unscoped("lock the checked resident's participation in this activity")
        .select_for_update()
        .filter(activity=activity, resident=resident)
        .first()
    )
    if part is None:
        part = Participation.objects.create(
            activity=activity,
            resident=resident,
            area_path=activity.area_path,
            resident_path=resident.area_path,
            service_date=timezone.localtime(activity.starts_at).date(),
            self_reported=True,
            status=PartStatus.REPORTED,
            minutes=minutes,
            note=note[:200],
        )
    elif part.status in (PartStatus.SIGNED_UP, PartStatus.CHECKED_IN):
        part.status, part.minutes, part.self_reported, part.note = (
            PartStatus.REPORTED,
            minutes,
            True,
            note[:200],
        )
        part.save(update_fields=["status", "minutes", "self_reported", "note"])
    else:
        raise ServiceError(_("该活动已申报或已审核"))
    audit.record(actor, "points.report", part, after=audit.snapshot(part))
    return part


def earn_role(resident: Resident, kind: str) -> str:
    from gridgov.party.models import BuildingLeader, PartyMember

    if kind in (ActivityKind.LEADER_DUTY, ActivityKind.VOLUNTEER, ActivityKind.ACTIVITY):
        kinds = set(
            BuildingLeader.objects.unscoped("the checked resident's leader posts decide the earning role")
            .filter(resident=resident, is_active=True)
            .values_list("kind", flat=True)
        )
        if "building" in kinds:
            return EarnRole.BUILDING_LEADER
        if "unit" in kinds:
            return EarnRole.UNIT_LEADER
    if (
        PartyMember.objects.unscoped("the checked resident's party membership decides the earning role")
        .filter(resident=resident, is_active=True)
        .exists()
    ):
        return EarnRole.PARTY_MEMBER
    return EarnRole.RESIDENT


def rule_for(path: str, role: str, kind: str) -> EarningRule | None:
    """The rule of the nearest area up the tree (a district's own rule beats the city's)."""
    prefixes = [path[:n] for n in (4, 6, 9, 12, 15) if len(path) >= n]
    candidates = list(
        EarningRule.objects.unscoped("earning rules of the areas above a checked path apply to it").filter(
            area_path__in=prefixes, activity_kind=kind, role__in=[role, EarnRole.RESIDENT]
        )
    )
    candidates.sort(key=lambda r: (r.role == role, len(r.area_path)), reverse=True)
    return candidates[0] if candidates else None


def points_for(part: Participation, rule: EarningRule | None) -> int:
    if rule is None:
        return 0
    raw = rule.points_per_event + rule.points_per_hour * part.minutes // 60
    earned = Participation.objects.unscoped(
        "the resident's approved points so far, for the daily and monthly caps"
    ).filter(resident=part.resident_id, status=PartStatus.APPROVED)
    if rule.daily_cap is not None:
        today = earned.filter(service_date=part.service_date).aggregate(s=Sum("points"))["s"] or 0
        raw = min(raw, max(0, rule.daily_cap - today))
    if rule.monthly_cap is not None:
        month = month_of(part.service_date)
        this_month = (
            earned.filter(service_date__gte=month, service_date__lt=next_month(month)).aggregate(
                s=Sum("points")
            )["s"]
            or 0
        )
        raw = min(raw, max(0, rule.monthly_cap - this_month))
    return raw


@transaction.atomic
def approve(actor: User | SystemActor, part: Participation, *, minutes: int | None = None) -> Participation:
    require_actor(actor)
    part = Participation.objects.lock_in_scope(actor, part.pk)
    if part.status == PartStatus.REJECTED:
        raise ServiceError(_("该记录已被驳回,不能再通过"))
    if part.status == PartStatus.APPROVED:
        raise ServiceError(_("该记录已通过,不能重复审核"))
    if part.status == PartStatus.SIGNED_UP:
        raise ServiceError(_("尚未签到或申报,不能审核"))
    if minutes is not None:
        if not isinstance(minutes, int) or minutes <= 0:
            raise ServiceError(_("服务时长无效"))
        part.minutes = minutes
    resident = Resident.objects.unscoped("the resident of the locked, checked participation").get(
        pk=part.resident_id
    )
    # Caps count this resident's approved points: serialise their approvals on the account row, taken with
    # the posting's other rows in the ledger's lock order.
    account = resident_account(resident)
    pool = earning_pool(part.area_path)
    ledger.lock_accounts([account, pool], also=[account])
    part.role = earn_role(resident, part.activity.kind)
    part.points = points_for(part, rule_for(resident.area_path, part.role, part.activity.kind))
    if part.points:
        tx, _r = ledger.post(
            key=f"earn:{part.pk}",
            kind=TxKind.EARN,
            legs=[
                Leg(pool, -part.points),
                Leg(account, part.points, ledger.expiry_for(part.service_date)),
            ],
            area_path=resident.area_path,
            memo=part.activity.title[:200],
            actor=actor,
        )
        part.transaction = tx
    part.status, part.decided_by, part.decided_at = PartStatus.APPROVED, _user(actor), timezone.now()
    part.save()
    audit.record(actor, "points.approve", part, after=audit.snapshot(part))
    return part


@transaction.atomic
def reject(actor: User | SystemActor, part: Participation, *, reason: str) -> Participation:
    require_actor(actor)
    part = Participation.objects.lock_in_scope(actor, part.pk)
    if part.status in (PartStatus.APPROVED, PartStatus.REJECTED):
        raise ServiceError(_("该记录已审核,不能再驳回"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写驳回原因"))
    part.status, part.note = PartStatus.REJECTED, reason.strip()[:200]
    part.decided_by, part.decided_at = _user(actor), timezone.now()
    part.save()
    audit.record(actor, "points.reject", part, after={"status": part.status, "reason": part.note})
    return part


@transaction.atomic
def save_rule(
    actor: User | SystemActor,
    *,
    area: Area,
    role: str,
    activity_kind: str,
    points_per_hour: int = 0,
    points_per_event: int = 0,
    daily_cap: int | None = None,
    monthly_cap: int | None = None,
    rule: EarningRule | None = None,
) -> EarningRule:
    """Create or change the rule of (area, role, activity kind). Without `rule` an existing rule of that
    triple is updated (upsert); with `rule` (edit pages, API update) that rule is changed, and moving it
    onto the triple of another rule is refused."""
    area = Area.objects.unscoped("re-read the rule's area in the transaction; path re-checked by _check").get(
        pk=area.pk
    )
    _check(actor, area.path)
    if area.level > Level.DISTRICT:
        raise ServiceError(_("积分规则按市或区县配置"))
    if role not in EarnRole.values or activity_kind not in ActivityKind.values:
        raise ServiceError(_("积分身份或活动类型无效"))
    for value in (points_per_hour, points_per_event, daily_cap or 0, monthly_cap or 0):
        if not isinstance(value, int) or value < 0:
            raise ServiceError(_("积分和上限必须是非负整数"))
    if daily_cap is not None and monthly_cap is not None and daily_cap > monthly_cap:
        raise ServiceError(_("每日上限不能大于每月上限"))
    same = (
        EarningRule.objects.unscoped("lock the rule of this checked area, role and kind (one per triple)")
        .select_for_update()
        .filter(area=area, role=role, activity_kind=activity_kind)
        .first()
    )
    if rule is not None:
        rule = EarningRule.objects.lock_in_scope(actor, rule.pk)
        if same is not None and same.pk != rule.pk:
            raise ServiceError(_("该区域已有相同积分身份和活动类型的规则"))
    else:
        rule = same
    before = audit.snapshot(rule) if rule else None
    if rule is None:
        rule = EarningRule(area=area, area_path=area.path, role=role, activity_kind=activity_kind)
    rule.area, rule.area_path, rule.role, rule.activity_kind = area, area.path, role, activity_kind
    rule.points_per_hour, rule.points_per_event = points_per_hour, points_per_event
    rule.daily_cap, rule.monthly_cap = daily_cap, monthly_cap
    rule.save()
    audit.record(actor, "points.save_rule", rule, before=before, after=audit.snapshot(rule))
    return rule
