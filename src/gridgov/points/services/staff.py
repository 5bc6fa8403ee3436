"""Staff points (积分联奖惩: awards, and penalties such as an escalation's, posted by points/hooks.py too) and
the performance pay they feed."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.actors import require_actor
from gridgov.core.services import ServiceError

from .. import ledger
from ..ledger import Leg
from ..models import Account, AwardCategory, PerformanceFormula, PerformancePay, StaffAward, TxKind
from ._common import CENT, _check, month_of

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor
from .accounts import earning_pool, grid_account, staff_account


def current_grid(staff) -> Area | None:
    from gridgov.workforce.models import GridAssignment

    assignment = (
        GridAssignment.objects.unscoped("the current grid of a staff member whose path the caller checked")
        .filter(staff=staff, ended_on__isnull=True)
        .select_related("grid")
        .first()
    )
    return assignment.grid if assignment else None


@transaction.atomic
def award_staff_points(
    actor: User | SystemActor,
    staff,
    *,
    points: int,
    category: str,
    reason: str,
    source: str,
    grid: Area | None = None,
    on: dt.date | None = None,
) -> StaffAward:
    """The one entry point for staff points: work results, tasks, emergency handling (events post here).

    `source` is the caller's idempotency key (e.g. "events.case:123:closed"); posting it again returns
    the award already made. Positive points move from the community's pool to the staff member's
    account and, as the grid's score, to the grid's account; a penalty (negative) is recorded in the
    score and takes back from the staff account at most its balance. The month's award points feed
    the monthly score (`staff_score`) and so the performance pay.
    """
    from gridgov.workforce.models import Staff

    staff = (
        Staff.objects.unscoped("re-read the staff member in the transaction; path re-checked by _check")
        .select_related("resident")
        .get(pk=staff.pk)
    )
    _check(actor, staff.area_path)
    if category not in AwardCategory.values:
        raise ServiceError(_("未知积分类别"))
    if not isinstance(points, int) or points == 0 or abs(points) > 10_000:
        raise ServiceError(_("积分必须是非零整数"))
    if not (source or "").strip() or not (reason or "").strip():
        raise ServiceError(_("请填写事由和来源"))
    existing = (
        StaffAward.objects.unscoped("an award already posted under this source key (keys are global)")
        .filter(source=source)
        .first()
    )
    if existing is not None:
        if (existing.staff_id, existing.points, existing.category) != (staff.pk, points, category):
            raise ledger.IdempotencyConflict(_("该来源已记过不同的积分,未做任何改动"))
        return existing
    grid = grid or current_grid(staff)
    if grid is not None and not grid.path.startswith(staff.area_path):
        raise ServiceError(_("网格不在该人员所在社区内"))
    on = on or timezone.localdate()
    account = staff_account(staff)
    pool = earning_pool(staff.area_path)
    grid_acc = grid_account(grid) if grid is not None else None
    # The posting's account rows, ascending, before its key (a penalty is bounded by the locked balance):
    # while this waits for a key it holds no slot, and it needs no row it has not locked already.
    ledger.lock_accounts([a for a in (account, pool, grid_acc) if a is not None], also=[account])
    account = Account.objects.unscoped("the checked staff member's account, locked just above").get(
        pk=account.pk
    )
    if points > 0:
        legs = [Leg(pool, -points * (2 if grid else 1)), Leg(account, points, ledger.expiry_for(on))]
        if grid_acc is not None:
            legs.append(Leg(grid_acc, points))
        ledger_points = points
    else:
        ledger_points = -min(-points, account.balance)
        legs = [Leg(account, ledger_points), Leg(pool, -ledger_points)]
    tx = None
    if ledger_points:
        tx, _r = ledger.post(
            key=f"staff:{hashlib.sha256(source.encode()).hexdigest()[:40]}",
            kind=TxKind.STAFF,
            legs=legs,
            area_path=staff.area_path,
            memo=reason[:200],
            actor=actor,
        )
    award = StaffAward.objects.create(
        staff=staff,
        grid=grid,
        category=category,
        points=points,
        ledger_points=ledger_points,
        reason=reason.strip()[:200],
        source=source.strip(),
        month=month_of(on),
        transaction=tx,
        area_path=grid.path if grid else staff.area_path,
    )
    audit.record(actor, "points.award_staff", award, after=audit.snapshot(award))
    return award


def formula_for(month: dt.date) -> PerformanceFormula:
    formula = PerformanceFormula.objects.filter(effective_from__lte=month).order_by("-effective_from").first()
    return formula or PerformanceFormula(effective_from=month)


def staff_score(staff, month: dt.date) -> int:
    """base score + the month's award points (penalties included)."""
    month = month_of(month)
    total = (
        StaffAward.objects.unscoped("the staff member's awards of the month, for the score")
        .filter(staff=staff, month=month)
        .aggregate(s=Sum("points"))["s"]
        or 0
    )
    return formula_for(month).base_score + int(total)


