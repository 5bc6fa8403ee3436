"""Helpers shared by the points service modules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from gridgov.core.actors import SystemActor, as_user
from gridgov.core.scope import check_reach

if TYPE_CHECKING:
    from gridgov.accounts.models import User

CENT = Decimal("0.01")


def _user(actor: User | SystemActor) -> User | None:
    """The user a `created_by`-style column names: None for a job (the audit row names it instead)."""
    return as_user(actor)


def _check(actor: User | SystemActor, path: str) -> None:
    """The actor reaches `path` (a SystemActor reaches every area); `actor=None` is refused, never a bypass."""
    check_reach(actor, path)


def month_of(value: dt.date) -> dt.date:
    return value.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
