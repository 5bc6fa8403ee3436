"""Redemptions (ORM path, and batched PL/pgSQL posting on PostgreSQL) and merchant settlement."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import audit, context
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident, ResidentTag

from .. import ledger, posting
from ..ledger import Leg
from ..models import Account, Merchant, OwnerKind, Redemption, Scenario, Transaction, TxKind
from ._common import _check, month_of
from .accounts import _account, merchant_account, resident_account
from .codes import _resident_from_code, _resident_from_token, _resident_id_from_token


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
        tx = (
            Transaction.objects.unscoped(
                "the redemption of a key a concurrent request committed first (a replay)"
            )
            .filter(idempotency_key=key)
            .first()
        )
        if tx is None:
            raise
        return RedeemResult(
            Redemption.objects.unscoped(
                "the redemption of a key a concurrent request committed first (a replay)"
            ).get(transaction=tx),
            True,
        )


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
    merchant = Merchant.objects.unscoped(
        "re-read the merchant; _validate_redemption checks it against the actor"
    ).get(pk=merchant.pk)
    scenario = Scenario.objects.unscoped(
        "re-read the scenario; _validate_redemption checks it against the merchant"
    ).get(pk=scenario.pk)
    existing = (
        Transaction.objects.unscoped("is the idempotency key taken (keys are global)")
        .filter(idempotency_key=key)
        .first()
    )
    if existing is not None:
        redemption = (
            Redemption.objects.unscoped("the redemption posted under a taken key, compared by _check_replay")
            .filter(transaction=existing)
            .first()
        )
        _check_replay(redemption, merchant.pk, scenario.pk, quantity)
        return RedeemResult(redemption, True)
    if token:
        resident = _resident_from_token(token)
    elif code:
        resident = _resident_from_code(code)
    elif resident is not None:
        resident = Resident.objects.unscoped(
            "re-read the resident; _validate_redemption checks the path"
        ).get(pk=resident.pk)
    else:
        raise ServiceError(_("请扫描居民积分码或输入核销码"))
    today = timezone.localdate()
    _validate_redemption(actor, merchant, scenario, resident, today, by_id=not (token or code))
    account = resident_account(resident)
    month = month_of(today)
    if scenario.monthly_limit is not None:
        # The per-resident limit needs this resident's redemptions serialised: lock the account first.
        Account.objects.unscoped(
            "lock the resident's account: the monthly limit needs redemptions serialised"
        ).select_for_update().filter(pk=account.pk).first()
        used = (
            Redemption.objects.unscoped(
                "the resident's redemptions of this scenario this month, for the limit"
            )
            .filter(resident=resident, scenario=scenario, month=month, reversed=False)
            .aggregate(s=Sum("quantity"))["s"]
            or 0
        )
        if used + quantity > scenario.monthly_limit:
            raise _monthly_limit_error(used, scenario.monthly_limit)
    if scenario.stock is not None and (
        Scenario.objects.unscoped("take stock: conditional update of the validated scenario")
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
        return RedeemResult(
            Redemption.objects.unscoped(
                "the redemption posted under a taken key, compared by _check_replay"
            ).get(pk=row[21]),
            True,
        )
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
        return RedeemResult(
            Redemption.objects.unscoped("the redemption posted under the same key earlier in this batch").get(
                pk=redemption_id
            ),
            True,
        )
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


# --- merchant settlement ---------------------------------------------------------------------------
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

    merchant = Merchant.objects.unscoped(
        "re-read the merchant; its own user may download, anyone else is re-checked by _check"
    ).get(pk=merchant.pk)
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
