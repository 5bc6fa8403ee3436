"""Month close (月度结算): grid scores → staff points → the performance pay of the community's payroll.

`close_month` runs once per community and month (a `MonthClose` row, unique): it computes and posts the
grid scores (`compute_grid_scores`), makes the month's payroll if it is missing
(`workforce.services.compute_payroll`) and applies the performance pay (`apply_performance_pay`), in one
transaction, audited as `points.close_month`. `preview_month_close` shows the same figures without
writing anything. The monthly Celery task (`points.close_months`) closes the previous month of every
community.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor, require_actor
from gridgov.core.services import ServiceError

from ..models import GridScore, MonthClose, PerformancePay, StaffAward
from ._common import CENT, month_of, next_month
from .gridscore import _closable_month, _community, compute_grid_scores, score_grids, shares
from .staff import apply_performance_pay, formula_for, performance_factor

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def actor_label(actor) -> str:
    return actor.get_username()


@transaction.atomic
def close_month(actor: User | SystemActor, community: Area, month: dt.date) -> MonthClose:
    """Close an ended month of a community, once: grid scores and staff points, payroll, performance pay.

    A second close of the same month is refused with a clear message and changes nothing (the first
    one's result stays, `MonthClose` is unique per community and month)."""
    from gridgov.workforce import services as workforce
    from gridgov.workforce.models import Payroll, Staff

    require_actor(actor)
    community = _community(actor, community)
    month = _closable_month(month)
    if (
        MonthClose.objects.unscoped("once per month: the locked, checked community")
        .filter(community=community, month=month)
        .exists()
    ):
        raise ServiceError(
            _("%(c)s %(m)s 已结算,不能重复结算") % {"c": community.name, "m": f"{month:%Y-%m}"}
        )
    result = compute_grid_scores(actor, community, month)
    payroll = (
        Payroll.objects.unscoped("the month's payroll of the locked, checked community")
        .filter(community=community, month=month)
        .first()
    )
    on_duty = (
        Staff.objects.unscoped("the staff on duty of the locked, checked community")
        .filter(community=community, is_active=True, hired_on__lt=next_month(month))
        .exists()
    )
    if payroll is None and on_duty:  # a community without staff that month has no payroll to pay
        payroll = workforce.compute_payroll(actor, community, month)
    pays: list[PerformancePay] = []
    if payroll is not None:
        pays = list(
            PerformancePay.objects.unscoped("pay applied to the community's payroll").filter(
                line__payroll=payroll
            )
        )
        if not pays and not payroll.performance_source:
            pays = apply_performance_pay(actor, payroll)
    closed = MonthClose.objects.create(
        community=community,
        month=month,
        area_path=community.path,
        grids=len(result.scores),
        awards=len(result.awards),
        award_points=result.points,
        payroll_id=payroll.pk if payroll is not None else None,
        performance_lines=len(pays),
        performance_total=sum((p.amount for p in pays), Decimal("0.00")),
        closed_by=actor_label(actor)[:150],
    )
    audit.record(actor, "points.close_month", closed, after=audit.snapshot(closed))
    return closed


@dataclass
class PreviewLine:
    staff_id: int
    name: str
    post: str
    grids: list[tuple[str, int, int]] = field(default_factory=list)  # (grid name, grid score, points)
    grid_points: int = 0
    other_points: int = 0
    score: int = 0
    factor: Decimal = Decimal("0")
    standard: Decimal = Decimal("0.00")
    amount: Decimal = Decimal("0.00")


@dataclass
class MonthPreview:
    community: Area
    month: dt.date
    closed: MonthClose | None
    closable: bool
    scores: list[GridScore]
    lines: list[PreviewLine]
    problem: str = ""

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def standard_total(self) -> Decimal:
        return sum((line.standard for line in self.lines), Decimal("0.00"))


def preview_month_close(actor: User | SystemActor, community: Area, month: dt.date) -> MonthPreview:
    """What closing the month gives, per staff member: grid scores, points, score, factor and performance
    pay. Writes nothing; for a closed month it shows what was applied."""
    from gridgov.workforce.models import Payroll, PayrollLine, Staff

    require_actor(actor)
    community = Area.objects.get_in_scope(actor, community.pk)
    if community.level != Level.COMMUNITY:
        raise ServiceError(_("请选择社区"))
    month = month_of(month)
    closed = (
        MonthClose.objects.unscoped("the checked community's close of the month")
        .filter(community=community, month=month)
        .first()
    )
    try:
        _closable_month(month)
        closable = closed is None
    except ServiceError:
        closable = False
    scores = score_grids(community, month)
    grid_shares: dict[int, list[tuple[str, int, int]]] = {}
    grid_points: dict[int, int] = {}
    for score, recipient, points in shares(community, month, scores):
        grid_shares.setdefault(recipient.staff_id, []).append((score.grid.name, score.score, points))
        grid_points[recipient.staff_id] = grid_points.get(recipient.staff_id, 0) + points
    other = dict(
        StaffAward.objects.unscoped("the checked community's staff awards of the month")
        .filter(month=month, staff__community=community)
        .exclude(source__startswith="gridscore:")
        .values("staff")
        .annotate(s=Sum("points"))
        .values_list("staff", "s")
    )
    payroll = (
        Payroll.objects.unscoped("the checked community's payroll of the month")
        .filter(community=community, month=month)
        .first()
    )
    formula = formula_for(month)
    lines: list[PreviewLine] = []
    problem = ""
    applied: dict[int, PerformancePay] = {}
    if payroll is not None:
        applied = {
            p.staff_id: p
            for p in PerformancePay.objects.unscoped("pay applied to the checked community's payroll").filter(
                line__payroll=payroll
            )
        }
        people = [
            (
                line.staff,
                line.performance_pay
                if line.staff_id not in applied
                else applied[line.staff_id].standard_amount,
            )
            for line in PayrollLine.objects.unscoped("the lines of the checked community's payroll")
            .filter(payroll=payroll)
            .select_related("staff__resident")
            .order_by("id")
        ]
    else:
        from gridgov.workforce import services as workforce

        staff = list(
            Staff.objects.unscoped("the checked community's staff on duty in the month")
            .filter(community=community, is_active=True, hired_on__lt=next_month(month))
            .select_related("resident")
            .order_by("post", "id")
        )
        try:
            rates = workforce.rates_of(workforce.scale_for(month))
        except ServiceError as error:
            rates, problem = {}, str(error)
        people = []
        for person in staff:
            rate = rates.get((person.category, person.grade))
            people.append((person, rate.performance_pay if rate else Decimal("0.00")))
    for person, standard in people:
        line = PreviewLine(
            staff_id=person.pk,
            name=person.resident.name,
            post=person.get_post_display(),
            grids=grid_shares.get(person.pk, []),
            other_points=int(other.get(person.pk, 0) or 0),
            standard=standard,
        )
        if person.pk in applied:
            pay = applied[person.pk]
            line.score, line.factor, line.amount = pay.score, pay.factor, pay.amount
            line.grid_points = line.score - formula.base_score - line.other_points
        else:
            line.grid_points = grid_points.get(person.pk, 0)
            line.score = formula.base_score + line.other_points + line.grid_points
            line.factor = performance_factor(line.score, formula)
            line.amount = (standard * line.factor).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(line)
    return MonthPreview(
        community=community,
        month=month,
        closed=closed,
        closable=closable,
        scores=scores,
        lines=lines,
        problem=problem,
    )


def close_months(actor: User | SystemActor, month: dt.date) -> dict[str, int]:
    """Close `month` for every active community not yet closed (the monthly task); a community that cannot
    be closed (no staff, no scale, an empty pool) is counted and left for a person to look at."""
    import logging

    log = logging.getLogger(__name__)
    month = month_of(month)
    done = set(
        MonthClose.objects.unscoped("which communities the monthly task already closed")
        .filter(month=month)
        .values_list("community_id", flat=True)
    )
    counts = {"closed": 0, "skipped": len(done), "failed": 0}
    communities = (
        Area.objects.unscoped("every community, for the monthly close task")
        .filter(level=Level.COMMUNITY, is_active=True)
        .exclude(pk__in=done)
        .order_by("path")
    )
    for community in communities:
        try:
            close_month(actor, community, month)
            counts["closed"] += 1
        except ServiceError:
            log.warning("month close of %s %s failed", community.path, month, exc_info=True)
            counts["failed"] += 1
    return counts
