"""Every write of the points system (each @transaction.atomic with an audit row in the same transaction).

Other modules post staff points through `award_staff_points` (events, emergency handling).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit, context
from gridgov.core.scope import OutOfScope, check_path
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident, ResidentTag, Tag

from . import ledger, posting
from .ledger import Leg
from .models import (
    Account,
    Activity,
    ActivityKind,
    AwardCategory,
    EarningRule,
    EarnRole,
    Entry,
    Merchant,
    MerchantKind,
    OneTimeCode,
    OwnerKind,
    Participation,
    PartStatus,
    PerformanceFormula,
    PerformancePay,
    Redemption,
    ResidentLink,
    Scenario,
    StaffAward,
    Transaction,
    TxKind,
)
from .reference import SCENARIOS

CENT = Decimal("0.01")
U = "points service"  # the reason of every unscoped() below: services re-check paths themselves


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _check(actor, path: str) -> None:
    if actor is not None:
        check_path(actor, path)


def month_of(value: dt.date) -> dt.date:
    return value.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# --- accounts ------------------------------------------------------------------------------------------
def _account(
    kind: str, owner_id: int, name: str, path: str, *, allow_negative: bool = False, slots: int = 1
) -> Account:
    account = Account.objects.unscoped(U).filter(owner_kind=kind, owner_id=owner_id).first()
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
        return Account.objects.unscoped(U).get(owner_kind=kind, owner_id=owner_id)


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
    return Area.objects.unscoped(U).get(path=path[:4])


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
    return Area.objects.unscoped(U).get(path=path[:width])


def earning_pool(path: str) -> Account:
    """Points earned in a community are paid from the community's budget pool."""
    return pool_account(_ancestor(path, Level.COMMUNITY))


# --- pools and reversals -------------------------------------------------------------------------------
@transaction.atomic
def fund_pool(actor, area: Area, amount: int, *, key: str, memo: str = "") -> Transaction:
    """Issue `amount` points into an area's budget pool (city, district, street or community)."""
    area = Area.objects.unscoped(U).get(pk=area.pk)
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
    actor, source: Account, target: Account, amount: int, *, key: str, memo: str = ""
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
def reverse_transaction(actor, tx: Transaction, *, key: str, reason: str) -> Transaction:
    """A reversal is a new transaction with every leg negated; the original is never edited."""
    tx = Transaction.objects.unscoped(U).select_for_update().get(pk=tx.pk)
    _check(actor, tx.area_path)
    if not (reason or "").strip():
        raise ServiceError(_("请填写冲正原因"))
    if tx.kind in (TxKind.REVERSE, TxKind.EXPIRE):
        raise ServiceError(_("冲正和过期交易不能再冲正"))
    existing = Transaction.objects.unscoped(U).filter(reverses=tx).first()
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
    )
    if replayed:
        return reversal
    redemption = Redemption.objects.unscoped(U).filter(transaction=tx).first()
    if redemption is not None:
        Redemption.objects.unscoped(U).filter(pk=redemption.pk).update(reversed=True)
        Scenario.objects.unscoped(U).filter(pk=redemption.scenario_id, stock__isnull=False).update(
            stock=F("stock") + redemption.quantity
        )
    audit.record(actor, "points.reverse", reversal, after={"reverses": tx.pk, "reason": reason.strip()})
    return reversal


# --- expiry ----------------------------------------------------------------------------------------------
def expirable_amount(account: Account, on: dt.date) -> int:
    """FIFO: spending uses the earliest-expiring points first, so what has expired by `on` and was not
    spent is (credits expiring before `on`) - (all debits so far), never below zero."""
    rows = Entry.objects.unscoped(U).filter(account=account)
    expired = rows.filter(amount__gt=0, expires_on__lt=on).aggregate(s=Sum("amount"))["s"] or 0
    spent = -(rows.filter(amount__lt=0).aggregate(s=Sum("amount"))["s"] or 0)
    return max(0, min(expired - spent, account.balance))


@transaction.atomic
def expire_account(actor, account: Account, on: dt.date) -> Transaction | None:
    account = Account.objects.unscoped(U).select_for_update().get(pk=account.pk)
    amount = expirable_amount(account, on)
    if amount <= 0:
        return None
    tx, replayed = ledger.post(
        key=f"expire:{account.pk}:{on.isoformat()}",
        kind=TxKind.EXPIRE,
        legs=[Leg(account, -amount), Leg(expired_account(_city_of(account.area_path)), amount)],
        area_path=account.area_path,
        memo=_("积分过期(%(d)s 前到期)") % {"d": on.isoformat()},
        actor=actor,
        extra={"on": on.isoformat()},
    )
    if not replayed:
        audit.record(actor, "points.expire", tx, after={"account": account.pk, "amount": amount})
    return tx


def expire_points(actor, on: dt.date | None = None) -> int:
    """Expire every account's unspent points that expired before `on` (run daily; safe to re-run)."""
    on = on or timezone.localdate()
    ids = (
        Entry.objects.unscoped("expiry scan")
        .filter(amount__gt=0, expires_on__lt=on)
        .values_list("account_id", flat=True)
        .distinct()
    )
    done = 0
    for account in Account.objects.unscoped("expiry scan").filter(pk__in=list(ids)).order_by("pk"):
        if expire_account(actor, account, on) is not None:
            done += 1
    return done


# --- merchants and catalogue ----------------------------------------------------------------------
@transaction.atomic
def create_merchant(actor, *, name: str, kind: str, area: Area, user=None) -> Merchant:
    area = Area.objects.unscoped(U).get(pk=area.pk)
    _check(actor, area.path)
    if kind not in MerchantKind.values:
        raise ServiceError(_("未知商户类型"))
    if not (name or "").strip():
        raise ServiceError(_("请填写商户名称"))
    if area.level > Level.COMMUNITY:
        raise ServiceError(_("商户服务区域应为社区或以上"))
    if user is not None and not user.area_path.startswith(area.path[: len(user.area_path)]):
        raise ServiceError(_("商户账号不在该区域"))
    merchant = Merchant.objects.create(
        name=name.strip(), kind=kind, area=area, area_path=area.path, user=user
    )
    merchant_account(merchant)
    audit.record(actor, "points.create_merchant", merchant, after=audit.snapshot(merchant))
    return merchant


