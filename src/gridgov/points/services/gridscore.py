"""Grid monthly scores (一网三联、积分联奖惩): each grid's month from its records, shared as staff points.

A grid's score is computed from what happened in it during the month (work orders closed on time or late,
escalations, patrols and visits, residents' ratings, residents' approved points events) with the rule of
its district (`GridScoreRule`, else the city default), capped, and frozen in a `GridScore` row. The grid's
full-time worker (its `GridAssignment` in the month) and every staff member linked to it (`GridLink`) then
receive their share as staff points, one batch per community and month through `award_staff_points_bulk`
(the awards `award_staff_points` would make one by one; source `gridscore:<grid>:<YYYY-MM>:<staff>`, so
posting twice changes nothing). docs/points.md has a worked example.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit
from gridgov.core.actors import require_actor
from gridgov.core.scope import user_can_reach
from gridgov.core.services import ServiceError

from ..models import AwardCategory, GridScore, GridScoreRule, Participation, PartStatus, StaffAward
from ._common import month_of, next_month
from .staff import AwardRequest, award_staff_points_bulk

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor

GRID_LENGTH = PATH_LENGTH[Level.GRID]
COUNTS = (
    "closed_on_time",
    "closed_overdue",
    "escalations",
    "patrols",
    "visits",
    "ratings",
    "rating_total",
    "resident_events",
)


def grid_source(grid_id: int, month: dt.date, staff_id: int) -> str:
    return f"gridscore:{grid_id}:{month:%Y-%m}:{staff_id}"


def rule_for_grid(grid_path: str, month: dt.date) -> GridScoreRule:
    """The rule in force for the month: the grid's district's, else the city default, else the built-in one."""
    rules = GridScoreRule.objects.filter(effective_from__lte=month).select_related("district")
    district = grid_path[: PATH_LENGTH[Level.DISTRICT]]
    found = rules.filter(district__path=district).order_by("-effective_from").first()
    return (
        found
        or rules.filter(district__isnull=True).order_by("-effective_from").first()
        or GridScoreRule(effective_from=month)
    )


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # half away from zero


def score_of(counts: dict[str, int], rule: GridScoreRule) -> tuple[Decimal, int]:
    """(raw score, capped integer score) of a grid's month under `rule`."""
    raw = (
        counts["closed_on_time"] * rule.per_closed_on_time
        - counts["closed_overdue"] * rule.per_overdue
        - counts["escalations"] * rule.per_escalation
        + counts["patrols"] * rule.per_patrol
        + counts["visits"] * rule.per_visit
        + (counts["rating_total"] - counts["ratings"] * rule.rating_neutral) * rule.per_rating_point
        + counts["resident_events"] * rule.per_resident_event
    )
    raw = Decimal(raw).quantize(Decimal("0.01"))
    return raw, max(-rule.cap, min(rule.cap, _round(raw)))


def share_of(score: int, percent: int) -> int:
    return _round(Decimal(score) * percent / 100)


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(next_month(month), dt.time.min, tzinfo=tz)


def _by_grid(qs, path_field: str, **aggregates) -> dict[str, dict]:
    rows = qs.annotate(g=Substr(path_field, 1, GRID_LENGTH)).order_by().values("g").annotate(**aggregates)
    return {row["g"]: row for row in rows}


