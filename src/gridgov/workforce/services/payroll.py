"""Monthly payrolls from the salary scale, and the performance pay other apps (points) set on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError

from ..models import Payroll, PayrollLine, PostCategory, SalaryRate, SalaryScale, Staff
from ._common import CENT, _area_at, _month, _next_month
from .grades import scale_for

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def rates_of(scale: SalaryScale) -> dict[tuple[str, int], SalaryRate]:
    return {(r.category, r.grade): r for r in scale.rates.all()}


def split(total: Decimal, city_share: Decimal) -> tuple[Decimal, Decimal]:
    """City and district parts of a total: the city's rounded to the fen (half up), the district the rest."""
    city = (total * city_share).quantize(CENT, rounding=ROUND_HALF_UP)
    return city, total - city


@transaction.atomic
def compute_payroll(actor: User | SystemActor, community: Area, month: dt.date) -> Payroll:
    """One community's payroll for a month from the scale in force; computed once per month."""
    community = _area_at(Area.objects.lock_in_scope(actor, community.pk), Level.COMMUNITY)
    month = _month(month)
    if (
        Payroll.objects.unscoped("once per month: any payroll of the locked, checked community")
        .filter(community=community, month=month)
        .exists()
    ):
        raise ServiceError(
            _("%(c)s %(m)s 的工资表已生成,不能重复核算") % {"c": community.name, "m": month.strftime("%Y-%m")}
        )
    scale = scale_for(month)
    rates = rates_of(scale)
    staff = list(
        Staff.objects.unscoped("the staff of the community locked and checked above")
        .filter(community=community, is_active=True, hired_on__lt=_next_month(month))
        .select_related("resident")
        .order_by("post", "id")
    )
    if not staff:
        raise ServiceError(_("该社区没有在岗人员"))
    lines = []
    for person in staff:
        rate = rates.get((person.category, person.grade))
        if rate is None:
            raise ServiceError(
                _("薪酬标准缺少“%(c)s 第%(g)d级”")
                % {"c": PostCategory(person.category).label, "g": person.grade}
            )
        lines.append(
            PayrollLine(
                staff=person,
                category=person.category,
                grade=person.grade,
                post_pay=rate.post_pay,
                grade_pay=rate.grade_pay,
                performance_pay=rate.performance_pay,
                allowance=rate.allowance,
                total=rate.total,
                area_path=community.path,
            )
        )
    total = sum((line.total for line in lines), Decimal("0.00"))
    city, district = split(total, scale.city_share)
    payroll = Payroll.objects.create(
        community=community,
        month=month,
        scale=scale,
        total=total,
        city_amount=city,
        district_amount=district,
        headcount=len(lines),
        area_path=community.path,
    )
    for line in lines:
        line.payroll = payroll
    PayrollLine.objects.bulk_create(lines)
    audit.record(actor, "workforce.compute_payroll", payroll, after=audit.snapshot(payroll))
    return payroll


# --- performance pay (set by points from the staff's monthly scores) -------------------------------------
MAX_PAY = Decimal("10000000")  # PayrollLine.performance_pay holds 9 digits, 2 after the point
SOURCE_LENGTH = 100  # Payroll.performance_source.max_length
NOTE_LENGTH = 200  # PayrollLine.performance_note.max_length


def lock_payroll(actor: User | SystemActor, payroll: Payroll) -> Payroll:
    """The payroll locked for the caller's transaction and checked against the actor's scope.

    For a caller (points) that reads the lines and then calls `set_performance_pay` in the same
    transaction: the lock serialises two such callers, so the second sees what the first wrote."""
    return Payroll.objects.select_related("scale").lock_in_scope(actor, payroll.pk)


def _pay_amount(value) -> Decimal:
    message = _("绩效工资应为不小于 0、最多两位小数的金额")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(message) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_PAY or amount != amount.quantize(CENT):
        raise ServiceError(message)
    return amount.quantize(CENT)


@transaction.atomic
def set_performance_pay(
    actor: User | SystemActor,
    payroll: Payroll,
    amounts_by_line: Mapping[int, Decimal],
    *,
    source: str,
    notes: Mapping[int, str] | None = None,
) -> Payroll:
    """Set the performance pay of every line of a computed payroll (points computes it from the scores).

    `amounts_by_line` maps each line's id to its new performance pay; the lines' totals, the payroll's
    total and its city/district split are recomputed. Set once per payroll: the same call again (same
    `source`, same amounts) returns the payroll unchanged and writes nothing; a different source or
    other amounts are refused, changing nothing. `notes` (optional, by line id) says where each line's
    amount came from (e.g. the staff's points and grids) and is shown on the payroll page.
    """
    payroll = lock_payroll(actor, payroll)
    source = (source or "").strip()
    if not source or len(source) > SOURCE_LENGTH:
        raise ServiceError(_("请注明绩效工资的核定来源"))
    lines = list(
        PayrollLine.objects.unscoped("the lines of the payroll locked and checked above")
        .filter(payroll=payroll)
        .order_by("id")
    )
    if set(amounts_by_line) != {line.pk for line in lines}:
        raise ServiceError(_("绩效工资须逐行核定,且只含该工资表的明细"))
    amounts = {line.pk: _pay_amount(amounts_by_line[line.pk]) for line in lines}
    notes = notes or {}
    if not set(notes) <= amounts.keys():
        raise ServiceError(_("绩效工资说明只能对应该工资表的明细"))
    texts = {pk: str(notes.get(pk) or "").strip() for pk in amounts}
    if any(len(text) > NOTE_LENGTH for text in texts.values()):
        raise ServiceError(_("绩效工资说明不能超过 %(n)d 个字") % {"n": NOTE_LENGTH})
    if payroll.performance_source:
        if payroll.performance_source == source and all(
            line.performance_pay == amounts[line.pk] for line in lines
        ):
            return payroll  # a replay of the call already applied
        raise ServiceError(_("该工资表的绩效工资已核定,不能重复核定"))
    before = audit.snapshot(payroll)
    for line in lines:
        line.total = line.total - line.performance_pay + amounts[line.pk]
        line.performance_pay = amounts[line.pk]
        line.performance_note = texts[line.pk]
    PayrollLine.objects.unscoped("write the lines of the payroll locked and checked above").bulk_update(
        lines, ["performance_pay", "performance_note", "total"]
    )
    payroll.total = sum((line.total for line in lines), Decimal("0.00"))
    payroll.city_amount, payroll.district_amount = split(payroll.total, payroll.scale.city_share)
    payroll.performance_source = source
    payroll.save(update_fields=["total", "city_amount", "district_amount", "performance_source"])
    audit.record(
        actor,
        "workforce.set_performance_pay",
        payroll,
        before=before,
        after={
            **audit.snapshot(payroll),
            "performance_pay": {str(pk): str(amount) for pk, amount in amounts.items()},
            "performance_note": {str(pk): text for pk, text in texts.items() if text},
        },
    )
    return payroll
