"""Staff points (积分联奖惩: awards, and penalties such as an escalation's, posted by points/hooks.py too) and
the performance pay they feed."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.actors import require_actor
from gridgov.core.services import ServiceError

from .. import ledger
from ..ledger import Leg
from ..models import (
    Account,
    AwardCategory,
    OwnerKind,
    PerformanceFormula,
    PerformancePay,
    StaffAward,
    TxKind,
    with_balances,
)
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
    _validate_award(category, points, reason, source)
    existing = (
        StaffAward.objects.unscoped("an award already posted under this source key (keys are global)")
        .filter(source=source)
        .first()
    )
    if existing is not None:
        return _same_award(existing, staff.pk, points, category)
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
    legs, ledger_points = _staff_legs(points, account, pool, grid_acc, on, account.balance)
    tx = None
    if ledger_points:
        tx, _r = ledger.post(
            key=_ledger_key(source),
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


@dataclass(frozen=True)
class AwardRequest:
    """One award of a batch (`award_staff_points_bulk`): the keyword arguments of `award_staff_points`."""

    staff_id: int
    points: int
    category: str
    reason: str
    source: str
    grid: Area | None = None
    on: dt.date | None = None


def _validate_award(category: str, points: int, reason: str, source: str) -> None:
    if category not in AwardCategory.values:
        raise ServiceError(_("未知积分类别"))
    if not isinstance(points, int) or points == 0 or abs(points) > 10_000:
        raise ServiceError(_("积分必须是非零整数"))
    if not (source or "").strip() or not (reason or "").strip():
        raise ServiceError(_("请填写事由和来源"))


def _same_award(existing: StaffAward, staff_id: int, points: int, category: str) -> StaffAward:
    if (existing.staff_id, existing.points, existing.category) != (staff_id, points, category):
        raise ledger.IdempotencyConflict(_("该来源已记过不同的积分,未做任何改动"))
    return existing


def _staff_legs(
    points: int, account: Account, pool: Account, grid_acc: Account | None, on: dt.date, balance: int
):
    """(legs, points the ledger moves) of one award: a positive award is paid from the pool to the staff
    member (and, as its score, to the grid); a penalty takes back at most the staff member's balance."""
    if points > 0:
        legs = [Leg(pool, -points * (2 if grid_acc else 1)), Leg(account, points, ledger.expiry_for(on))]
        if grid_acc is not None:
            legs.append(Leg(grid_acc, points))
        return legs, points
    ledger_points = -min(-points, balance)
    return [Leg(account, ledger_points), Leg(pool, -ledger_points)], ledger_points


def _ledger_key(source: str) -> str:
    return f"staff:{hashlib.sha256(source.encode()).hexdigest()[:40]}"


