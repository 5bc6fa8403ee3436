"""Accounts (one per owner, created on first use), budget pools, transfers, reversals and hot-account
splitting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core import audit
from gridgov.core.actors import require_actor
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident

from .. import ledger
from ..ledger import Leg
from ..models import Account, Merchant, OwnerKind, Redemption, Scenario, Transaction, TxKind
from ._common import _check

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


# --- accounts ------------------------------------------------------------------------------------------
def _account(
    kind: str, owner_id: int, name: str, path: str, *, allow_negative: bool = False, slots: int = 1
) -> Account:
    account = (
        Account.objects.unscoped("the owner's account, for a posting whose paths the caller checked")
        .filter(owner_kind=kind, owner_id=owner_id)
        .first()
    )
    if account is not None:
        return account
    try:
        with transaction.atomic():
            account = Account.objects.create(
                owner_kind=kind,
                owner_id=owner_id,
                name=name[:100],
                area_path=path,
                allow_negative=allow_negative,
            )
            return ledger.split_account(account, slots) if slots > 1 else account
    except IntegrityError:
        return Account.objects.unscoped(
            "the account a concurrent request for the same owner just created"
        ).get(owner_kind=kind, owner_id=owner_id)


def resident_account(resident: Resident) -> Account:
    return _account(OwnerKind.RESIDENT, resident.pk, resident.name, resident.area_path)


def merchant_account(merchant: Merchant) -> Account:
    return _account(
        OwnerKind.MERCHANT,
        merchant.pk,
        merchant.name,
        merchant.area_path,
        slots=settings.GRIDGOV_POINTS_HOT_SLOTS,
    )


def staff_account(staff) -> Account:
    return _account(OwnerKind.STAFF, staff.pk, str(staff), staff.area_path)


def grid_account(grid: Area) -> Account:
    return _account(OwnerKind.GRID, grid.pk, grid.name, grid.path)


def pool_account(area: Area) -> Account:
    return _account(
        OwnerKind.POOL,
        area.pk,
        _("%(a)s积分预算") % {"a": area.name},
        area.path,
        slots=settings.GRIDGOV_POINTS_HOT_SLOTS,
    )


def _city_of(path: str) -> Area:
    return Area.objects.unscoped("the city above a checked path: its issuance and expiry accounts").get(
        path=ancestor_path(path, Level.CITY)
    )


def issuance_account(city: Area) -> Account:
    return _account(
        OwnerKind.ISSUANCE, city.pk, _("%(a)s积分发行") % {"a": city.name}, city.path, allow_negative=True
    )


def expired_account(city: Area) -> Account:
    return _account(OwnerKind.EXPIRED, city.pk, _("%(a)s过期积分") % {"a": city.name}, city.path)


def _ancestor(path: str, level: int) -> Area:
    widths: dict[int, int] = {
        Level.CITY: 4,
        Level.DISTRICT: 6,
        Level.STREET: 9,
        Level.COMMUNITY: 12,
        Level.GRID: 15,
    }
    width = widths[level]
    return Area.objects.unscoped(
        "the community above a checked path: its pool pays what is earned there"
    ).get(path=path[:width])


def earning_pool(path: str) -> Account:
    """Points earned in a community are paid from the community's budget pool."""
    return pool_account(_ancestor(path, Level.COMMUNITY))


# --- pools and reversals -------------------------------------------------------------------------------
@transaction.atomic
def fund_pool(actor: User | SystemActor, area: Area, amount: int, *, key: str, memo: str = "") -> Transaction:
    """Issue `amount` points into an area's budget pool (city, district, street or community)."""
    area = Area.objects.unscoped("re-read the pool's area in the transaction; path re-checked by _check").get(
        pk=area.pk
    )
    _check(actor, area.path)
    if area.level > Level.COMMUNITY:
        raise ServiceError(_("积分预算池只设在市、区县、街道、社区"))
    if not isinstance(amount, int) or amount <= 0:
        raise ServiceError(_("积分数量必须大于零"))
    pool = pool_account(area)
    tx, replayed = ledger.post(
        key=key,
        kind=TxKind.FUND,
        legs=[Leg(issuance_account(_city_of(area.path)), -amount), Leg(pool, amount)],
        area_path=area.path,
        memo=memo or _("预算拨付"),
        actor=actor,
    )
    if not replayed:
        audit.record(actor, "points.fund_pool", tx, after={"pool": pool.pk, "amount": amount})
    return tx


