"""The double-entry core: post a balanced transaction once per idempotency key.

`post()` runs inside its caller's transaction (every caller is an atomic service function):

1. A replayed key returns the original transaction when the payload is the same and raises
   `IdempotencyConflict` when it differs. Two requests racing with one key meet at the unique index:
   the loser waits for the winner's commit, gets an IntegrityError inside a savepoint, and answers
   as a replay.
2. Transaction and entry rows are inserted first, the cached balances are changed last. Inserting an
   entry takes only the foreign key's share lock on its account row, which no posting's row lock
   (`FOR NO KEY UPDATE`, a plain UPDATE) conflicts with. A debit of an account that must not go
   negative is a conditional update, `balance = balance - x WHERE balance >= x`; zero rows updated
   means not enough points and the caller's transaction rolls back. The row lock of a hot account is
   therefore held only from its UPDATE to COMMIT.
3. A hot account can be split (`split_account`): its points then live in N `AccountSlot` rows and a
   posting takes whichever slot is free (on PostgreSQL `FOR NO KEY UPDATE SKIP LOCKED`, in
   `pgsql.APPLY`), so N transactions on one account commit side by side instead of queueing on one
   row lock. A debit no free slot can carry alone is taken from several free slots; only when the free
   slots cannot pay are all slots locked in order and the debit spread over them, or refused when the
   total is short: splitting never refuses a payable debit.

Lock order. Every posting path takes its locks in one total order (docs/points.md, "Lock order"): the
service's own row (a one-time code, a participation, the transaction being reversed) → idempotency
keys (the unique index of `Transaction.idempotency_key`; a batch inserts its keys in ascending order)
→ stocked scenarios (ascending id) → account rows (ascending id; `lock_accounts`) → slots (accounts
ascending, `apply_balances`). A service that must hold an account row before it posts (a monthly
limit, a cap, a penalty bounded by the balance) locks all the posting's row-locked accounts at once
with `lock_accounts`, so no account row is ever taken after a higher one or after a slot.

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
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from gridgov.core.actors import as_user
from gridgov.core.services import ServiceError

from .models import Account, AccountSlot, Entry, OwnerKind, Transaction

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


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
    existing = Transaction.objects.unscoped(
        "the transaction a taken idempotency key names (keys are global), compared by payload hash"
    ).get(idempotency_key=key)
    if existing.payload_hash != digest:
        raise IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))
    return existing


def find_replay(key: str, kind: str, legs: list[Leg], extra: dict | None = None) -> Transaction | None:
    if not key:
        raise ServiceError(_("缺少幂等键"))
    if (
        Transaction.objects.unscoped("is the idempotency key taken (keys are global)")
        .filter(idempotency_key=key)
        .exists()
    ):
        return _replay(key, payload_hash(kind, legs, extra))
    return None


def post(
    *,
    key: str,
    kind: str,
    legs: list[Leg],
    area_path: str,
    memo: str = "",
    actor: User | SystemActor | None = None,
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
        and Transaction.objects.unscoped("is the idempotency key taken (keys are global)")
        .filter(idempotency_key=key)
        .exists()
    ):
        return _replay(key, digest), True
    user = as_user(actor)  # a job (SystemActor) is named in the audit row, not in created_by
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
            and Transaction.objects.unscoped("a concurrent reversal of the transaction being reversed")
            .filter(reverses=reverses)
            .exists()
        ) and not (
            Transaction.objects.unscoped("is the idempotency key taken (keys are global)")
            .filter(idempotency_key=key)
            .exists()
        ):
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


@dataclass(frozen=True)
class Posting:
    """One transaction of a batch (`post_many`): what `post()` takes, less the options a batch has not."""

    key: str
    kind: str
    legs: list[Leg]
    area_path: str
    memo: str = ""


def post_many(
    postings: list[Posting], *, actor: User | SystemActor | None = None
) -> list[tuple[Transaction, bool]]:
    """Post several transactions as `post()` would one after another — same rows, same replay rule — with
    one insert of transactions, one of entries and each account's balance changed once (`apply_balances`
    of all the legs, so a non-negative account is refused when the batch's *net* debit exceeds it).

    For a caller whose keys no concurrent writer can post (it holds a lock serialising them, as
    `compute_grid_scores` holds its community's row): a key inserted concurrently fails the batch with an
    IntegrityError rather than answering as a replay. Returns (transaction, replayed) per posting, in order.
    """
    assert connection.in_atomic_block, "ledger.post_many runs inside the service's transaction"
    prepared = []
    for p in postings:
        if not p.key or len(p.key) > 120:
            raise ServiceError(_("幂等键无效"))
        legs = [leg for leg in p.legs if leg.amount != 0]
        if not legs:
            raise ServiceError(_("积分数量必须大于零"))
        if sum(leg.amount for leg in legs) != 0:
            raise ServiceError(_("借贷不平衡"))
        prepared.append((p, legs, payload_hash(p.kind, legs, None)))
    taken = set(
        Transaction.objects.unscoped("which keys of the batch are taken (keys are global)")
        .filter(idempotency_key__in=[p.key for p, _l, _d in prepared])
        .values_list("idempotency_key", flat=True)
    )
    user = as_user(actor)
    new: dict[str, Transaction] = {}
    digests: dict[str, str] = {}
    out: list[tuple[str, bool]] = []
    for p, _legs, digest in prepared:
        if p.key in taken:
            out.append((p.key, True))
        elif p.key in new:  # a key repeated inside the batch: a replay of its first posting
            if digests[p.key] != digest:
                raise IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))
            out.append((p.key, True))
        else:
            digests[p.key] = digest
            new[p.key] = Transaction(
                idempotency_key=p.key,
                payload_hash=digest,
                kind=p.kind,
                memo=p.memo[:200],
                area_path=p.area_path,
                created_by=user,
            )
            out.append((p.key, False))
    replays = {
        key: _replay(key, d)
        for (p, _l, d), (key, replayed) in zip(prepared, out, strict=True)
        if replayed and key in taken
    }
    # keys in ascending order, in one statement (the ledger's lock order for a batch's keys)
    Transaction.objects.bulk_create(sorted(new.values(), key=lambda tx: tx.idempotency_key))
    entries: list[Entry] = []
    applied: list[Leg] = []
    for (_p, legs, _d), (key, replayed) in zip(prepared, out, strict=True):
        if replayed:
            continue
        applied.extend(legs)
        entries.extend(
            Entry(
                transaction=new[key],
                account=leg.account,
                amount=leg.amount,
                expires_on=leg.expires_on if leg.amount > 0 else None,
                area_path=leg.account.area_path,
            )
            for leg in legs
        )
    Entry.objects.bulk_create(entries, batch_size=2000)
    if applied:
        apply_balances(applied)
    return [(replays[key] if key in replays else new[key], replayed) for key, replayed in out]


def lock_accounts(accounts: Iterable[Account | int], *, also: Iterable[Account | int] = ()) -> None:
    """Lock, in ascending id order, the account rows a posting will lock anyway (every unsplit account of
    `accounts`) plus the rows of `also` (split or not), with `FOR NO KEY UPDATE`.

    For a service that must hold an account row before it posts — a monthly limit, a cap, a penalty
    bounded by the balance — so that the rows are taken in the ledger's lock order (all rows ascending,
    before any slot) rather than one early and the others later in `apply_balances`. Entry inserts only
    take the foreign key's share lock, which this lock does not block.
    """
    ids = sorted({a if isinstance(a, int) else a.pk for a in accounts})
    extra = sorted({a if isinstance(a, int) else a.pk for a in also})
    if not ids and not extra:
        return
    list(
        Account.objects.unscoped("lock the rows of the accounts a checked posting moves (ledger lock order)")
        .filter(Q(pk__in=ids, slots__lte=1) | Q(pk__in=extra))
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )


def apply_balances(legs: list[Leg]) -> None:
    """Change the cached balances, each account once: unsplit rows in ascending id order, then slots."""
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
    split = dict(
        Account.objects.unscoped("how the accounts of a checked posting are stored (split or not)")
        .filter(pk__in=order)
        .values_list("pk", "slots")
    )
    # The order of gridgov_points_apply: rows of unsplit accounts first, then the slots of split ones.
    for account_id in sorted(order, key=lambda a: (split.get(a, 1) > 1, a)):
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
    qs = Account.objects.unscoped("the balance of an account a checked posting moves").filter(pk=account.pk)
    row = qs.values("slots", "allow_negative").first()
    if row is None:
        return False
    if row["slots"] <= 1:
        if amount < 0 and not row["allow_negative"]:
            qs = qs.filter(main_balance__gte=-amount)
        return qs.update(main_balance=F("main_balance") + amount) == 1
    slots = list(
        AccountSlot.objects.filter(account_id=account.pk).order_by("number").select_for_update(no_key=True)
    )
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
    # FOR UPDATE, not FOR NO KEY UPDATE: it must also wait for every posting in flight on this account (each
    # holds the share lock its entry rows took on the account row) and keep new ones out until it commits.
    locked = (
        Account.objects.unscoped("lock the account to split; the service checked its path")
        .select_for_update()
        .get(pk=account.pk)
    )
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
    total = (
        Entry.objects.unscoped("ledger invariant: an account's entries, for tests and the benchmark")
        .filter(account=account)
        .aggregate(s=Sum("amount"))["s"]
    )
    return int(total or 0)


def check_invariants() -> list[str]:
    """Every broken ledger rule, as text (empty when the ledger is sound): used by tests and the benchmark."""
    problems = []
    for tx_id, total in (
        Entry.objects.unscoped("ledger invariant: every transaction's legs sum to zero")
        .values("transaction")
        .annotate(s=Sum("amount"))
        .values_list("transaction", "s")
    ):
        if total != 0:
            problems.append(f"transaction {tx_id} sums to {total}")
    sums = dict(
        Entry.objects.unscoped("ledger invariant: every account's entries, against its cached balance")
        .values("account")
        .annotate(s=Sum("amount"))
        .values_list("account", "s")
    )
    in_slots = dict(
        AccountSlot.objects.values("account").annotate(s=Sum("balance")).values_list("account", "s")
    )
    for acc in Account.objects.unscoped("ledger invariant: every account's cached balance").only(
        "id", "main_balance", "slots", "allow_negative"
    ):
        cached = acc.main_balance + int(in_slots.get(acc.pk, 0))
        if cached != sums.get(acc.pk, 0):
            problems.append(f"account {acc.pk}: cached {cached} != entries {sums.get(acc.pk, 0)}")
        if cached < 0 and not acc.allow_negative:
            problems.append(f"account {acc.pk} is negative")
        if acc.slots > 1 and acc.main_balance != 0:
            problems.append(f"split account {acc.pk} holds {acc.main_balance} outside its slots")
    return problems


SOURCE_KINDS = (OwnerKind.ISSUANCE,)
