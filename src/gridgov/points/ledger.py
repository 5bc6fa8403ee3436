"""The double-entry core: post a balanced transaction once per idempotency key.

`post()` runs inside its caller's transaction (every caller is an atomic service function):

1. A replayed key returns the original transaction when the payload is the same and raises
   `IdempotencyConflict` when it differs. Two requests racing with one key meet at the unique index:
   the loser waits for the winner's commit, gets an IntegrityError inside a savepoint, and answers
   as a replay.
2. Transaction and entry rows are inserted first, the cached balances are changed last, in
   ascending account id order (a fixed order: no deadlocks). A debit of an account that must not
   go negative is a conditional update, `balance = balance - x WHERE balance >= x`; zero rows
   updated means not enough points and the caller's transaction rolls back. The row lock of a hot
   account is therefore held only from its UPDATE to COMMIT.

The cached balance always equals the sum of the account's entries (both written in one transaction).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from gridgov.core.services import ServiceError

from .models import Account, Entry, OwnerKind, Transaction


class InsufficientPoints(ServiceError):
    pass


class IdempotencyConflict(ServiceError):
    pass


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: int
    expires_on: dt.date | None = None


def expiry_for(on: dt.date) -> dt.date:
    """Points earned on `on` expire at the end of year on.year + GRIDGOV_POINTS_EXPIRY_YEARS."""
    return dt.date(on.year + settings.GRIDGOV_POINTS_EXPIRY_YEARS, 12, 31)


def payload_hash(kind: str, legs: Iterable[Leg], extra: dict | None) -> str:
    body = {
        "kind": kind,
        "legs": sorted((leg.account.pk, leg.amount) for leg in legs),
        "extra": extra or {},
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _replay(key: str, digest: str) -> Transaction:
    existing = Transaction.objects.unscoped("idempotency replay").get(idempotency_key=key)
    if existing.payload_hash != digest:
        raise IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))
    return existing


def find_replay(key: str, kind: str, legs: list[Leg], extra: dict | None = None) -> Transaction | None:
    if not key:
        raise ServiceError(_("缺少幂等键"))
    if Transaction.objects.unscoped("idempotency replay").filter(idempotency_key=key).exists():
        return _replay(key, payload_hash(kind, legs, extra))
    return None


def post(
    *,
    key: str,
    kind: str,
    legs: list[Leg],
    area_path: str,
    memo: str = "",
    actor=None,
    extra: dict | None = None,
    reverses: Transaction | None = None,
    apply: bool = True,
    checked: bool = False,
) -> tuple[Transaction, bool]:
    """Post a balanced transaction; returns (transaction, replayed).

    `apply=False` leaves the balance updates to the caller (`apply_balances(legs)`, called last, right
    before its transaction commits, so the hot row lock is held as briefly as possible). `checked=True`
    says the caller already looked the key up and handles IntegrityError outside its own transaction
    (no savepoint).
    """
    assert connection.in_atomic_block, "ledger.post runs inside the service's transaction"
    if not key or len(key) > 120:
        raise ServiceError(_("幂等键无效"))
    legs = [leg for leg in legs if leg.amount != 0]
    if not legs:
        raise ServiceError(_("积分数量必须大于零"))
    if sum(leg.amount for leg in legs) != 0:
        raise ServiceError(_("借贷不平衡"))
    digest = payload_hash(kind, legs, extra)
    if (
        not checked
        and Transaction.objects.unscoped("idempotency replay").filter(idempotency_key=key).exists()
    ):
        return _replay(key, digest), True
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    fields = {
        "idempotency_key": key,
        "payload_hash": digest,
        "kind": kind,
        "memo": memo[:200],
        "area_path": area_path,
        "created_by": user,
        "reverses": reverses,
    }
    try:
        if checked:
            tx = Transaction.objects.create(**fields)
        else:
            with transaction.atomic():
                tx = Transaction.objects.create(**fields)
    except IntegrityError:
        if checked:
            raise
        if (
            reverses is not None
            and Transaction.objects.unscoped("reversal").filter(reverses=reverses).exists()
        ) and not Transaction.objects.unscoped("replay").filter(idempotency_key=key).exists():
            raise ServiceError(_("该交易已冲正,不能重复冲正")) from None
        return _replay(key, digest), True
    Entry.objects.bulk_create(
        [
            Entry(
                transaction=tx,
                account=leg.account,
                amount=leg.amount,
                expires_on=leg.expires_on if leg.amount > 0 else None,
                area_path=leg.account.area_path,
            )
            for leg in legs
        ]
    )
    if apply:
        apply_balances(legs)
    return tx, False


def apply_balances(legs: list[Leg]) -> None:
    """Change the cached balances: one UPDATE per account in ascending id order; debits conditional."""
    net: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for leg in legs:
        net[leg.account.pk] += leg.amount
        accounts[leg.account.pk] = leg.account
    for account_id in sorted(net):
        amount = net[account_id]
        if amount == 0:
            continue
        qs = Account.objects.unscoped("ledger balance update").filter(pk=account_id)
        account = accounts[account_id]
        if amount < 0 and not account.allow_negative:
            qs = qs.filter(balance__gte=-amount)
        if qs.update(balance=F("balance") + amount) != 1:
            raise InsufficientPoints(_("“%(a)s”积分不足(需要 %(n)d 分)") % {"a": account.name, "n": -amount})


# --- reads -------------------------------------------------------------------------------------------
def balance_from_entries(account: Account) -> int:
    total = Entry.objects.unscoped("ledger check").filter(account=account).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def check_invariants() -> list[str]:
    """Every broken ledger rule, as text (empty when the ledger is sound): used by tests and the benchmark."""
    problems = []
    for tx_id, total in (
        Entry.objects.unscoped("ledger check")
        .values("transaction")
        .annotate(s=Sum("amount"))
        .values_list("transaction", "s")
    ):
        if total != 0:
            problems.append(f"transaction {tx_id} sums to {total}")
    sums = dict(
        Entry.objects.unscoped("ledger check")
        .values("account")
        .annotate(s=Sum("amount"))
        .values_list("account", "s")
    )
    for acc in Account.objects.unscoped("ledger check").only("id", "balance", "allow_negative"):
        if acc.balance != sums.get(acc.pk, 0):
            problems.append(f"account {acc.pk}: cached {acc.balance} != entries {sums.get(acc.pk, 0)}")
        if acc.balance < 0 and not acc.allow_negative:
            problems.append(f"account {acc.pk} is negative")
    return problems


SOURCE_KINDS = (OwnerKind.ISSUANCE,)
