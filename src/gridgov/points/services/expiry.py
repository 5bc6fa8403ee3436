"""Expiry of unspent points (FIFO: the earliest-expiring points are spent first)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import require_actor

from .. import ledger
from ..ledger import Leg
from ..models import Account, Entry, Transaction, TxKind
from ._common import _check
from .accounts import _city_of, expired_account

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


def expirable_amount(account: Account, on: dt.date) -> int:
    """FIFO: spending uses the earliest-expiring points first, so what has expired by `on` and was not
    spent is (credits expiring before `on`) - (all debits so far), never below zero."""
    rows = Entry.objects.unscoped(
        "entries of the account being expired (its row is locked by the caller)"
    ).filter(account=account)
    expired = rows.filter(amount__gt=0, expires_on__lt=on).aggregate(s=Sum("amount"))["s"] or 0
    spent = -(rows.filter(amount__lt=0).aggregate(s=Sum("amount"))["s"] or 0)
    return max(0, min(expired - spent, account.balance))


@transaction.atomic
def expire_account(actor: User | SystemActor, account: Account, on: dt.date) -> Transaction | None:
    """Post what of the account's points expired before `on`, once per account and day (its key)."""
    _check(actor, account.area_path)
    sink = expired_account(_city_of(account.area_path))
    # The account's row (split or not) and the sink's, ascending, before the key (the amount depends on
    # what the account holds, read under the lock): the ledger's lock order, rows before slots.
    ledger.lock_accounts([account, sink], also=[account])
    account = Account.objects.unscoped("re-read the account locked just above (its path was checked)").get(
        pk=account.pk
    )
    amount = expirable_amount(account, on)
    if amount <= 0:
        return None
    tx, replayed = ledger.post(
        key=f"expire:{account.pk}:{on.isoformat()}",
        kind=TxKind.EXPIRE,
        legs=[Leg(account, -amount), Leg(sink, amount)],
        area_path=account.area_path,
        memo=_("积分过期(%(d)s 前到期)") % {"d": on.isoformat()},
        actor=actor,
        extra={"on": on.isoformat()},
    )
    if not replayed:
        audit.record(actor, "points.expire", tx, after={"account": account.pk, "amount": amount})
    return tx


def expire_points(actor: User | SystemActor, on: dt.date | None = None) -> int:
    """Expire every account's unspent points that expired before `on` (run daily; safe to re-run)."""
    require_actor(actor)
    on = on or timezone.localdate()
    ids = (
        Entry.objects.unscoped("expiry is a job over every area: the accounts holding credits due to expire")
        .filter(amount__gt=0, expires_on__lt=on)
        .values_list("account_id", flat=True)
        .distinct()
    )
    done = 0
    for account in (
        Account.objects.unscoped(
            "expiry is a job over every area: the accounts holding credits due to expire"
        )
        .filter(pk__in=list(ids))
        .order_by("pk")
    ):
        if expire_account(actor, account, on) is not None:
            done += 1
    return done