def performance_factor(score: int, formula: PerformanceFormula) -> Decimal:
    factor = Decimal(score) / Decimal(formula.target_score or 1)
    return max(Decimal(formula.min_factor), min(Decimal(formula.max_factor), factor)).quantize(
        Decimal("0.001")
    )


def grids_of_month(community_id: int, month: dt.date) -> dict[int, list[str]]:
    """The grids whose monthly score each staff member of a community shared (their names, by staff id)."""
    out: dict[int, list[str]] = {}
    rows = (
        StaffAward.objects.unscoped("grid-score awards of a community's month, for the payroll notes")
        .filter(month=month_of(month), staff__community_id=community_id, source__startswith="gridscore:")
        .order_by("grid__path")
        .values_list("staff_id", "grid__name")
    )
    for staff_id, name in rows:
        if name and name not in out.setdefault(staff_id, []):
            out[staff_id].append(name)
    return out


def performance_note(score: int, factor: Decimal, grids: list[str]) -> str:
    """The payroll line's note on where its performance pay came from (at most 200 characters)."""
    note = _("积分%(s)d分,系数%(f)s") % {"s": score, "f": f"{factor:.3f}"}
    if grids:
        note += _(",来自%(g)s") % {"g": "、".join(grids)}
    return note if len(note) <= 200 else note[:199] + "…"


PERFORMANCE_SOURCE = "points.performance_pay"  # the key workforce keeps on the payroll it was applied to


@transaction.atomic
def apply_performance_pay(actor: User | SystemActor, payroll) -> list[PerformancePay]:
    """Turn each staff member's monthly score into the performance-pay item of a computed payroll.

    For every line: amount = the scale's standard performance pay × clamp(score / target, min, max),
    to the fen. Points only computes: workforce writes the lines, the totals and the city/district split
    (`workforce.services.set_performance_pay`, which locks and scope-checks the payroll); points records
    a `PerformancePay` row per line. Applied once per payroll (PerformancePay.line is unique).
    """
    from gridgov.workforce import services as workforce
    from gridgov.workforce.models import PayrollLine

    require_actor(actor)
    # locked first, so a second call for the same payroll waits here and then finds the pay applied
    payroll = workforce.lock_payroll(actor, payroll)
    if (
        PerformancePay.objects.unscoped("has performance pay been applied to the locked payroll")
        .filter(line__payroll=payroll)
        .exists()
    ):
        raise ServiceError(_("该工资表的积分绩效已核定,不能重复核定"))
    formula = formula_for(payroll.month)
    awards = dict(
        StaffAward.objects.unscoped("awards of the locked payroll's community and month")
        .filter(month=payroll.month, staff__community_id=payroll.community_id)
        .values("staff")
        .annotate(s=Sum("points"))
        .values_list("staff", "s")
    )
    lines = list(
        PayrollLine.objects.unscoped("read the lines of the payroll workforce locked and checked")
        .filter(payroll=payroll)
        .order_by("id")
    )
    grids = grids_of_month(payroll.community_id, payroll.month)
    made, amounts, notes = [], {}, {}
    for line in lines:
        score = formula.base_score + int(awards.get(line.staff_id, 0))
        factor = performance_factor(score, formula)
        amounts[line.pk] = (line.performance_pay * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        notes[line.pk] = performance_note(score, factor, grids.get(line.staff_id, []))
        made.append(
            PerformancePay(
                line=line,
                staff_id=line.staff_id,
                month=payroll.month,
                score=score,
                factor=factor,
                standard_amount=line.performance_pay,
                amount=amounts[line.pk],
                area_path=line.area_path,
            )
        )
    workforce.set_performance_pay(actor, payroll, amounts, source=PERFORMANCE_SOURCE, notes=notes)
    PerformancePay.objects.bulk_create(made)
    audit.record_many(actor, "points.apply_performance", made)
    return made
