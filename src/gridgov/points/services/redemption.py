"""Redemptions (ORM path; batched on PostgreSQL, every rule decided in Python) and merchant settlement."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import audit, context
from gridgov.core.actors import require_actor
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident, ResidentTag

from .. import ledger, posting
from ..ledger import Leg
from ..models import Merchant, OwnerKind, Redemption, Scenario, Transaction, TxKind
from ._common import _check, month_of
from .accounts import _account, merchant_account, resident_account
from .codes import _code_names, _resident_from_code, _resident_from_token, _resident_id_from_token
from .payees import check_payee

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


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
    actor: User | SystemActor,
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

    On PostgreSQL a redemption by signed code or id is served in a batch with the requests that arrive
    with it (`_redeem_pg`); a one-time code (consumed in the same transaction) and SQLite take the ORM
    path. Both check the same rules (`_validate_redemption`), write the same rows and lock in the
    ledger's order (one-time code → key → stocked scenario → account rows → slots).
    """
    require_actor(actor)
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
    except _KeyTaken as taken:
        # A concurrent request with the same key committed first (this one rolled back, its one-time code
        # unused): a replay when it asked for the same redemption, else a conflict.
        redemption = _redemption_of_key(key)
        _check_replay(redemption, merchant.pk, scenario.pk, quantity, taken.resident_id)
        return RedeemResult(redemption, True)  # type: ignore[arg-type]


class _KeyTaken(Exception):
    """The key's transaction row was committed by a concurrent request while this one waited for it."""

    def __init__(self, resident_id: int) -> None:
        super().__init__(resident_id)
        self.resident_id = resident_id


def _operates(actor: User | SystemActor, merchant) -> bool:
    """Is the actor the merchant's own login (which may redeem and settle without reaching its area)?"""
    return merchant.user_id is not None and merchant.user_id == getattr(actor, "pk", None)


def _validate_redemption(actor, merchant, scenario, resident, today: dt.date, *, by_id: bool) -> None:
    """Every rule of a redemption that only reads; the posting paths add stock, limit and balance."""
    if not _operates(actor, merchant):
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
    # A kind that settles with the resident's own payee (a property company: its estate's) checks that
    # instead of the area (points/payees.py); otherwise the merchant must serve the resident's area.
    if not check_payee(merchant, resident) and not resident.area_path.startswith(merchant.area_path):
        raise ServiceError(_("商户不在该居民所在区域,不能核销"))
    if scenario.eligible_groups and not set(scenario.eligible_groups) & resident_groups(resident, today):
        raise ServiceError(_("该居民不在此兑换场景的适用人群内"))


def _same_request(redemption, resident_id, merchant_id: int, scenario_id: int, quantity: int) -> bool:
    """Does a redemption already posted under a key answer this request (a replay)? Same resident,
    merchant, scenario and quantity; anything else under the same key is another request."""
    return (
        redemption is not None
        and resident_id is not None
        and redemption.resident_id == resident_id
        and redemption.merchant_id == merchant_id
        and redemption.scenario_id == scenario_id
        and redemption.quantity == quantity
    )


def _check_replay(redemption, merchant_id: int, scenario_id: int, quantity: int, resident_id) -> None:
    if not _same_request(redemption, resident_id, merchant_id, scenario_id, quantity):
        raise ledger.IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))


def _redemption_of_key(key: str) -> Redemption | None:
    return (
        Redemption.objects.unscoped(
            "the redemption posted under a taken idempotency key (keys are global), compared by _check_replay"
        )
        .filter(transaction__idempotency_key=key)
        .first()
    )


def _memo(scenario, merchant, quantity: int) -> str:
    return _("%(s)s × %(q)d @ %(m)s") % {"s": scenario.name, "q": quantity, "m": merchant.name}


def _monthly_limit_error(used: int, limit: int) -> ServiceError:
    return ServiceError(_("本月该场景已兑换 %(u)d 次,每月限 %(n)d 次") % {"u": used, "n": limit})


