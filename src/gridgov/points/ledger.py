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
3. A hot account can be split (`split_account`): its points then live in N `AccountSlot` rows and a
   posting takes whichever slot is free (on PostgreSQL `FOR UPDATE SKIP LOCKED`, in
   `pgsql.gridgov_points_apply`), so N transactions on one account commit side by side instead of
   queueing on one row lock. A debit no free slot can carry alone is taken from several free slots;
   only when the free slots cannot pay are all slots locked in order and the debit spread over them,
   or refused when the total is short: splitting never refuses a payable debit.

The cached balance (main row + slots) always equals the sum of the account's entries (both written in
one transaction).
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

from .models import Account, AccountSlot, Entry, OwnerKind, Transaction


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
    return digest_of(kind, [(leg.account.pk, leg.amount) for leg in legs], extra)


def digest_of(kind: str, pairs: Iterable[tuple[int, int]], extra: dict | None) -> str:
    """What a replayed key is compared by: kind, (account id, amount) pairs and the caller's extra."""
    body = {"kind": kind, "legs": sorted(pairs), "extra": extra or {}}
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
    """Change the cached balances, one account at a time in ascending id order; debits conditional."""
    net: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for leg in legs:
        net[leg.account.pk] += leg.amount
        accounts[leg.account.pk] = leg.account
    order = [account_id for account_id in sorted(net) if net[account_id] != 0]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gridgov_points_apply(%s::bigint[], %s::bigint[])", [order, [net[a] for a in order]]
            )
            short = cursor.fetchone()[0]
        if short is not None:
            _refuse(accounts[short], -net[short])
        return
    for account_id in order:
        if not _apply_portable(accounts[account_id], net[account_id]):
            _refuse(accounts[account_id], -net[account_id])


def mask_name(name: str) -> str:
    """A person's name as a merchant or a message may show it: the surname and stars (顾俊磊 → 顾**)."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def account_label(account: Account) -> str:
    """An account's name for messages: a resident's name is masked (merchants read these)."""
    return mask_name(account.name) if account.owner_kind == OwnerKind.RESIDENT else account.name


def _refuse(account: Account, points: int) -> None:
    raise InsufficientPoints(_("“%(a)s”积分不足(需要 %(n)d 分)") % {"a": account_label(account), "n": points})


def _apply_portable(account: Account, amount: int) -> bool:
    """The same rule as gridgov_points_apply, in the ORM (SQLite: writers are serialised already)."""
    qs = Account.objects.unscoped("ledger balance update").filter(pk=account.pk)
    row = qs.values("slots", "allow_negative").first()
    if row is None:
        return False
    if row["slots"] <= 1:
        if amount < 0 and not row["allow_negative"]:
            qs = qs.filter(main_balance__gte=-amount)
        return qs.update(main_balance=F("main_balance") + amount) == 1
    slots = list(AccountSlot.objects.filter(account_id=account.pk).order_by("number").select_for_update())
    if amount > 0:
        target = min(slots, key=lambda s: (s.balance, s.number))
        return AccountSlot.objects.filter(pk=target.pk).update(balance=F("balance") + amount) == 1
    if sum(s.balance for s in slots) < -amount:
        return False
    left = -amount
    for slot in sorted(slots, key=lambda s: (-s.balance, s.number)):
        take = min(slot.balance, left)
        if take > 0:
            AccountSlot.objects.filter(pk=slot.pk).update(balance=F("balance") - take)
            left -= take
        if left == 0:
            break
    return True


@transaction.atomic
def split_account(account: Account, slots: int) -> Account:
    """Split a hot account into `slots` slots (or change their number), spreading its points evenly.

    Moves no points between accounts and writes no entries: the account's total is unchanged. An
    account that may go negative (an issuing source) is never split: its slots could not all stay >= 0.
    """
    max_slots = settings.GRIDGOV_POINTS_MAX_SLOTS
    if not isinstance(slots, int) or not 1 <= slots <= max_slots:
        raise ServiceError(_("子账户数应在 1 到 %(n)d 之间") % {"n": max_slots})
    locked = Account.objects.unscoped("ledger split").select_for_update().get(pk=account.pk)
    if locked.allow_negative and slots > 1:
        raise ServiceError(_("可为负数的发行账户不能拆分"))
    existing = list(AccountSlot.objects.filter(account_id=locked.pk).order_by("number").select_for_update())
    total = locked.main_balance + sum(s.balance for s in existing)
    AccountSlot.objects.filter(account_id=locked.pk).delete()
    if slots == 1:
        locked.main_balance, locked.slots = total, 1
    else:
        share, rest = divmod(total, slots)
        AccountSlot.objects.bulk_create(
            AccountSlot(account_id=locked.pk, number=n, balance=share + (1 if n < rest else 0))
            for n in range(slots)
        )
        locked.main_balance, locked.slots = 0, slots
    locked.save(update_fields=["main_balance", "slots"])
    return locked


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
    in_slots = dict(
        AccountSlot.objects.values("account").annotate(s=Sum("balance")).values_list("account", "s")
    )
    for acc in Account.objects.unscoped("ledger check").only("id", "main_balance", "slots", "allow_negative"):
        cached = acc.main_balance + int(in_slots.get(acc.pk, 0))
        if cached != sums.get(acc.pk, 0):
            problems.append(f"account {acc.pk}: cached {cached} != entries {sums.get(acc.pk, 0)}")
        if cached < 0 and not acc.allow_negative:
            problems.append(f"account {acc.pk} is negative")
        if acc.slots > 1 and acc.main_balance != 0:
            problems.append(f"split account {acc.pk} holds {acc.main_balance} outside its slots")
    return problems


SOURCE_KINDS = (OwnerKind.ISSUANCE,)