def count_records(community_path: str, month: dt.date) -> dict[str, dict[str, int]]:
    """Each grid's records of the month under a community, by grid path: one GROUP BY per kind of record."""
    from gridgov.events.models import Event, EventTransition, PatrolKind, PatrolLog

    start, end = _bounds(month)
    under = Q(area_path__startswith=community_path)
    events = Event.objects.unscoped(
        "a community's closed work orders of a month, for its grids' scores"
    ).filter(under, closed_at__gte=start, closed_at__lt=end)
    closed = _by_grid(
        events,
        "area_path",
        on_time=Count("id", filter=Q(overdue=False)),
        late=Count("id", filter=Q(overdue=True)),
        ratings=Count("id", filter=Q(rating__isnull=False)),
        rating_total=Sum("rating"),
    )
    escalated = _by_grid(
        EventTransition.objects.filter(
            action="escalate",
            created_at__gte=start,
            created_at__lt=end,
            event__area_path__startswith=community_path,
        ),
        "event__area_path",
        n=Count("id"),
    )
    patrols = _by_grid(
        PatrolLog.objects.unscoped(
            "a community's patrols and visits of a month, for its grids' scores"
        ).filter(under, started_at__gte=start, started_at__lt=end),
        "area_path",
        patrols=Count("id", filter=~Q(kind=PatrolKind.VISIT)),
        visits=Count("id", filter=Q(kind=PatrolKind.VISIT)),
    )
    earned = _by_grid(
        Participation.objects.unscoped(
            "a community's approved points events of a month, for grid scores"
        ).filter(
            resident_path__startswith=community_path,
            status=PartStatus.APPROVED,
            service_date__gte=month,
            service_date__lt=next_month(month),
        ),
        "resident_path",
        n=Count("id"),
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for g, row in closed.items():
        out[g].update(
            closed_on_time=row["on_time"],
            closed_overdue=row["late"],
            ratings=row["ratings"],
            rating_total=int(row["rating_total"] or 0),
        )
    for g, row in escalated.items():
        out[g]["escalations"] = row["n"]
    for g, row in patrols.items():
        out[g].update(patrols=row["patrols"], visits=row["visits"])
    for g, row in earned.items():
        out[g]["resident_events"] = row["n"]
    return out


def _grids(community: Area) -> list[Area]:
    return list(
        Area.objects.unscoped("the grids of a community the caller locked and checked")
        .filter(level=Level.GRID, path__startswith=community.path, is_active=True)
        .order_by("path")
    )


def score_grids(community: Area, month: dt.date) -> list[GridScore]:
    """Every grid's score of the month: the stored (frozen) row, or one computed now and not saved."""
    month = month_of(month)
    grids = _grids(community)
    stored = {
        s.grid_id: s
        for s in GridScore.objects.unscoped("the stored scores of the checked community's grids")
        .filter(grid__in=grids, month=month)
        .select_related("rule")
    }
    counts = count_records(community.path, month) if len(stored) < len(grids) else {}
    rules: dict[str, GridScoreRule] = {}
    out = []
    for grid in grids:
        if grid.pk in stored:
            score = stored[grid.pk]
            score.grid = grid
            out.append(score)
            continue
        district = grid.path[: PATH_LENGTH[Level.DISTRICT]]
        if district not in rules:
            rules[district] = rule_for_grid(grid.path, month)
        rule = rules[district]
        c = counts.get(grid.path) or dict.fromkeys(COUNTS, 0)
        raw, score = score_of(c, rule)
        out.append(
            GridScore(
                grid=grid,
                month=month,
                area_path=grid.path,
                rule=rule if rule.pk else None,
                raw_score=raw,
                score=score,
                **c,
            )
        )
    return out


@dataclass
class Recipient:
    staff_id: int
    name: str
    role: str  # "worker" or "linked"
    percent: int


def recipients(
    community: Area, month: dt.date, rules: dict[int, GridScoreRule] | None = None
) -> dict[int, list[Recipient]]:
    """Who shares each grid's score, by grid id: its full-time worker in the month (the assignment that
    started last among those open on any day of the month) and every staff member linked to it then."""
    from gridgov.workforce.models import GridAssignment, GridLink

    month = month_of(month)
    during = Q(started_on__lt=next_month(month)) & (Q(ended_on__isnull=True) | Q(ended_on__gte=month))
    active = Q(staff__is_active=True)
    out: dict[int, list[Recipient]] = defaultdict(list)
    workers: dict[int, int] = {}
    assignments = (
        GridAssignment.objects.unscoped("the grid workers of a checked community's grids in a month")
        .filter(during, active, area_path__startswith=community.path, staff__area_path=community.path)
        .select_related("staff__resident")
        .order_by("grid_id", "-started_on", "-id")
    )
    for a in assignments:
        if a.grid_id in workers:
            continue
        workers[a.grid_id] = a.staff_id
        out[a.grid_id].append(Recipient(a.staff_id, a.staff.resident.name, "worker", 0))
    links = (
        GridLink.objects.unscoped("the staff linked to a checked community's grids in a month")
        .filter(during, active, area_path__startswith=community.path, staff__area_path=community.path)
        .select_related("staff__resident")
        .order_by("grid_id", "staff_id", "-started_on")
    )
    seen = set()
    for link in links:
        if (link.grid_id, link.staff_id) in seen or workers.get(link.grid_id) == link.staff_id:
            continue
        seen.add((link.grid_id, link.staff_id))
        out[link.grid_id].append(Recipient(link.staff_id, link.staff.resident.name, "linked", 0))
    return out


def _percent(recipient: Recipient, rule: GridScoreRule) -> int:
    return rule.worker_share if recipient.role == "worker" else rule.linked_share


def shares(
    community: Area, month: dt.date, scores: list[GridScore]
) -> list[tuple[GridScore, Recipient, int]]:
    """(grid score, recipient, points) for every recipient of every grid (a zero share included: the
    preview lists it; nothing is posted for it)."""
    who = recipients(community, month)
    out = []
    for score in scores:
        rule = score.rule or GridScoreRule(effective_from=score.month)
        for r in who.get(score.grid_id, []):
            r.percent = _percent(r, rule)
            out.append((score, r, share_of(score.score, r.percent)))
    return out


@dataclass
class GridScoreResult:
    scores: list[GridScore]
    awards: list[StaffAward] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(a.points for a in self.awards)


def _closable_month(month: dt.date) -> dt.date:
    month = month_of(month)
    if month >= month_of(timezone.localdate()):
        raise ServiceError(_("只能结算已结束的月份"))
    return month


def _community(actor, community: Area) -> Area:
    community = Area.objects.lock_in_scope(actor, community.pk)
    if community.level != Level.COMMUNITY:
        raise ServiceError(_("请选择社区"))
    return community


@transaction.atomic
def compute_grid_scores(actor: User | SystemActor, community: Area, month: dt.date) -> GridScoreResult:
    """Compute and freeze each grid's score of an ended month, and post the staff's shares as points.

    A grid already scored for the month keeps its stored score; the shares are posted with one source
    key per grid, month and staff member, so running this again posts nothing new."""
    require_actor(actor)
    community = _community(actor, community)
    month = _closable_month(month)
    scores = score_grids(community, month)
    new = [s for s in scores if s.pk is None]
    if new:
        GridScore.objects.bulk_create(new)
        audit.record_many(actor, "points.grid_score", new)
    requests = []
    for score, recipient, points in shares(community, month, scores):
        if not points:
            continue
        role = _("专职网格员") if recipient.role == "worker" else _("挂包")
        requests.append(
            AwardRequest(
                staff_id=recipient.staff_id,
                points=points,
                category=AwardCategory.WORK_RESULT if points > 0 else AwardCategory.PENALTY,
                reason=_("网格月度评分:%(g)s %(m)s 得分 %(s)d,%(r)s %(p)d%%")
                % {
                    "g": score.grid.name,
                    "m": f"{month:%Y-%m}",
                    "s": score.score,
                    "r": role,
                    "p": recipient.percent,
                },
                source=grid_source(score.grid_id, month, recipient.staff_id),
                grid=score.grid,
                on=month,
            )
        )
    # One batch per community and month (the community's row is locked above, so no one else posts these
    # sources meanwhile): the same awards as award_staff_points one by one, in a few statements.
    awards = award_staff_points_bulk(actor, requests)
    return GridScoreResult(scores=scores, awards=awards)


RULE_WEIGHTS = (
    "per_closed_on_time",
    "per_overdue",
    "per_escalation",
    "per_patrol",
    "per_visit",
    "rating_neutral",
    "per_rating_point",
    "per_resident_event",
)


@transaction.atomic
def save_grid_score_rule(
    actor: User | SystemActor,
    *,
    district: Area | None,
    effective_from: dt.date,
    cap: int = 30,
    worker_share: int = 100,
    linked_share: int = 50,
    **weights,
) -> GridScoreRule:
    """Set the grid-score rule of a district (or, without a district, the city default) from a month on:
    the rule of that district and month is replaced, earlier months keep theirs (scores already computed
    keep the rule they were computed with)."""
    require_actor(actor)
    if district is not None:
        district = Area.objects.lock_in_scope(actor, district.pk)
        if district.level != Level.DISTRICT:
            raise ServiceError(_("网格评分规则按区县配置(留空为全市默认)"))
    else:
        cities = Area.objects.unscoped("the cities, whose default rule only their own users set").filter(
            level=Level.CITY
        )
        if not any(user_can_reach(actor, path) for path in cities.values_list("path", flat=True)):
            raise ServiceError(_("全市默认规则由市级设置,请选择区县"))
    if set(weights) - set(RULE_WEIGHTS):
        raise ServiceError(_("未知的评分项"))
    defaults = GridScoreRule()
    values: dict[str, Decimal] = {}
    for name in RULE_WEIGHTS:
        try:
            value = Decimal(str(weights.get(name, getattr(defaults, name))))
        except (InvalidOperation, ValueError):
            value = Decimal("NaN")
        if not value.is_finite() or value < 0 or value >= 1000 or value != value.quantize(Decimal("0.01")):
            raise ServiceError(_("评分权重应为 0–999.99 之间、最多两位小数的数"))
        values[name] = value
    if values["rating_neutral"] > 5:
        raise ServiceError(_("评价基准分应在 0–5 之间"))
    for limit_name, number in (("cap", cap), ("worker_share", worker_share), ("linked_share", linked_share)):
        if not isinstance(number, int) or number < 0 or number > (1000 if limit_name == "cap" else 100):
            raise ServiceError(_("得分上限应为 0–1000 的整数,分得比例应为 0–100 的整数"))
    month = month_of(effective_from)
    rule = GridScoreRule.objects.select_for_update().filter(district=district, effective_from=month).first()
    before = audit.snapshot(rule) if rule is not None else None
    if rule is None:
        rule = GridScoreRule(district=district, effective_from=month)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.cap, rule.worker_share, rule.linked_share = cap, worker_share, linked_share
    rule.save()
    audit.record(actor, "points.save_grid_score_rule", rule, before=before, after=audit.snapshot(rule))
    return rule