def _stock_error() -> ServiceError:
    return ServiceError(_("该兑换场景库存不足"))


@transaction.atomic
def _redeem_orm(actor, *, merchant, scenario, key, token, code, resident, quantity) -> RedeemResult:
    merchant = Merchant.objects.unscoped(
        "re-read the merchant; _validate_redemption checks it against the actor"
    ).get(pk=merchant.pk)
    scenario = Scenario.objects.unscoped(
        "re-read the scenario; _validate_redemption checks it against the merchant"
    ).get(pk=scenario.pk)
    token_resident = _resident_id_from_token(token) if token else None  # signature and age, always
    taken = (
        Transaction.objects.unscoped("is the idempotency key taken (keys are global)")
        .filter(idempotency_key=key)
        .first()
    )
    if taken is not None:
        redemption = _redemption_of_key(key)
        if token:
            asked = token_resident
        elif code:  # the code was used by that redemption (or is still live) only if it names its resident
            asked = (
                redemption.resident_id if redemption and _code_names(code, redemption.resident_id) else None
            )
        elif resident is not None:
            asked = resident.pk
        else:
            raise ServiceError(_("请扫描居民积分码或输入核销码"))
        _check_replay(redemption, merchant.pk, scenario.pk, quantity, asked)
        return RedeemResult(redemption, True)  # type: ignore[arg-type]
    # Lock order 1: the one-time code (locked and consumed).
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
    account = resident_account(resident)  # accounts are created on first use, before any lock below
    shop = merchant_account(merchant)
    month = month_of(today)
    points = scenario.price * quantity
    legs = [Leg(account, -points), Leg(shop, points)]
    # Lock order 2: the idempotency key (the transaction row) and the entry rows (which lock nothing a
    # posting locks). A concurrent request holding the same key makes this insert wait for it.
    try:
        tx, _replayed = ledger.post(
            key=key,
            kind=TxKind.REDEEM,
            legs=legs,
            area_path=resident.area_path,
            memo=_memo(scenario, merchant, quantity),
            actor=actor,
            extra={"scenario": scenario.pk, "merchant": merchant.pk},
            apply=False,
            checked=True,  # looked up above; a key committed meanwhile surfaces as IntegrityError
        )
    except IntegrityError as exc:
        raise _KeyTaken(resident.pk) from exc
    # 3: the stocked scenario.
    stock = None
    if scenario.stock is not None:
        stock = (
            Scenario.objects.unscoped("lock the validated scenario's stock (ledger lock order)")
            .select_for_update(no_key=True)
            .values_list("stock", flat=True)
            .get(pk=scenario.pk)
        )
    # 4: the account rows, ascending; the resident's also when a monthly limit needs their redemptions
    # serialised (even if split).
    ledger.lock_accounts([account, shop], also=[account] if scenario.monthly_limit is not None else [])
    if scenario.monthly_limit is not None:
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
    if stock is not None:
        if stock < quantity:
            raise _stock_error()
        Scenario.objects.unscoped("take stock from the locked scenario").filter(pk=scenario.pk).update(
            stock=F("stock") - quantity
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
    ledger.apply_balances(legs)  # 5: slots, last (the rows are held already): locked only up to COMMIT
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
    return _batcher.submit(
        _request(
            actor,
            merchant=merchant,
            scenario=scenario,
            key=key,
            token=token,
            resident=resident,
            quantity=quantity,
        )
    )


def _request(actor, *, merchant, scenario, key, token, resident, quantity) -> _RedeemRequest:
    """What a batch needs of one request; the signed code's signature and age are checked here."""
    if token:
        resident_id = _resident_id_from_token(token)
    elif resident is not None:
        resident_id = resident.pk
    else:
        raise ServiceError(_("请扫描居民积分码或输入核销码"))
    who = audit.actor_fields(actor)
    ctx = context.current()
    return _RedeemRequest(
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


_REDEEM_READ = (
    "SELECT * FROM gridgov_points_redeem_context(%s::bigint[], %s::bigint[], %s::text[], %s::bigint[])"
)


@dataclass
class _Prepared:
    """A validated request of a batch, with everything its rows need."""

    request: _RedeemRequest
    merchant: SimpleNamespace
    scenario: SimpleNamespace
    resident: SimpleNamespace
    resident_account: int
    merchant_account: int
    has_stock: bool
    points: int
    month: dt.date
    digest: str
    memo: str

    @property
    def key(self) -> str:
        return self.request.key

    def same_request(self, other: _Prepared) -> bool:
        return (self.resident.pk, self.merchant.pk, self.scenario.pk, self.request.quantity) == (
            other.resident.pk,
            other.merchant.pk,
            other.scenario.pk,
            other.request.quantity,
        )


def _serve_redemptions(requests) -> list:
    """Serve a batch: one read, the shared validation per request, then one transaction (_post_batch)."""
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
    prepared: list[tuple[int, _Prepared]] = []
    for i, q in enumerate(requests):
        try:
            outcome = _prepare_redemption(q, rows.get(i + 1))
        except (ServiceError, OutOfScope, Merchant.DoesNotExist, Resident.DoesNotExist) as exc:
            results[i] = exc
            continue
        if isinstance(outcome, RedeemResult):
            results[i] = outcome
        else:
            prepared.append((i, outcome))
    if prepared:
        with transaction.atomic():
            posted = _post_batch([p for _i, p in prepared])
        for (i, _p), result in zip(prepared, posted, strict=True):
            results[i] = result
    return results


@functools.lru_cache(maxsize=256)
def _json_list(text: str) -> tuple:
    return tuple(json.loads(text))


def _prepare_redemption(q: _RedeemRequest, row) -> RedeemResult | _Prepared:
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
            SimpleNamespace(resident_id=row[27], merchant_id=row[22], scenario_id=row[23], quantity=row[24])
            if row[21] is not None
            else None
        )
        _check_replay(taken, m.pk, s.pk, q.quantity, q.resident_id)
        return RedeemResult(
            Redemption.objects.unscoped(
                "the redemption posted under a taken idempotency key, compared by _check_replay"
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
    return _Prepared(
        request=q,
        merchant=m,
        scenario=s,
        resident=r,
        resident_account=resident_account_id,
        merchant_account=merchant_account_id,
        has_stock=row[10],
        points=points,
        month=month_of(q.today),
        digest=ledger.digest_of(
            TxKind.REDEEM,
            [(resident_account_id, -points), (merchant_account_id, points)],
            {"scenario": s.pk, "merchant": m.pk},
        ),
        memo=_memo(s, m, q.quantity)[:200],
    )


# --- the batch's transaction: Python decides, SQL only stores ---------------------------------------------
# Lock order 2–4 in one round trip (the statements run in this order): the keys (transaction rows, keys
# ascending), the stocked scenarios and the account rows (ascending, FOR NO KEY UPDATE), then what the
# monthly limits have used and an id for each redemption (so its audit row can be written with it).
_CLAIM_KEYS = """
INSERT INTO points_transaction (idempotency_key, payload_hash, kind, memo, area_path, created_at,
                                created_by_id, reverses_id)
SELECT x.key, x.hash, 'redeem', x.memo, x.path, %s, x.created_by, NULL
  FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[]) WITH ORDINALITY
       AS x(key, hash, memo, path, created_by, o)
 ORDER BY x.o
    ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, idempotency_key;
"""
_LOCK_SCENARIOS = (
    "SELECT id, stock FROM points_scenario WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE;"
)
_LOCK_ACCOUNTS = (
    "SELECT id FROM points_account WHERE id = ANY(%s::bigint[]) AND (slots <= 1 OR id = ANY(%s::bigint[])) "
    "ORDER BY id FOR NO KEY UPDATE;"
)
_USED = """
SELECT resident_id, scenario_id, month, sum(quantity) FROM points_redemption
 WHERE (resident_id, scenario_id, month) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::date[]))
   AND NOT reversed
 GROUP BY 1, 2, 3;
"""
_REDEMPTION_IDS = (
    "SELECT nextval(pg_get_serial_sequence('points_redemption', 'id')) FROM generate_series(1, %s);"
)
# The keys taken by requests committed between the batch's read and its claim (rare: the read answers
# most replays before the transaction starts).
_TAKEN = """
SELECT t.idempotency_key, rd.id, rd.resident_id, rd.merchant_id, rd.scenario_id, rd.quantity
  FROM points_transaction t LEFT JOIN points_redemption rd ON rd.transaction_id = t.id
 WHERE t.idempotency_key = ANY(%s::text[]);
"""
# Lock order 5 (slow pass only): every slot of the batch's split accounts, accounts and slots in order.
_LOCK_SLOTS = """
SELECT account_id, balance FROM points_accountslot WHERE account_id = ANY(%s::bigint[])
 ORDER BY account_id, number FOR NO KEY UPDATE;
"""
_BALANCES = "SELECT id, balance FROM points_account WHERE id = ANY(%s::bigint[]);"
_DROP_UNUSED = "DELETE FROM points_transaction WHERE id = ANY(%s::bigint[]);"
_REASSIGN = """
UPDATE points_transaction t SET payload_hash = u.hash, memo = u.memo, area_path = u.path,
       created_by_id = u.created_by
  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[])
       AS u(id, hash, memo, path, created_by)
 WHERE t.id = u.id;
"""
_TAKE_STOCK = """
UPDATE points_scenario s SET stock = s.stock - d.quantity
  FROM unnest(%s::bigint[], %s::integer[]) AS d(id, quantity) WHERE s.id = d.id;
"""
_INSERT_REDEMPTIONS = """
INSERT INTO points_redemption (id, transaction_id, resident_id, scenario_id, merchant_id, quantity, points,
                               month, area_path, merchant_path, reversed, created_at)
SELECT r.*, false, %s
  FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
              %s::bigint[], %s::date[], %s::text[], %s::text[]) AS r;
"""
_INSERT_AUDIT = """
INSERT INTO core_auditevent (created_at, actor_id, actor_label, action, object_type_id, object_id, object_repr,
                             area_path, before, after, source, request_id)
SELECT %s, a.actor, a.label, 'points.redeem', %s, a.object_id, a.repr, a.path, NULL, a.after::jsonb,
       a.source, a.request_id
  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
              %s::text[]) AS a(actor, label, object_id, repr, path, after, source, request_id);
"""
_POST = "SELECT gridgov_points_post(%s::bigint[], %s::bigint[], %s::bigint[], ARRAY[]::date[], %s);"


def _run(sql: list[tuple[str, list]]) -> list[list[tuple]]:
    """Several statements in one round trip, run in order; the rows each returned (none: [])."""
    with connection.cursor() as cursor:
        cursor.execute("".join(text for text, _params in sql), [p for _text, params in sql for p in params])
        out = []
        while True:
            out.append(cursor.fetchall() if cursor.description else [])
            if not cursor.nextset():
                return out


@dataclass
class _Decided:
    """The batch's decisions: what each item gets and what the database must store."""

    outcomes: list  # per item: "ok", ("replay", item index or redemption id), or the exception
    holder: dict[str, int]  # key → the item whose transaction row it is


def _decide(items: list[_Prepared], claimed: dict[str, int], taken: dict, stock: dict, used: dict, left):
    """Every rule of the batch, in the order the items arrived, as if they came one after another.

    `claimed`: the keys whose transaction rows this batch inserted; `taken`: what other keys name;
    `stock`: the stocked scenarios' stock (locked); `used`: the monthly limits' use so far (the residents'
    account rows locked); `left`: on the slow pass, what each account holds (all locked), else None.
    """
    stock, used = dict(stock), dict(used)
    left = dict(left) if left is not None else None
    outcomes: list = [None] * len(items)
    holder: dict[str, int] = {}
    for i, it in enumerate(items):
        q = it.request
        if it.key not in claimed:  # taken before this batch
            prior = taken.get(it.key)
            same = _same_request(prior, it.resident.pk, it.merchant.pk, it.scenario.pk, q.quantity)
            outcomes[i] = ("replay", prior.id) if same and prior is not None else _conflict()
            continue
        if it.key in holder:  # an earlier item of this batch was posted under the key
            first = items[holder[it.key]]
            outcomes[i] = ("replay-of", holder[it.key]) if first.same_request(it) else _conflict()
            continue
        limit = it.scenario.monthly_limit
        counted = (it.resident.pk, it.scenario.pk, it.month)
        if limit is not None and used.get(counted, 0) + q.quantity > limit:
            outcomes[i] = _monthly_limit_error(used.get(counted, 0), limit)
            continue
        if it.has_stock and stock.get(it.scenario.pk) is not None and stock[it.scenario.pk] < q.quantity:
            outcomes[i] = _stock_error()
            continue
        if left is not None and left[it.resident_account] < it.points:
            outcomes[i] = ledger.InsufficientPoints(
                _("“%(a)s”积分不足(需要 %(n)d 分)")
                % {"a": ledger.mask_name(it.resident.name), "n": it.points}
            )
            continue
        # Posted: what it takes counts against the items after it (the same batch included).
        used[counted] = used.get(counted, 0) + q.quantity
        if it.has_stock and stock.get(it.scenario.pk) is not None:
            stock[it.scenario.pk] -= q.quantity
        if left is not None:
            left[it.resident_account] -= it.points
            left[it.merchant_account] += it.points
        outcomes[i] = "ok"
        holder[it.key] = i
    return _Decided(outcomes, holder)


def _conflict() -> ServiceError:
    return ledger.IdempotencyConflict(_("该幂等键已用于另一笔不同的请求,未做任何改动"))


def _post_batch(items: list[_Prepared]) -> list:
    """One transaction for a batch of validated requests: every rule decided here, in Python, on rows
    locked in the ledger's order; the database stores the outcome and moves the balances
    (`gridgov_points_post`). Each request is refused on its own, with nothing of it written."""
    now = timezone.now()
    first: dict[str, _Prepared] = {}
    for it in items:
        first.setdefault(it.key, it)
    keys = sorted(first)  # a batch takes its keys in ascending order
    stocked = sorted({it.scenario.pk for it in items if it.has_stock})
    limited = [it for it in items if it.scenario.monthly_limit is not None]
    accounts = sorted({a for it in items for a in (it.resident_account, it.merchant_account)})
    claim: list[tuple[str, list]] = [
        (
            _CLAIM_KEYS,
            [
                now,
                keys,
                [first[k].digest for k in keys],
                [first[k].memo for k in keys],
                [first[k].resident.area_path for k in keys],
                [first[k].request.actor_id for k in keys],
            ],
        )
    ]
    if stocked:
        claim.append((_LOCK_SCENARIOS, [stocked]))
    claim.append((_LOCK_ACCOUNTS, [accounts, sorted({it.resident_account for it in limited})]))
    if limited:
        claim.append(
            (
                _USED,
                [
                    [it.resident.pk for it in limited],
                    [it.scenario.pk for it in limited],
                    [it.month for it in limited],
                ],
            )
        )
    claim.append((_REDEMPTION_IDS, [len(items)]))
    answers = iter(_run(claim))
    claimed = {key: tx_id for tx_id, key in next(answers)}
    stock = dict(next(answers)) if stocked else {}
    next(answers)  # the account rows, locked
    used = {(r, s, m): int(n) for r, s, m, n in next(answers)} if limited else {}
    redemption_ids = [row[0] for row in next(answers)]
    taken: dict[str, SimpleNamespace | None] = {}
    if len(claimed) < len(keys):
        found = _run([(_TAKEN, [[k for k in keys if k not in claimed]])])[0]
        taken = {
            k: SimpleNamespace(id=rid, resident_id=res, merchant_id=m, scenario_id=s, quantity=qty)
            if rid is not None
            else None
            for k, rid, res, m, s, qty in found
        }
    decided = _decide(items, claimed, taken, stock, used, None)
    short = _write(items, decided, claimed, redemption_ids, now, savepoint=True)
    if short is not None:
        # Some account cannot pay the batch's total: undo the writes, lock every slot of the batch's
        # split accounts (lock order 5) and decide again with what each account holds, item by item.
        _run([("ROLLBACK TO SAVEPOINT gridgov_batch;", [])])
        slots, balances = _run([(_LOCK_SLOTS, [accounts]), (_BALANCES, [accounts])])
        left = dict(balances)
        for account_id, balance in slots:
            left[account_id] += balance
        decided = _decide(items, claimed, taken, stock, used, left)
        if _write(items, decided, claimed, redemption_ids, now, savepoint=False) is not None:
            raise RuntimeError("the slow pass checked every debit, yet an account could not pay")
    return _results(items, decided, claimed, redemption_ids, now)


def _write(items, decided: _Decided, claimed, redemption_ids, now, *, savepoint: bool):
    """Store the decided batch in one round trip; returns the account that could not pay, or None."""
    posted = [i for i, outcome in enumerate(decided.outcomes) if outcome == "ok"]
    sql: list[tuple[str, list]] = [("SAVEPOINT gridgov_batch;", [])] if savepoint else []
    unused = [tx_id for key, tx_id in claimed.items() if key not in decided.holder]
    if unused:
        sql.append((_DROP_UNUSED, [unused]))
    # A key whose first item was refused belongs to a later item of the batch: its row says so.
    moved = [i for key, i in decided.holder.items() if items[i] is not _first_with(items, key)]
    if moved:
        sql.append(
            (
                _REASSIGN,
                [
                    [claimed[items[i].key] for i in moved],
                    [items[i].digest for i in moved],
                    [items[i].memo for i in moved],
                    [items[i].resident.area_path for i in moved],
                    [items[i].request.actor_id for i in moved],
                ],
            )
        )
    taken_stock: dict[int, int] = defaultdict(int)  # one UPDATE changes a row once: sum per scenario
    for i in posted:
        if items[i].has_stock:
            taken_stock[items[i].scenario.pk] += items[i].request.quantity
    if taken_stock:
        scenarios = sorted(taken_stock)
        sql.append((_TAKE_STOCK, [scenarios, [taken_stock[pk] for pk in scenarios]]))
    if posted:
        sql.append((_INSERT_REDEMPTIONS, [now, *_redemption_columns(items, posted, claimed, redemption_ids)]))
        sql.append(
            (
                _INSERT_AUDIT,
                [now, _redemption_type(), *_audit_columns(items, posted, claimed, redemption_ids, now)],
            )
        )
        tx, legs, amounts = [], [], []
        for i in posted:
            it = items[i]
            tx += [claimed[it.key]] * 2
            legs += [it.resident_account, it.merchant_account]
            amounts += [-it.points, it.points]
        sql.append((_POST, [tx, legs, amounts, now]))
    if not posted and not unused:
        return None
    answers = _run(sql)
    return answers[-1][0][0] if posted else None


def _first_with(items: list[_Prepared], key: str) -> _Prepared:
    return next(it for it in items if it.key == key)


def _redemption_columns(items, posted, claimed, redemption_ids) -> list[list]:
    rows = [items[i] for i in posted]
    return [
        [redemption_ids[i] for i in posted],
        [claimed[it.key] for it in rows],
        [it.resident.pk for it in rows],
        [it.scenario.pk for it in rows],
        [it.merchant.pk for it in rows],
        [it.request.quantity for it in rows],
        [it.points for it in rows],
        [it.month for it in rows],
        [it.resident.area_path for it in rows],
        [it.merchant.area_path for it in rows],
    ]


def _audit_columns(items, posted, claimed, redemption_ids, now) -> list[list]:
    """The audit rows, as `audit.record(actor, "points.redeem", r, after=audit.snapshot(r))` writes them."""
    rows = [(redemption_ids[i], items[i]) for i in posted]
    return [
        [it.request.actor_id for _rid, it in rows],
        [it.request.actor_label for _rid, it in rows],
        [str(rid) for rid, _it in rows],
        [f"{it.scenario.pk}×{it.request.quantity}" for _rid, it in rows],
        [it.resident.area_path for _rid, it in rows],
        [
            json.dumps(
                {
                    "id": rid,
                    "transaction_id": claimed[it.key],
                    "resident_id": it.resident.pk,
                    "scenario_id": it.scenario.pk,
                    "merchant_id": it.merchant.pk,
                    "quantity": it.request.quantity,
                    "points": it.points,
                    "month": it.month.isoformat(),
                    "area_path": it.resident.area_path,
                    "merchant_path": it.merchant.area_path,
                    "reversed": False,
                    "created_at": now.isoformat(),
                },
                ensure_ascii=False,
            )
            for rid, it in rows
        ],
        [it.request.source for _rid, it in rows],
        [it.request.request_id for _rid, it in rows],
    ]


def _redemption_type() -> int:
    return ContentType.objects.get_for_model(Redemption).pk  # cached by Django (cleared with the tables)


def _results(items, decided: _Decided, claimed, redemption_ids, now) -> list:
    """What each request answers: its redemption (posted or replayed) or the exception it raises."""
    replayed_ids = [o[1] for o in decided.outcomes if isinstance(o, tuple) and o[0] == "replay"]
    replayed = (
        Redemption.objects.unscoped(
            "the redemptions posted under taken idempotency keys, compared by _same_request"
        ).in_bulk(replayed_ids)
        if replayed_ids
        else {}
    )
    out: list = []
    for i, outcome in enumerate(decided.outcomes):
        if outcome == "ok":
            out.append(RedeemResult(_posted(items[i], redemption_ids[i], claimed[items[i].key], now), False))
        elif isinstance(outcome, tuple) and outcome[0] == "replay":
            out.append(RedeemResult(replayed[outcome[1]], True))
        elif isinstance(outcome, tuple):  # the same key posted by an earlier item of this batch
            j = outcome[1]
            out.append(RedeemResult(_posted(items[j], redemption_ids[j], claimed[items[j].key], now), True))
        else:
            out.append(outcome)
    return out


def _posted(it: _Prepared, redemption_id: int, tx_id: int, now) -> Redemption:
    """The row as the database holds it, built the way a query builds it (positional: the fast path)."""
    return Redemption.from_db(
        "default",
        _REDEMPTION_FIELDS,
        (
            redemption_id,
            tx_id,
            it.resident.pk,
            it.scenario.pk,
            it.merchant.pk,
            it.request.quantity,
            it.points,
            it.month,
            it.resident.area_path,
            it.merchant.area_path,
            False,
            now,
        ),
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
], "keep _posted and _INSERT_REDEMPTIONS in step with Redemption's fields"
_batcher = posting.Batcher(_serve_redemptions)


# --- merchant settlement ---------------------------------------------------------------------------
def settlement_rows(merchant: Merchant, month: dt.date) -> list[dict]:
    month = month_of(month)
    rows = []
    for r in (
        Redemption.objects.unscoped("a merchant's redemptions of the month (the caller checked the merchant)")
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
def settlement_statement(actor: User | SystemActor, merchant: Merchant, month: dt.date) -> bytes:
    """The merchant's monthly statement as xlsx (one line per redemption, reversals netted)."""
    from gridgov.core.xlsx import Column, write_sheet

    require_actor(actor)
    merchant = Merchant.objects.unscoped(
        "re-read the merchant; its own user may download, anyone else is re-checked by _check"
    ).get(pk=merchant.pk)
    if not _operates(actor, merchant):
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