def _clean_scenario(data: dict) -> dict:
    price = data.get("price")
    if not isinstance(price, int) or price <= 0:
        raise ServiceError(_("所需积分必须是正整数"))
    for field in ("stock", "monthly_limit"):
        value = data.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ServiceError(_("库存和限兑次数必须是非负整数"))
    groups = data.get("eligible_groups") or []
    valid = {
        "elderly",
        *Tag.objects.values_list("code", flat=True),
    }
    if any(g not in valid for g in groups):
        raise ServiceError(_("适用人群无效"))
    kinds = data.get("merchant_kinds") or []
    if any(k not in MerchantKind.values for k in kinds):
        raise ServiceError(_("可核销商户类型无效"))
    return data


@transaction.atomic
def save_scenario(
    actor,
    *,
    area: Area,
    code: str,
    name: str,
    category: str,
    price: int,
    stock=None,
    monthly_limit=None,
    eligible_groups=(),
    merchant_kinds=(),
    is_active: bool = True,
    scenario: Scenario | None = None,
) -> Scenario:
    area = Area.objects.unscoped(U).get(pk=area.pk)
    _check(actor, area.path)
    data = _clean_scenario(
        {
            "code": code.strip(),
            "name": name.strip(),
            "category": category.strip(),
            "price": price,
            "stock": stock,
            "monthly_limit": monthly_limit,
            "eligible_groups": list(eligible_groups),
            "merchant_kinds": list(merchant_kinds),
            "is_active": is_active,
        }
    )
    if not data["code"] or not data["name"]:
        raise ServiceError(_("请填写编码和名称"))
    if scenario is None:
        if Scenario.objects.unscoped(U).filter(area=area, code=data["code"]).exists():
            raise ServiceError(_("该区域已有编码为“%(c)s”的场景") % {"c": data["code"]})
        scenario = Scenario.objects.create(area=area, area_path=area.path, **data)
        audit.record(actor, "points.create_scenario", scenario, after=audit.snapshot(scenario))
        return scenario
    scenario = Scenario.objects.unscoped(U).select_for_update().get(pk=scenario.pk)
    _check(actor, scenario.area_path)
    before = audit.snapshot(scenario)
    for key, value in data.items():
        setattr(scenario, key, value)
    scenario.area, scenario.area_path = area, area.path
    scenario.save()
    audit.record(actor, "points.change_scenario", scenario, before=before, after=audit.snapshot(scenario))
    return scenario


@transaction.atomic
def seed_catalogue(actor, area: Area) -> int:
    """The city's standard catalogue (reference.SCENARIOS) in an area; existing codes are kept."""
    area = Area.objects.unscoped(U).get(pk=area.pk)
    _check(actor, area.path)
    have = set(Scenario.objects.unscoped(U).filter(area=area).values_list("code", flat=True))
    rows = [
        Scenario(
            code=c,
            name=n,
            category=cat,
            price=p,
            stock=s,
            monthly_limit=m,
            eligible_groups=g,
            merchant_kinds=k,
            area=area,
            area_path=area.path,
        )
        for c, n, cat, p, s, m, g, k in SCENARIOS
        if c not in have
    ]
    Scenario.objects.bulk_create(rows)
    audit.record(actor, "points.seed_catalogue", area, after={"added": len(rows)})
    return len(rows)


# --- resident codes --------------------------------------------------------------------------------
_SIGNER_SALT = "gridgov.points.resident"


def resident_token(resident: Resident) -> str:
    """A signed, short-lived code the resident shows to a merchant (text on the phone page)."""
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(signing.b62_encode(resident.pk))


def _resident_from_token(token: str) -> Resident:
    resident = Resident.objects.unscoped(U).filter(pk=_resident_id_from_token(token), is_active=True).first()
    if resident is None:
        raise ServiceError(_("居民积分码无效"))
    return resident


def _resident_id_from_token(token: str) -> int:
    """The resident a signed code names (its signature and age checked; nothing read from the database)."""
    try:
        raw = signing.TimestampSigner(salt=_SIGNER_SALT).unsign(
            token.strip(), max_age=settings.GRIDGOV_POINTS_TOKEN_SECONDS
        )
    except signing.SignatureExpired:
        raise ServiceError(_("居民积分码已过期,请让居民刷新后重试")) from None
    except signing.BadSignature:
        raise ServiceError(_("居民积分码无效")) from None
    return signing.b62_decode(raw)


@transaction.atomic
def issue_one_time_code(actor, resident: Resident) -> OneTimeCode:
    """A 6-digit, single-use code valid for GRIDGOV_POINTS_OTC_SECONDS (unique among live codes)."""
    resident = Resident.objects.unscoped(U).get(pk=resident.pk)
    _check(actor, resident.area_path)
    now = timezone.now()
    live = OneTimeCode.objects.unscoped(U).filter(used_at__isnull=True, expires_at__gt=now)
    for _attempt in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        if not live.filter(code=code).exists():
            break
    else:  # pragma: no cover - a million live codes
        raise ServiceError(_("暂时无法生成核销码,请稍后再试"))
    otc = OneTimeCode.objects.create(
        resident=resident,
        code=code,
        area_path=resident.area_path,
        expires_at=now + dt.timedelta(seconds=settings.GRIDGOV_POINTS_OTC_SECONDS),
    )
    audit.record(actor, "points.issue_code", otc, object_repr=str(otc))
    return otc


