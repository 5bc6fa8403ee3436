"""Helpers shared by the workforce service modules: checks of just-locked rows, and input cleaning."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core.services import ServiceError

from ..models import Staff

CENT = Decimal("0.01")


def _serving(staff: Staff, *, active: bool = True) -> Staff:
    """The staff member just locked (`Staff.objects.select_related("resident").lock_in_scope`), if serving."""
    if active and not staff.is_active:
        raise ServiceError(_("“%(n)s”已离岗") % {"n": staff.resident.name})
    return staff


def _area_at(area: Area, level: int) -> Area:
    """The area just locked (`Area.objects.lock_in_scope`), if it is of `level` and active."""
    if area.level != level:
        raise ServiceError(_("请选择%(l)s") % {"l": Level(level).label})
    if not area.is_active:
        raise ServiceError(_("区域“%(n)s”已撤销") % {"n": area.name})
    return area


def _validate_choice(value: str, choices, message: str) -> str:
    if value not in choices.values:
        raise ServiceError(message)
    return value


def _decimal(value, label: str) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("%(f)s应为数字") % {"f": label}) from None
    if not result.is_finite():
        raise ServiceError(_("%(f)s应为数字") % {"f": label})
    return result.quantize(CENT, rounding=ROUND_HALF_UP)


def _text(value: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("请填写%(f)s") % {"f": label})
    if len(value) > max_length:
        raise ServiceError(_("%(f)s不能超过 %(n)d 个字") % {"f": label, "n": max_length})
    return value


def _year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ServiceError(_("年度应为数字")) from None
    if not 2000 <= year <= 2100:
        raise ServiceError(_("年度应在 2000 到 2100 之间"))
    return year


def _month(value: dt.date) -> dt.date:
    return value.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
