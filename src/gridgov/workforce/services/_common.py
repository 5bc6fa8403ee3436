"""Helpers shared by the workforce service modules: locks that re-check scope, and input cleaning."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core.scope import check_path
from gridgov.core.services import ServiceError

from ..models import Staff

CENT = Decimal("0.01")


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _check(actor, path: str) -> None:
    if actor is not None:
        check_path(actor, path)


def _lock_staff(actor, staff: Staff, *, active: bool = True) -> Staff:
    staff = (
        Staff.objects.unscoped("lock the staff member by id; their path is checked right after")
        .select_for_update()
        .select_related("resident")
        .get(pk=staff.pk)
    )
    _check(actor, staff.area_path)
    if active and not staff.is_active:
        raise ServiceError(_("“%(n)s”已离岗") % {"n": staff.resident.name})
    return staff


def _lock_area(actor, area: Area, level: int) -> Area:
    area = (
        Area.objects.unscoped("lock the area by id; its path is checked right after")
        .select_for_update()
        .get(pk=area.pk)
    )
    _check(actor, area.path)
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