@transaction.atomic
def transfer(
    actor: User | SystemActor, source: Account, target: Account, amount: int, *, key: str, memo: str = ""
) -> Transaction:
    """Move points between two accounts (used by the ledger tests and the benchmark's plain path)."""
    for acc in (source, target):
        _check(actor, acc.area_path)
    if amount <= 0:
        raise ServiceError(_("积分数量必须大于零"))
    expires = (
        ledger.expiry_for(timezone.localdate())
        if target.owner_kind in (OwnerKind.RESIDENT, OwnerKind.STAFF)
        else None
    )
    tx, replayed = ledger.post(
        key=key,
        kind=TxKind.TRANSFER,
        legs=[Leg(source, -amount), Leg(target, amount, expires)],
        area_path=source.area_path,
        memo=memo,
        actor=actor,
    )
    if not replayed:
        audit.record(
            actor, "points.transfer", tx, after={"from": source.pk, "to": target.pk, "amount": amount}
        )
    return tx


@transaction.atomic
def reverse_transaction(actor: User | SystemActor, tx: Transaction, *, key: str, reason: str) -> Transaction:
    """A reversal is a new transaction with every leg negated; the original is never edited.

    Locks in the ledger's order: the transaction reversed, the reversal's key, the redemption's scenario
    (its stock is returned), then account rows and slots (`apply_balances`, last).
    """
    require_actor(actor)
    tx = Transaction.objects.lock_in_scope(actor, tx.pk)
    if not (reason or "").strip():
        raise ServiceError(_("请填写冲正原因"))
    if tx.kind in (TxKind.REVERSE, TxKind.EXPIRE):
        raise ServiceError(_("冲正和过期交易不能再冲正"))
    existing = (
        Transaction.objects.unscoped("an earlier reversal of the locked transaction (same path)")
        .filter(reverses=tx)
        .first()
    )
    if existing is not None:
        if existing.idempotency_key == key:
            return existing
        raise ServiceError(_("该交易已冲正,不能重复冲正"))
    today = timezone.localdate()
    legs = []
    for entry in tx.entries.select_related("account"):
        expires = (
            ledger.expiry_for(today)
            if entry.amount < 0 and entry.account.owner_kind in (OwnerKind.RESIDENT, OwnerKind.STAFF)
            else None
        )
        legs.append(Leg(entry.account, -entry.amount, expires))
    reversal, replayed = ledger.post(
        key=key,
        kind=TxKind.REVERSE,
        legs=legs,
        area_path=tx.area_path,
        memo=_("冲正:%(r)s") % {"r": reason.strip()},
        actor=actor,
        reverses=tx,
        extra={"reverses": tx.pk},
        apply=False,  # balances last, after the scenario's stock
    )
    if replayed:
        return reversal
    redemption = (
        Redemption.objects.unscoped("the redemption posted by the transaction being reversed")
        .filter(transaction=tx)
        .first()
    )
    if redemption is not None:
        Scenario.objects.unscoped("return the stock of the redemption being reversed").filter(
            pk=redemption.scenario_id, stock__isnull=False
        ).update(stock=F("stock") + redemption.quantity)
        Redemption.objects.unscoped("mark the redemption of the transaction being reversed").filter(
            pk=redemption.pk
        ).update(reversed=True)
    ledger.apply_balances(legs)
    audit.record(actor, "points.reverse", reversal, after={"reverses": tx.pk, "reason": reason.strip()})
    return reversal


# --- hot accounts ----------------------------------------------------------------------------------------
@transaction.atomic
def split_account(actor: User | SystemActor, account: Account, slots: int) -> Account:
    """Split a hot account into `slots` slots (热点账户拆分), or join it back with slots=1.

    The points stay where they are (no entries are written); only how the cached balance is stored
    changes, so concurrent postings to the account stop queueing on one row.
    """
    account = Account.objects.unscoped(
        "re-read the account to split in the transaction; path re-checked by _check"
    ).get(pk=account.pk)
    _check(actor, account.area_path)
    before = {"slots": account.slots, "balance": account.balance}
    account = ledger.split_account(account, slots)
    audit.record(
        actor,
        "points.split_account",
        account,
        before=before,
        after={"slots": account.slots, "balance": account.balance},
    )
    return account
