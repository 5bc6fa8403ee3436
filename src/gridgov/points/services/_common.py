"""Helpers shared by the points service modules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gridgov.core.scope import check_path

CENT = Decimal("0.01")


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _check(actor, path: str) -> None:
    if actor is not None:
        check_path(actor, path)


def month_of(value: dt.date) -> dt.date:
    return value.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