@transaction.atomic
def award_staff_points_bulk(actor: User | SystemActor, requests: list[AwardRequest]) -> list[StaffAward]:
    """The awards `award_staff_points` would make for `requests` one after another — the same ledger rows,
    balances, `StaffAward` rows and audit rows (`points.award_staff`, one per award) — in a few statements:
    the staff, their accounts and the sources already posted are read once, every account row is locked once
    (ascending, before the keys, as the single path), transactions, entries and awards are inserted in bulk
    and each account's balance changes once (`ledger.post_many`). A penalty is bounded by the balance the
    batch's earlier awards left. For callers that serialise their sources (compute_grid_scores holds the
    community's row): the month close and the generator; pages, API and hooks post one award at a time."""
    from gridgov.workforce.models import Staff

    require_actor(actor)
    if not requests:
        return []
    for r in requests:
        _validate_award(r.category, r.points, r.reason, r.source)
    staff_by_id = {
        s.pk: s
        for s in Staff.objects.unscoped(
            "re-read the batch's staff in the transaction; paths re-checked by _check"
        )
        .select_related("resident")
        .filter(pk__in={r.staff_id for r in requests})
    }
    for r in requests:
        if r.staff_id not in staff_by_id:
            raise Staff.DoesNotExist(f"staff {r.staff_id}")
    for path in {s.area_path for s in staff_by_id.values()}:
        _check(actor, path)
    existing = {
        a.source: a
        for a in StaffAward.objects.unscoped(
            "awards already posted under the batch's source keys (keys are global)"
        ).filter(source__in={r.source for r in requests})
    }
    todo: dict[str, tuple[Any, Area | None, dt.date]] = {}  # by source: its first request in the batch
    grids: dict[int, Area | None] = {}
    for r in requests:
        if r.source in existing or r.source in todo:
            continue
        staff = staff_by_id[r.staff_id]
        grid: Area | None
        if r.grid is not None:
            grid = r.grid
        else:
            if r.staff_id not in grids:
                grids[r.staff_id] = current_grid(staff)
            grid = grids[r.staff_id]
        if grid is not None and not grid.path.startswith(staff.area_path):
            raise ServiceError(_("网格不在该人员所在社区内"))
        todo[r.source] = (staff, grid, r.on or timezone.localdate())
    # Existing accounts in one read; a missing one is made as the single path makes it.
    owners = Q(owner_kind=OwnerKind.STAFF, owner_id__in={staff.pk for staff, _g, _o in todo.values()}) | Q(
        owner_kind=OwnerKind.GRID,
        owner_id__in={grid.pk for _s, grid, _o in todo.values() if grid is not None},
    )
    accounts: dict[tuple[str, int], Account] = {
        (a.owner_kind, a.owner_id): a
        for a in Account.objects.unscoped("the accounts of the batch's checked staff and grids").filter(
            owners
        )
    }
    pools: dict[str, Account] = {}
    for staff, grid, _on in todo.values():
        if (OwnerKind.STAFF, staff.pk) not in accounts:
            accounts[OwnerKind.STAFF, staff.pk] = staff_account(staff)
        if grid is not None and (OwnerKind.GRID, grid.pk) not in accounts:
            accounts[OwnerKind.GRID, grid.pk] = grid_account(grid)
        if staff.area_path not in pools:
            pools[staff.area_path] = earning_pool(staff.area_path)
    staff_accounts = [a for (kind, _id), a in accounts.items() if kind == OwnerKind.STAFF]
    ledger.lock_accounts([*accounts.values(), *pools.values()], also=staff_accounts)
    balances = {
        a.pk: a.balance
        for a in with_balances(
            Account.objects.unscoped("the batch's staff accounts, locked just above").filter(
                pk__in=[a.pk for a in staff_accounts]
            )
        )
    }
    postings: list[ledger.Posting] = []
    made: dict[str, StaffAward] = {}
    keys: dict[str, str] = {}  # source → ledger key, for the awards that move points
    results: list[StaffAward] = []
    for r in requests:
        if r.source in existing:
            results.append(_same_award(existing[r.source], r.staff_id, r.points, r.category))
            continue
        if r.source in made:  # a source repeated in the batch: the single path would return the first
            results.append(_same_award(made[r.source], r.staff_id, r.points, r.category))
            continue
        staff, spell_grid, on = todo[r.source]
        account = accounts[OwnerKind.STAFF, staff.pk]
        grid_acc = accounts[OwnerKind.GRID, spell_grid.pk] if spell_grid is not None else None
        legs, ledger_points = _staff_legs(
            r.points, account, pools[staff.area_path], grid_acc, on, balances[account.pk]
        )
        balances[account.pk] += ledger_points
        award = StaffAward(
            staff=staff,
            grid=spell_grid,
            category=r.category,
            points=r.points,
            ledger_points=ledger_points,
            reason=r.reason.strip()[:200],
            source=r.source.strip(),
            month=month_of(on),
            area_path=spell_grid.path if spell_grid else staff.area_path,
        )
        if ledger_points:
            postings.append(
                ledger.Posting(
                    key=_ledger_key(r.source),
                    kind=TxKind.STAFF,
                    legs=legs,
                    area_path=staff.area_path,
                    memo=r.reason[:200],
                )
            )
            keys[r.source] = postings[-1].key
        made[r.source] = award
        results.append(award)
    posted = ledger.post_many(postings, actor=actor)
    by_key = {p.key: tx for p, (tx, _replayed) in zip(postings, posted, strict=True)}
    new = list(made.values())
    for source, award in made.items():
        award.transaction = by_key[keys[source]] if source in keys else None
    StaffAward.objects.bulk_create(new)
    audit.record_many(actor, "points.award_staff", new)
    return results


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