def _resident_from_code(code: str) -> Resident:
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        raise ServiceError(_("核销码应为6位数字"))
    now = timezone.now()
    otc = (
        OneTimeCode.objects.unscoped(U)
        .select_for_update()
        .filter(code=code, used_at__isnull=True, expires_at__gt=now)
        .select_related("resident")
        .first()
    )
    if otc is None:
        raise ServiceError(_("核销码无效、已使用或已过期"))
    # Single use: a concurrent redemption with the same code updates zero rows and fails.
    if OneTimeCode.objects.unscoped(U).filter(pk=otc.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise ServiceError(_("核销码无效、已使用或已过期"))
    return otc.resident


def resident_of_user(user) -> Resident | None:
    link = (
        ResidentLink.objects.filter(user=user).select_related("resident").first()
        if user.is_authenticated
        else None
    )
    return link.resident if link is not None else None


@transaction.atomic
def link_resident(actor, user, resident: Resident) -> ResidentLink:
    resident = Resident.objects.unscoped(U).get(pk=resident.pk)
    _check(actor, resident.area_path)
    if user.role != "resident" or not resident.area_path.startswith(user.area_path):
        raise ServiceError(_("该账号不能绑定这位居民"))
    link, _created = ResidentLink.objects.update_or_create(user=user, defaults={"resident": resident})
    audit.record(actor, "points.link_resident", resident, after={"user": user.pk})
    return link


# --- redemption --------------------------------------------------------------------------------------
def resident_groups(resident: Resident, on: dt.date) -> set[str]:
    groups = set(ResidentTag.objects.filter(resident_id=resident.pk).values_list("tag__code", flat=True))
    age = (
        on.year
        - resident.birth_date.year
        - ((on.month, on.day) < (resident.birth_date.month, resident.birth_date.day))
    )
    if age >= 60:
        groups.add("elderly")
    return groups


@dataclass
class RedeemResult:
    redemption: Redemption
    replayed: bool


def redeem(
    actor,
    *,
    merchant: Merchant,
    scenario: Scenario,
    key: str,
    token: str = "",
    code: str = "",
    resident: Resident | None = None,
    quantity: int = 1,
) -> RedeemResult:
    """A merchant redeems a scenario for a resident identified by signed code, one-time code or (staff) id.

    On PostgreSQL a redemption by signed code or id is posted in one round trip
    (`_redeem_pg`); a one-time code (consumed in the same transaction) and SQLite take the ORM path.
    Both check the same rules (`_validate_redemption`) and write the same rows.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or quantity > 100:
        raise ServiceError(_("兑换数量无效"))
    if not key or len(key) > 120:
        raise ServiceError(_("幂等键无效"))
    if connection.vendor == "postgresql" and not code:
        return _redeem_pg(
            actor,
            merchant=merchant,
            scenario=scenario,
            key=key,
            token=token,
            resident=resident,
            quantity=quantity,
        )
    try:
        return _redeem_orm(
            actor,
            merchant=merchant,
            scenario=scenario,
            key=key,
            token=token,
            code=code,
            resident=resident,
            quantity=quantity,
        )
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as the replay it is.
        tx = Transaction.objects.unscoped(U).filter(idempotency_key=key).first()
        if tx is None:
            raise
        return RedeemResult(Redemption.objects.unscoped(U).get(transaction=tx), True)


def _validate_redemption(actor, merchant, scenario, resident, today: dt.date, *, by_id: bool) -> None:
    """Every rule of a redemption that only reads; the posting paths add stock, limit and balance."""
    if actor is not None and merchant.user_id != getattr(actor, "pk", None):
        _check(actor, merchant.area_path)
    if by_id:
        _check(actor, resident.area_path)
    if not merchant.is_active:
        raise ServiceError(_("商户已停用"))
    if not scenario.is_active:
        raise ServiceError(_("该兑换场景已下架"))
    if not merchant.area_path.startswith(scenario.area_path):
        raise ServiceError(_("该商户不在此兑换场景的适用区域内"))
    if scenario.merchant_kinds and merchant.kind not in scenario.merchant_kinds:
        raise ServiceError(_("该商户不能核销此兑换场景"))
    if not resident.area_path.startswith(merchant.area_path):
        raise ServiceError(_("商户不在该居民所在区域,不能核销"))
    if scenario.eligible_groups and not set(scenario.eligible_groups) & resident_groups(resident, today):
        raise ServiceError(_("该居民不在此兑换场景的适用人群内"))


def _check_replay(redemption, merchant_id: int, scenario_id: int, quantity: int) -> None:
    if (
        redemption is None
        or redemption.merchant_id != merchant_id
        or redemption.scenario_id != scenario_id
        or redemption.quantity != quantity
    ):
        raise ledger.IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))


def _memo(scenario, merchant, quantity: int) -> str:
    return _("%(s)s × %(q)d @ %(m)s") % {"s": scenario.name, "q": quantity, "m": merchant.name}


def _monthly_limit_error(used: int, limit: int) -> ServiceError:
    return ServiceError(_("本月该场景已兑换 %(u)d 次,每月限 %(n)d 次") % {"u": used, "n": limit})


@transaction.atomic
def _redeem_orm(actor, *, merchant, scenario, key, token, code, resident, quantity) -> RedeemResult:
    merchant = Merchant.objects.unscoped(U).get(pk=merchant.pk)
    scenario = Scenario.objects.unscoped(U).get(pk=scenario.pk)
    existing = Transaction.objects.unscoped(U).filter(idempotency_key=key).first()
    if existing is not None:
        redemption = Redemption.objects.unscoped(U).filter(transaction=existing).first()
        _check_replay(redemption, merchant.pk, scenario.pk, quantity)
        return RedeemResult(redemption, True)
    if token:
        resident = _resident_from_token(token)
    elif code:
        resident = _resident_from_code(code)
    elif resident is not None:
        resident = Resident.objects.unscoped(U).get(pk=resident.pk)
    else:
        raise ServiceError(_("请扫描居民积分码或输入核销码"))
    today = timezone.localdate()
    _validate_redemption(actor, merchant, scenario, resident, today, by_id=not (token or code))
    account = resident_account(resident)
    month = month_of(today)
    if scenario.monthly_limit is not None:
        # The per-resident limit needs this resident's redemptions serialised: lock the account first.
        Account.objects.unscoped(U).select_for_update().filter(pk=account.pk).first()
        used = (
            Redemption.objects.unscoped(U)
            .filter(resident=resident, scenario=scenario, month=month, reversed=False)
            .aggregate(s=Sum("quantity"))["s"]
            or 0
        )
        if used + quantity > scenario.monthly_limit:
            raise _monthly_limit_error(used, scenario.monthly_limit)
    if scenario.stock is not None and (
        Scenario.objects.unscoped(U)
        .filter(pk=scenario.pk, stock__gte=quantity)
        .update(stock=F("stock") - quantity)
        != 1
    ):
        raise ServiceError(_("该兑换场景库存不足"))
    points = scenario.price * quantity
    legs = [Leg(account, -points), Leg(merchant_account(merchant), points)]
    tx, _replayed = ledger.post(
        key=key,
        kind=TxKind.REDEEM,
        legs=legs,
        area_path=resident.area_path,
        memo=_memo(scenario, merchant, quantity),
        actor=actor,
        extra={"scenario": scenario.pk, "merchant": merchant.pk},
        apply=False,
        checked=True,  # looked up above; a racing duplicate key surfaces in redeem() as IntegrityError
    )
    redemption = Redemption.objects.create(
        transaction=tx,
        resident=resident,
        scenario=scenario,
        merchant=merchant,
        quantity=quantity,
        points=points,
        month=month,
        area_path=resident.area_path,
        merchant_path=merchant.area_path,
    )
    audit.record(actor, "points.redeem", redemption, after=audit.snapshot(redemption))
    ledger.apply_balances(legs)  # last: the hot row is locked only from here to COMMIT
    return RedeemResult(redemption, False)


@dataclass(frozen=True)
class _RedeemRequest:
    """What a redemption request carries to the thread that serves its batch (posting.Batcher)."""

    actor: Any
    merchant_id: int
    scenario_id: int
    resident_id: int
    by_token: bool
    key: str
    quantity: int
    today: dt.date
    actor_id: int | None
    actor_label: str
    source: str
    request_id: str


def _redeem_pg(actor, *, merchant, scenario, key, token, resident, quantity) -> RedeemResult:
    """A redemption served with others that arrive together (posting.Batcher → _serve_redemptions)."""
    if token:
        resident_id = _resident_id_from_token(token)
    elif resident is not None:
        resident_id = resident.pk
    else:
        raise ServiceError(_("请扫描居民积分码或输入核销码"))
    who = audit.actor_fields(actor)
    ctx = context.current()
    request = _RedeemRequest(
        actor=actor,
        merchant_id=merchant.pk,
        scenario_id=scenario.pk,
        resident_id=resident_id,
        by_token=bool(token),
        key=key,
        quantity=quantity,
        today=timezone.localdate(),
        actor_id=who["actor"].pk if who["actor"] is not None else None,
        actor_label=who["actor_label"],
        source=ctx.source,
        request_id=ctx.request_id,
    )
    return _batcher.submit(request)


_REDEEM_READ = (
    "SELECT * FROM gridgov_points_redeem_context(%s::bigint[], %s::bigint[], %s::text[], %s::bigint[])"
)
_REDEEM_POST = "SELECT * FROM gridgov_points_redeem_batch(%s::jsonb)"


@dataclass
class _Prepared:
    request: _RedeemRequest
    merchant: SimpleNamespace
    scenario: SimpleNamespace
    resident: SimpleNamespace
    points: int
    month: dt.date


def _serve_redemptions(requests) -> list:
    """Serve a batch: one read, the shared validation per request, one posting call."""
    with connection.cursor() as cursor:
        cursor.execute(
            _REDEEM_READ,
            [
                [q.scenario_id for q in requests],
                [q.resident_id for q in requests],
                [q.key for q in requests],
                [q.merchant_id for q in requests],
            ],
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    results: list = [None] * len(requests)
    items: list[dict] = []
    prepared: list[tuple[int, _Prepared]] = []
    for i, q in enumerate(requests):
        try:
            outcome = _prepare_redemption(q, rows.get(i + 1))
        except (ServiceError, OutOfScope, Merchant.DoesNotExist, Resident.DoesNotExist) as exc:
            results[i] = exc
            continue
        if isinstance(outcome, RedeemResult):
            results[i] = outcome
            continue
        item, ready = outcome
        items.append(item)
        prepared.append((i, ready))
    if items:
        with connection.cursor() as cursor:
            cursor.execute(_REDEEM_POST, [json.dumps(items, ensure_ascii=False)])
            posted = sorted(cursor.fetchall())
        for (i, ready), row in zip(prepared, posted, strict=True):
            results[i] = _posted_result(ready, *row[1:])
    return results


@functools.lru_cache(maxsize=256)
def _json_list(text: str) -> tuple:
    return tuple(json.loads(text))


def _prepare_redemption(q: _RedeemRequest, row) -> RedeemResult | tuple[dict, _Prepared]:
    if row is None:
        raise Merchant.DoesNotExist("merchant or scenario not found")
    # Plain records, not model instances: what validation reads, at a fraction of the cost.
    m = SimpleNamespace(
        pk=row[0], name=row[1], kind=row[2], area_path=row[3], user_id=row[4], is_active=row[5]
    )
    s = SimpleNamespace(
        pk=row[7],
        name=row[8],
        price=row[9],
        monthly_limit=row[11],
        eligible_groups=_json_list(row[12]),
        merchant_kinds=_json_list(row[13]),
        area_path=row[14],
        is_active=row[15],
    )
    if row[25] is not None:  # the key is taken: a replay of this redemption, or a conflict
        taken = (
            SimpleNamespace(merchant_id=row[22], scenario_id=row[23], quantity=row[24])
            if row[21] is not None
            else None
        )
        _check_replay(taken, m.pk, s.pk, q.quantity)
        return RedeemResult(Redemption.objects.unscoped(U).get(pk=row[21]), True)
    if row[16] is None or (q.by_token and not row[26]):
        if q.by_token:
            raise ServiceError(_("居民积分码无效"))
        raise Resident.DoesNotExist("resident not found")
    r = SimpleNamespace(pk=row[16], name=row[17], area_path=row[18], birth_date=row[19], is_active=row[26])
    _validate_redemption(q.actor, m, s, r, q.today, by_id=not q.by_token)
    resident_account_id = row[20] or _account(OwnerKind.RESIDENT, r.pk, r.name, r.area_path).pk
    merchant_account_id = row[6] or merchant_account(m).pk  # type: ignore[arg-type]
    points = s.price * q.quantity
    month = month_of(q.today)
    digest = ledger.digest_of(
        TxKind.REDEEM,
        [(resident_account_id, -points), (merchant_account_id, points)],
        {"scenario": s.pk, "merchant": m.pk},
    )
    item = {
        "key": q.key,
        "hash": digest,
        "memo": _memo(s, m, q.quantity),
        "created_by": q.actor_id,
        "resident": r.pk,
        "resident_path": r.area_path,
        "resident_account": resident_account_id,
        "merchant": m.pk,
        "merchant_path": m.area_path,
        "merchant_account": merchant_account_id,
        "scenario": s.pk,
        "quantity": q.quantity,
        "points": points,
        "month": month.isoformat(),
        "monthly_limit": s.monthly_limit,
        "has_stock": row[10],
        "actor_label": q.actor_label,
        "source": q.source,
        "request_id": q.request_id,
        "object_type": ContentType.objects.get_for_model(Redemption).pk,
    }
    return item, _Prepared(q, m, s, r, points, month)


def _posted_result(ready: _Prepared, outcome, redemption_id, tx_id, created_at, detail):
    """What the posting call answered for one request, as the result or the exception it raises."""
    if outcome == "GP001":
        return ledger.InsufficientPoints(
            _("“%(a)s”积分不足(需要 %(n)d 分)")
            % {"a": ledger.mask_name(ready.resident.name), "n": ready.points}
        )
    if outcome == "GP002":
        return ServiceError(_("该兑换场景库存不足"))
    if outcome == "GP003":
        return _monthly_limit_error(int(detail or 0), int(ready.scenario.monthly_limit or 0))
    if outcome == "GP004":
        return ledger.IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))
    if outcome == "replay":  # the same key twice in one batch: the first one's redemption
        return RedeemResult(Redemption.objects.unscoped(U).get(pk=redemption_id), True)
    # The row as the database holds it, built the way a query builds it (positional: the fast path).
    return RedeemResult(
        Redemption.from_db(
            "default",
            _REDEMPTION_FIELDS,
            (
                redemption_id,
                tx_id,
                ready.resident.pk,
                ready.scenario.pk,
                ready.merchant.pk,
                ready.request.quantity,
                ready.points,
                ready.month,
                ready.resident.area_path,
                ready.merchant.area_path,
                False,
                created_at,
            ),
        ),
        False,
    )


_REDEMPTION_FIELDS = [f.attname for f in Redemption._meta.concrete_fields]
assert _REDEMPTION_FIELDS == [
    "id",
    "transaction_id",
    "resident_id",
    "scenario_id",
    "merchant_id",
    "quantity",
    "points",
    "month",
    "area_path",
    "merchant_path",
    "reversed",
    "created_at",
], "keep _posted_result in step with Redemption's fields"
_batcher = posting.Batcher(_serve_redemptions)


def settlement_rows(merchant: Merchant, month: dt.date) -> list[dict]:
    month = month_of(month)
    rows = []
    for r in (
        Redemption.objects.unscoped("merchant settlement")
        .filter(merchant=merchant, month=month)
        .select_related("scenario", "resident", "transaction")
        .order_by("created_at", "id")
    ):
        rows.append(
            {
                "time": timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                "tx": r.transaction_id,
                "scenario": r.scenario.name,
                "resident": ledger.mask_name(r.resident.name),
                "quantity": r.quantity,
                "points": -r.points if r.reversed else r.points,
                "status": _("已冲正") if r.reversed else _("有效"),
            }
        )
    return rows


@transaction.atomic
def settlement_statement(actor, merchant: Merchant, month: dt.date) -> bytes:
    """The merchant's monthly statement as xlsx (one line per redemption, reversals netted)."""
    from gridgov.core.xlsx import Column, write_sheet

    merchant = Merchant.objects.unscoped(U).get(pk=merchant.pk)
    if merchant.user_id != getattr(actor, "pk", None):
        _check(actor, merchant.area_path)
    rows = settlement_rows(merchant, month)
    net = sum(r["points"] if r["status"] == _("有效") else 0 for r in rows)
    rows.append({"time": _("合计"), "points": net})
    columns = [
        Column("time", _("时间")),
        Column("tx", _("交易号")),
        Column("scenario", _("兑换场景")),
        Column("resident", _("居民")),
        Column("quantity", _("数量")),
        Column("points", _("积分")),
        Column("status", _("状态")),
    ]
    audit.record(
        actor, "points.settlement", merchant, after={"month": month_of(month).isoformat(), "points": net}
    )
    return write_sheet(f"{merchant.name} {month:%Y-%m}", columns, rows)


# --- earning -----------------------------------------------------------------------------------------
@transaction.atomic
def create_activity(
    actor, *, title: str, kind: str, area: Area, starts_at: dt.datetime, ends_at: dt.datetime, capacity: int
) -> Activity:
    area = Area.objects.unscoped(U).get(pk=area.pk)
    _check(actor, area.path)
    if kind not in ActivityKind.values:
        raise ServiceError(_("未知活动类型"))
    if not (title or "").strip():
        raise ServiceError(_("请填写活动名称"))
    if ends_at <= starts_at:
        raise ServiceError(_("结束时间应晚于开始时间"))
    if not isinstance(capacity, int) or capacity < 1:
        raise ServiceError(_("名额必须大于零"))
    activity = Activity.objects.create(
        title=title.strip(),
        kind=kind,
        organiser=_user(actor),
        area=area,
        area_path=area.path,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    audit.record(actor, "points.create_activity", activity, after=audit.snapshot(activity))
    return activity


def _minutes(activity: Activity) -> int:
    return int((activity.ends_at - activity.starts_at).total_seconds() // 60)


@transaction.atomic
def sign_up(actor, activity: Activity, resident: Resident) -> Participation:
    resident = Resident.objects.unscoped(U).get(pk=resident.pk)
    _check(actor, resident.area_path)
    activity = Activity.objects.unscoped(U).get(pk=activity.pk)
    if not resident.area_path.startswith(activity.area_path[:12]):
        raise ServiceError(_("只能报名本社区的活动"))
    if Participation.objects.unscoped(U).filter(activity=activity, resident=resident).exists():
        raise ServiceError(_("已报名该活动"))
    if (
        Activity.objects.unscoped(U)
        .filter(pk=activity.pk, signed_up__lt=F("capacity"))
        .update(signed_up=F("signed_up") + 1)
        != 1
    ):
        raise ServiceError(_("活动名额已满"))
    part = Participation.objects.create(
        activity=activity,
        resident=resident,
        area_path=activity.area_path,
        resident_path=resident.area_path,
        service_date=timezone.localtime(activity.starts_at).date(),
        minutes=_minutes(activity),
    )
    audit.record(actor, "points.sign_up", part, after=audit.snapshot(part))
    return part


def _lock_part(actor, part: Participation) -> Participation:
    part = Participation.objects.unscoped(U).select_for_update().select_related("activity").get(pk=part.pk)
    _check(actor, part.area_path)
    return part


@transaction.atomic
def check_in(actor, part: Participation) -> Participation:
    part = _lock_part(actor, part)
    if part.status != PartStatus.SIGNED_UP:
        raise ServiceError(_("当前状态不能签到:%(s)s") % {"s": part.get_status_display()})
    part.status = PartStatus.CHECKED_IN
    part.save(update_fields=["status"])
    audit.record(actor, "points.check_in", part, after={"status": part.status})
    return part


@transaction.atomic
def report_participation(
    actor, activity: Activity, resident: Resident, *, minutes: int, note: str = ""
) -> Participation:
    """Self-reported participation (no sign-up): waits for the organiser's approval."""
    resident = Resident.objects.unscoped(U).get(pk=resident.pk)
    _check(actor, resident.area_path)
    activity = Activity.objects.unscoped(U).get(pk=activity.pk)
    if not isinstance(minutes, int) or minutes <= 0 or minutes > _minutes(activity):
        raise ServiceError(_("服务时长无效(不能超过活动时长)"))
    if not resident.area_path.startswith(activity.area_path[:12]):
        raise ServiceError(_("只能申报本社区的活动"))
    part = (
        Participation.objects.unscoped(U)
        .select_for_update()
        .filter(activity=activity, resident=resident)
        .first()
    )
    if part is None:
        part = Participation.objects.create(
            activity=activity,
            resident=resident,
            area_path=activity.area_path,
            resident_path=resident.area_path,
            service_date=timezone.localtime(activity.starts_at).date(),
            self_reported=True,
            status=PartStatus.REPORTED,
            minutes=minutes,
            note=note[:200],
        )
    elif part.status in (PartStatus.SIGNED_UP, PartStatus.CHECKED_IN):
        part.status, part.minutes, part.self_reported, part.note = (
            PartStatus.REPORTED,
            minutes,
            True,
            note[:200],
        )
        part.save(update_fields=["status", "minutes", "self_reported", "note"])
    else:
        raise ServiceError(_("该活动已申报或已审核"))
    audit.record(actor, "points.report", part, after=audit.snapshot(part))
    return part


def earn_role(resident: Resident, kind: str) -> str:
    from gridgov.party.models import BuildingLeader, PartyMember

    if kind in (ActivityKind.LEADER_DUTY, ActivityKind.VOLUNTEER, ActivityKind.ACTIVITY):
        kinds = set(
            BuildingLeader.objects.unscoped(U)
            .filter(resident=resident, is_active=True)
            .values_list("kind", flat=True)
        )
        if "building" in kinds:
            return EarnRole.BUILDING_LEADER
        if "unit" in kinds:
            return EarnRole.UNIT_LEADER
    if PartyMember.objects.unscoped(U).filter(resident=resident, is_active=True).exists():
        return EarnRole.PARTY_MEMBER
    return EarnRole.RESIDENT


def rule_for(path: str, role: str, kind: str) -> EarningRule | None:
    """The rule of the nearest area up the tree (a district's own rule beats the city's)."""
    prefixes = [path[:n] for n in (4, 6, 9, 12, 15) if len(path) >= n]
    candidates = list(
        EarningRule.objects.unscoped(U).filter(
            area_path__in=prefixes, activity_kind=kind, role__in=[role, EarnRole.RESIDENT]
        )
    )
    candidates.sort(key=lambda r: (r.role == role, len(r.area_path)), reverse=True)
    return candidates[0] if candidates else None


def points_for(part: Participation, rule: EarningRule | None) -> int:
    if rule is None:
        return 0
    raw = rule.points_per_event + rule.points_per_hour * part.minutes // 60
    earned = Participation.objects.unscoped(U).filter(resident=part.resident_id, status=PartStatus.APPROVED)
    if rule.daily_cap is not None:
        today = earned.filter(service_date=part.service_date).aggregate(s=Sum("points"))["s"] or 0
        raw = min(raw, max(0, rule.daily_cap - today))
    if rule.monthly_cap is not None:
        month = month_of(part.service_date)
        this_month = (
            earned.filter(service_date__gte=month, service_date__lt=next_month(month)).aggregate(
                s=Sum("points")
            )["s"]
            or 0
        )
        raw = min(raw, max(0, rule.monthly_cap - this_month))
    return raw


@transaction.atomic
def approve(actor, part: Participation, *, minutes: int | None = None) -> Participation:
    part = _lock_part(actor, part)
    if part.status == PartStatus.REJECTED:
        raise ServiceError(_("该记录已被驳回,不能再通过"))
    if part.status == PartStatus.APPROVED:
        raise ServiceError(_("该记录已通过,不能重复审核"))
    if part.status == PartStatus.SIGNED_UP:
        raise ServiceError(_("尚未签到或申报,不能审核"))
    if minutes is not None:
        if not isinstance(minutes, int) or minutes <= 0:
            raise ServiceError(_("服务时长无效"))
        part.minutes = minutes
    resident = Resident.objects.unscoped(U).get(pk=part.resident_id)
    # Caps count this resident's approved points: serialise their approvals on the account row.
    account = Account.objects.unscoped(U).select_for_update().get(pk=resident_account(resident).pk)
    part.role = earn_role(resident, part.activity.kind)
    part.points = points_for(part, rule_for(resident.area_path, part.role, part.activity.kind))
    if part.points:
        tx, _r = ledger.post(
            key=f"earn:{part.pk}",
            kind=TxKind.EARN,
            legs=[
                Leg(earning_pool(part.area_path), -part.points),
                Leg(account, part.points, ledger.expiry_for(part.service_date)),
            ],
            area_path=resident.area_path,
            memo=part.activity.title[:200],
            actor=actor,
        )
        part.transaction = tx
    part.status, part.decided_by, part.decided_at = PartStatus.APPROVED, _user(actor), timezone.now()
    part.save()
    audit.record(actor, "points.approve", part, after=audit.snapshot(part))
    return part


@transaction.atomic
def reject(actor, part: Participation, *, reason: str) -> Participation:
    part = _lock_part(actor, part)
    if part.status in (PartStatus.APPROVED, PartStatus.REJECTED):
        raise ServiceError(_("该记录已审核,不能再驳回"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写驳回原因"))
    part.status, part.note = PartStatus.REJECTED, reason.strip()[:200]
    part.decided_by, part.decided_at = _user(actor), timezone.now()
    part.save()
    audit.record(actor, "points.reject", part, after={"status": part.status, "reason": part.note})
    return part


@transaction.atomic
def save_rule(
    actor,
    *,
    area: Area,
    role: str,
    activity_kind: str,
    points_per_hour: int = 0,
    points_per_event: int = 0,
    daily_cap: int | None = None,
    monthly_cap: int | None = None,
    rule: EarningRule | None = None,
) -> EarningRule:
    """Create or change the rule of (area, role, activity kind). Without `rule` an existing rule of that
    triple is updated (upsert); with `rule` (edit pages, API update) that rule is changed, and moving it
    onto the triple of another rule is refused."""
    area = Area.objects.unscoped(U).get(pk=area.pk)
    _check(actor, area.path)
    if area.level > Level.DISTRICT:
        raise ServiceError(_("积分规则按市或区县配置"))
    if role not in EarnRole.values or activity_kind not in ActivityKind.values:
        raise ServiceError(_("积分身份或活动类型无效"))
    for value in (points_per_hour, points_per_event, daily_cap or 0, monthly_cap or 0):
        if not isinstance(value, int) or value < 0:
            raise ServiceError(_("积分和上限必须是非负整数"))
    if daily_cap is not None and monthly_cap is not None and daily_cap > monthly_cap:
        raise ServiceError(_("每日上限不能大于每月上限"))
    same = (
        EarningRule.objects.unscoped(U)
        .select_for_update()
        .filter(area=area, role=role, activity_kind=activity_kind)
        .first()
    )
    if rule is not None:
        rule = EarningRule.objects.unscoped(U).select_for_update().get(pk=rule.pk)
        _check(actor, rule.area_path)
        if same is not None and same.pk != rule.pk:
            raise ServiceError(_("该区域已有相同积分身份和活动类型的规则"))
    else:
        rule = same
    before = audit.snapshot(rule) if rule else None
    if rule is None:
        rule = EarningRule(area=area, area_path=area.path, role=role, activity_kind=activity_kind)
    rule.area, rule.area_path, rule.role, rule.activity_kind = area, area.path, role, activity_kind
    rule.points_per_hour, rule.points_per_event = points_per_hour, points_per_event
    rule.daily_cap, rule.monthly_cap = daily_cap, monthly_cap
    rule.save()
    audit.record(actor, "points.save_rule", rule, before=before, after=audit.snapshot(rule))
    return rule


# --- staff points (积分联奖惩) and performance pay ----------------------------------------------------
def current_grid(staff) -> Area | None:
    from gridgov.workforce.models import GridAssignment

    assignment = (
        GridAssignment.objects.unscoped(U)
        .filter(staff=staff, ended_on__isnull=True)
        .select_related("grid")
        .first()
    )
    return assignment.grid if assignment else None


@transaction.atomic
def award_staff_points(
    actor,
    staff,
    *,
    points: int,
    category: str,
    reason: str,
    source: str,
    grid: Area | None = None,
    on: dt.date | None = None,
) -> StaffAward:
    """The one entry point for staff points: work results, tasks, emergency handling (events post here).

    `source` is the caller's idempotency key (e.g. "events.case:123:closed"); posting it again returns
    the award already made. Positive points move from the community's pool to the staff member's
    account and, as the grid's score, to the grid's account; a penalty (negative) is recorded in the
    score and takes back from the staff account at most its balance. The month's award points feed
    the monthly score (`staff_score`) and so the performance pay.
    """
    from gridgov.workforce.models import Staff

    staff = Staff.objects.unscoped(U).select_related("resident").get(pk=staff.pk)
    _check(actor, staff.area_path)
    if category not in AwardCategory.values:
        raise ServiceError(_("未知积分类别"))
    if not isinstance(points, int) or points == 0 or abs(points) > 10_000:
        raise ServiceError(_("积分必须是非零整数"))
    if not (source or "").strip() or not (reason or "").strip():
        raise ServiceError(_("请填写事由和来源"))
    existing = StaffAward.objects.unscoped(U).filter(source=source).first()
    if existing is not None:
        if (existing.staff_id, existing.points, existing.category) != (staff.pk, points, category):
            raise ledger.IdempotencyConflict(_("该来源已记过不同的积分,未做任何改动"))
        return existing
    grid = grid or current_grid(staff)
    if grid is not None and not grid.path.startswith(staff.area_path):
        raise ServiceError(_("网格不在该人员所在社区内"))
    on = on or timezone.localdate()
    account = Account.objects.unscoped(U).select_for_update().get(pk=staff_account(staff).pk)
    pool = earning_pool(staff.area_path)
    if points > 0:
        legs = [Leg(pool, -points * (2 if grid else 1)), Leg(account, points, ledger.expiry_for(on))]
        if grid is not None:
            legs.append(Leg(grid_account(grid), points))
        ledger_points = points
    else:
        ledger_points = -min(-points, account.balance)
        legs = [Leg(account, ledger_points), Leg(pool, -ledger_points)]
    tx = None
    if ledger_points:
        tx, _r = ledger.post(
            key=f"staff:{hashlib.sha256(source.encode()).hexdigest()[:40]}",
            kind=TxKind.STAFF,
            legs=legs,
            area_path=staff.area_path,
            memo=reason[:200],
            actor=actor,
        )
    award = StaffAward.objects.create(
        staff=staff,
        grid=grid,
        category=category,
        points=points,
        ledger_points=ledger_points,
        reason=reason.strip()[:200],
        source=source.strip(),
        month=month_of(on),
        transaction=tx,
        area_path=grid.path if grid else staff.area_path,
    )
    audit.record(actor, "points.award_staff", award, after=audit.snapshot(award))
    return award


def formula_for(month: dt.date) -> PerformanceFormula:
    formula = PerformanceFormula.objects.filter(effective_from__lte=month).order_by("-effective_from").first()
    return formula or PerformanceFormula(effective_from=month)


def staff_score(staff, month: dt.date) -> int:
    """base score + the month's award points (penalties included)."""
    month = month_of(month)
    total = (
        StaffAward.objects.unscoped(U).filter(staff=staff, month=month).aggregate(s=Sum("points"))["s"] or 0
    )
    return formula_for(month).base_score + int(total)


def performance_factor(score: int, formula: PerformanceFormula) -> Decimal:
    factor = Decimal(score) / Decimal(formula.target_score or 1)
    return max(Decimal(formula.min_factor), min(Decimal(formula.max_factor), factor)).quantize(
        Decimal("0.001")
    )


@transaction.atomic
def apply_performance_pay(actor, payroll) -> list[PerformancePay]:
    """Turn each staff member's monthly score into the performance-pay item of a computed payroll.

    For every line: amount = the scale's standard performance pay × clamp(score / target, min, max),
    to the fen; the line's total and the payroll's total and city/district split are recomputed
    (workforce.services.split). Applied once per line (PerformancePay.line is unique).
    """
    from gridgov.workforce.models import Payroll, PayrollLine
    from gridgov.workforce.services import split

    payroll = Payroll.objects.unscoped(U).select_for_update().select_related("scale").get(pk=payroll.pk)
    _check(actor, payroll.area_path)
    if PerformancePay.objects.unscoped(U).filter(line__payroll=payroll).exists():
        raise ServiceError(_("该工资表的积分绩效已核定,不能重复核定"))
    formula = formula_for(payroll.month)
    awards = dict(
        StaffAward.objects.unscoped(U)
        .filter(month=payroll.month, staff__community_id=payroll.community_id)
        .values("staff")
        .annotate(s=Sum("points"))
        .values_list("staff", "s")
    )
    made = []
    lines = list(PayrollLine.objects.unscoped(U).filter(payroll=payroll).order_by("id"))
    for line in lines:
        score = formula.base_score + int(awards.get(line.staff_id, 0))
        factor = performance_factor(score, formula)
        amount = (line.performance_pay * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        made.append(
            PerformancePay(
                line=line,
                staff_id=line.staff_id,
                month=payroll.month,
                score=score,
                factor=factor,
                standard_amount=line.performance_pay,
                amount=amount,
                area_path=line.area_path,
            )
        )
        line.total = line.total - line.performance_pay + amount
        line.performance_pay = amount
    PayrollLine.objects.unscoped(U).bulk_update(lines, ["performance_pay", "total"])
    PerformancePay.objects.bulk_create(made)
    before = audit.snapshot(payroll)
    payroll.total = sum((line.total for line in lines), Decimal("0.00"))
    payroll.city_amount, payroll.district_amount = split(payroll.total, payroll.scale.city_share)
    payroll.save(update_fields=["total", "city_amount", "district_amount"])
    audit.record(actor, "points.apply_performance", payroll, before=before, after=audit.snapshot(payroll))
    return made


__all__ = ["OutOfScope", "Q", "award_staff_points", "redeem"]


# --- hot accounts ----------------------------------------------------------------------------------------
@transaction.atomic
def split_account(actor, account: Account, slots: int) -> Account:
    """Split a hot account into `slots` slots (热点账户拆分), or join it back with slots=1.

    The points stay where they are (no entries are written); only how the cached balance is stored
    changes, so concurrent postings to the account stop queueing on one row.
    """
    account = Account.objects.unscoped(U).get(pk=account.pk)
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


# --- exports ---------------------------------------------------------------------------------------
@transaction.atomic
def export_sheet(actor, what: str, title: str, columns: list, rows: list[dict]) -> bytes:
    """An xlsx of a points list or figures page, as the user sees it (rows already scoped by the caller);
    each export is audited with the number of rows."""
    from gridgov.core.xlsx import Column, write_sheet

    audit.record(actor, f"points.export_{what}", None, object_repr=title, after={"rows": len(rows)})
    return write_sheet(title, [Column(c.key, str(c.header)) for c in columns], rows)


@transaction.atomic
def export_book(actor, what: str, title: str, sheets: list[tuple[str, list, list[dict]]]) -> bytes:
    """Several sheets in one workbook (a figures page with several breakdowns), audited like export_sheet."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    audit.record(
        actor,
        f"points.export_{what}",
        None,
        object_repr=title,
        after={"rows": {name: len(rows) for name, _c, rows in sheets}},
    )
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, columns, rows in sheets:
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append([str(column.header) for column in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(column.key, "") for column in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
