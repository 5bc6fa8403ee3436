"""The ledger's invariants: balanced transactions, no negative balance, cached balance = sum of entries."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Account, Entry, MerchantKind, Transaction, TxKind

from .conftest import SYSTEM, give, key


def test_fund_and_transfer_keep_invariants(funded):
    resident = funded.resident_a
    give(resident, 300)
    acc = services.resident_account(resident)
    acc.refresh_from_db()
    assert acc.balance == 300 == ledger.balance_from_entries(acc)
    assert ledger.check_invariants() == []


def test_replayed_key_applies_once(funded):
    acc = services.resident_account(funded.resident_a)
    pool = services.earning_pool(funded.resident_a.area_path)
    first = services.transfer(SYSTEM, pool, acc, 50, key="same")
    audits = AuditEvent.objects.count()
    again = services.transfer(SYSTEM, pool, acc, 50, key="same")
    assert first.pk == again.pk
    acc.refresh_from_db()
    assert acc.balance == 50
    assert AuditEvent.objects.count() == audits


def test_replayed_key_with_other_payload_is_refused(funded):
    acc = services.resident_account(funded.resident_a)
    pool = services.earning_pool(funded.resident_a.area_path)
    services.transfer(SYSTEM, pool, acc, 50, key="k1")
    with pytest.raises(ledger.IdempotencyConflict, match="幂等键"):
        services.transfer(SYSTEM, pool, acc, 60, key="k1")
    acc.refresh_from_db()
    assert acc.balance == 50


def test_overdraft_is_refused_and_changes_nothing(funded):
    resident = funded.resident_a
    give(resident, 40)
    acc = services.resident_account(resident)
    other = services.resident_account(funded.residents[1])
    entries = Entry.objects.unscoped("t").count()
    with pytest.raises(ledger.InsufficientPoints, match="积分不足"):
        services.transfer(SYSTEM, acc, other, 41, key=key())
    acc.refresh_from_db()
    assert acc.balance == 40
    assert Entry.objects.unscoped("t").count() == entries


def test_reversal_is_a_new_transaction_and_happens_once(funded):
    tx = give(funded.resident_a, 70)
    reversal = services.reverse_transaction(SYSTEM, tx, key="rev-1", reason="录入错误")
    assert reversal.reverses_id == tx.pk and reversal.kind == TxKind.REVERSE
    acc = services.resident_account(funded.resident_a)
    acc.refresh_from_db()
    assert acc.balance == 0
    assert Entry.objects.unscoped("t").filter(transaction=tx).count() == 2  # the original is untouched
    assert services.reverse_transaction(SYSTEM, tx, key="rev-1", reason="录入错误").pk == reversal.pk
    with pytest.raises(ServiceError, match="已冲正"):
        services.reverse_transaction(SYSTEM, tx, key="rev-2", reason="再来")
    assert ledger.check_invariants() == []


def test_reversal_of_spent_points_is_refused(funded):
    tx = give(funded.resident_a, 70)
    acc = services.resident_account(funded.resident_a)
    services.transfer(SYSTEM, acc, services.resident_account(funded.residents[1]), 50, key=key())
    with pytest.raises(ledger.InsufficientPoints):
        services.reverse_transaction(SYSTEM, tx, key=key(), reason="错")
    assert not Transaction.objects.unscoped("t").filter(reverses=tx).exists()


def test_expiry_fifo_as_entries(funded, settings):
    resident = funded.resident_a
    acc = services.resident_account(resident)
    pool = services.earning_pool(resident.area_path)
    with ledger_time(dt.date(2024, 5, 1)):
        services.transfer(SYSTEM, pool, acc, 100, key="e-old")  # expires 2025-12-31
    services.transfer(SYSTEM, pool, acc, 30, key="e-new")
    services.transfer(SYSTEM, acc, services.resident_account(funded.residents[1]), 60, key="e-spend")
    acc.refresh_from_db()
    assert acc.balance == 70
    assert services.expire_points(SYSTEM, dt.date(2026, 1, 1)) >= 1
    acc.refresh_from_db()
    assert acc.balance == 30  # 40 unspent old points expired, the new 30 remain
    assert Transaction.objects.unscoped("t").filter(kind=TxKind.EXPIRE).count() == 1
    services.expire_points(SYSTEM, dt.date(2026, 1, 1))  # re-running changes nothing
    acc.refresh_from_db()
    assert acc.balance == 30
    assert ledger.check_invariants() == []


class ledger_time:
    """Pretend today is `day` for expiry stamping."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __enter__(self):
        from unittest import mock

        self.patch = mock.patch("django.utils.timezone.localdate", return_value=self.day)
        self.patch.start()

    def __exit__(self, *exc):
        self.patch.stop()


# A redemption request of the machine: (resident index, scenario index, quantity, key, how, code).
Ask = tuple[int, int, int, str, str, str]


class LedgerMachine(RuleBasedStateMachine):
    """Random funding, transfers, overdrafts, redemptions (one-time code, signed code, by id; replays, and
    other residents' requests under a taken key), replays and reversals; after each step the ledger's
    invariants hold, and every redemption got the answer that serving the requests one after another,
    in order, gives (the model below, read from the database before each step).

    `path` says which posting path serves redemptions by signed code or id: "orm" (`_redeem_orm`, both
    databases) or "batch" (PostgreSQL: `_serve_redemptions`, several requests per batch). One-time codes
    always take the ORM path, as in production.
    """

    city = None
    path = "orm"

    def __init__(self):
        super().__init__()
        # Each example runs in its own savepoint, rolled back in teardown: examples never see each other.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize()
    def setup(self):
        self.pool = services.earning_pool(self.city.resident_a.area_path)
        self.residents = self.city.residents[:4]  # one community, where the shop serves
        self.accounts = [services.resident_account(r) for r in self.residents]
        self.shop = services.create_merchant(
            SYSTEM, name="机器商户", kind=MerchantKind.SHOP, area=self.city.communities[0]
        )
        self.scenarios = [
            services.save_scenario(
                SYSTEM, area=self.city.city, code="m-free", name="不限", category="测", price=7
            ),
            services.save_scenario(
                SYSTEM,
                area=self.city.city,
                code="m-limited",
                name="限量限次",
                category="测",
                price=3,
                stock=12,
                monthly_limit=2,
            ),
        ]
        self.txs: list[Transaction] = [
            services.transfer(SYSTEM, self.pool, account, 40, key=key("m")) for account in self.accounts
        ]  # something to spend from the first step on
        self.used_keys: dict[str, tuple[int, int, int]] = {}
        self.redeemed: dict[str, tuple[Ask, int]] = {}  # key → the request posted under it, its redemption
        self.total = self.total_now()

    def total_now(self) -> int:
        ids = [self.pool.pk, *(a.pk for a in self.accounts), services.merchant_account(self.shop).pk]
        return sum(a.balance for a in Account.objects.unscoped("t").filter(pk__in=ids))

    @rule(i=st.integers(0, 3), amount=st.integers(1, 500))
    def fund(self, i, amount):
        self.txs.append(services.transfer(SYSTEM, self.pool, self.accounts[i], amount, key=key("m")))

    @rule(i=st.integers(0, 3), j=st.integers(0, 3), amount=st.integers(1, 800))
    def move(self, i, j, amount):
        if i == j:
            return
        src = Account.objects.unscoped("t").get(pk=self.accounts[i].pk)
        k = key("m")
        try:
            self.txs.append(services.transfer(SYSTEM, src, self.accounts[j], amount, key=k))
            self.used_keys[k] = (i, j, amount)
        except ledger.InsufficientPoints:
            assert src.balance < amount

    @rule(i=st.integers(0, 3), slots=st.integers(1, 6))
    def split(self, i, slots):
        # Splitting or joining moves no points; debits afterwards are refused only when the total is short.
        ledger.split_account(self.accounts[i], slots)

    @rule(data=st.data())
    def replay(self, data):
        if not self.used_keys:
            return
        k = data.draw(st.sampled_from(sorted(self.used_keys)))
        i, j, amount = self.used_keys[k]
        before = Transaction.objects.unscoped("t").count()
        services.transfer(SYSTEM, self.accounts[i], self.accounts[j], amount, key=k)
        assert Transaction.objects.unscoped("t").count() == before
        with pytest.raises(ledger.IdempotencyConflict):
            services.transfer(SYSTEM, self.accounts[i], self.accounts[j], amount + 1, key=k)

    @rule(data=st.data())
    def reverse(self, data):
        if not self.txs:
            return
        tx = data.draw(st.sampled_from(self.txs))
        with contextlib.suppress(ServiceError):
            services.reverse_transaction(SYSTEM, tx, key=key("r"), reason="测试")

    # --- redemptions -------------------------------------------------------------------------------------
    def _ask(self, data, *, fresh: bool, resident: int | None = None) -> Ask:
        """A new request (by `resident` if given), or (fresh=False) one under a key already posted: its
        replay, or another resident's or another scenario's request under that key."""
        how = data.draw(st.sampled_from(["code", "token", "id"]), label="how")
        if fresh or not self.redeemed:
            i = resident if resident is not None else data.draw(st.integers(0, 3), label="resident")
            s = data.draw(st.integers(0, 1), label="scenario")
            q = data.draw(st.integers(1, 3), label="quantity")
            k = key("rd")
        else:
            k = data.draw(st.sampled_from(sorted(self.redeemed)), label="taken key")
            (i, s, q, _k, first_how, first_code), _pk = self.redeemed[k]
            change = data.draw(st.sampled_from(["replay", "resident", "scenario"]), label="change")
            if change == "resident":
                i = (i + data.draw(st.integers(1, 3), label="other")) % 4
            elif change == "scenario":
                s = 1 - s
            elif first_how == "code":
                return (i, s, q, k, "code", first_code)  # the same code again: a replay
        code = services.issue_one_time_code(SYSTEM, self.residents[i]).code if how == "code" else ""
        return (i, s, q, k, how, code)

    def _kwargs(self, ask: Ask) -> dict:
        i, s, q, k, how, _code = ask
        resident = self.residents[i]
        return {
            "merchant": self.shop,
            "scenario": self.scenarios[s],
            "key": k,
            "quantity": q,
            "token": services.resident_token(resident) if how == "token" else "",
            "resident": resident if how == "id" else None,
        }

    def _state(self) -> dict:
        from gridgov.points.models import Redemption, Scenario

        limited = self.scenarios[1]
        return {
            "balance": {
                i: Account.objects.unscoped("t").get(pk=a.pk).balance for i, a in enumerate(self.accounts)
            },
            "stock": Scenario.objects.unscoped("t").get(pk=limited.pk).stock,
            "used": {
                i: sum(
                    Redemption.objects.unscoped("t")
                    .filter(
                        resident=r,
                        scenario=limited,
                        reversed=False,
                        month=services.month_of(timezone.localdate()),
                    )
                    .values_list("quantity", flat=True)
                )
                for i, r in enumerate(self.residents)
            },
        }

    def _expect(self, state: dict, ask: Ask, posted_here: dict[str, Ask]) -> str:
        """What serving this request now, after the ones before it, answers; updates `state` as posting would."""
        i, s, q, k, _how, _code = ask
        first = posted_here.get(k) or (self.redeemed[k][0] if k in self.redeemed else None)
        if first is not None:
            return "replay" if first[:3] == (i, s, q) else "conflict"
        scenario = self.scenarios[s]
        if scenario.monthly_limit is not None and state["used"][i] + q > scenario.monthly_limit:
            return "limit"
        if scenario.stock is not None and state["stock"] < q:
            return "stock"
        cost = scenario.price * q
        if state["balance"][i] < cost:
            return "points"
        state["balance"][i] -= cost
        if scenario.monthly_limit is not None:
            state["used"][i] += q
            state["stock"] -= q
        posted_here[k] = ask
        return "ok"

    def _check(self, ask: Ask, expected: str, outcome) -> None:
        i, s, q, k, _how, _code = ask
        if expected in ("ok", "replay"):
            assert isinstance(outcome, services.RedeemResult), (ask, expected, outcome)
            assert outcome.replayed == (expected == "replay"), (ask, expected)
            r = outcome.redemption
            assert (r.resident_id, r.scenario_id, r.quantity) == (
                self.residents[i].pk,
                self.scenarios[s].pk,
                q,
            )
            if expected == "ok":
                self.redeemed[k] = (ask, r.pk)
                self.txs.append(r.transaction)
            else:
                assert r.pk == self.redeemed[k][1], (
                    "a replay answers with the redemption posted under the key"
                )
            return
        kind = {
            "conflict": ledger.IdempotencyConflict,
            "points": ledger.InsufficientPoints,
            "limit": ServiceError,
            "stock": ServiceError,
        }[expected]
        assert isinstance(outcome, kind), (ask, expected, outcome)
        text = {"conflict": "幂等键", "points": "积分不足", "limit": "本月", "stock": "库存"}[expected]
        assert text in str(outcome), (ask, expected, str(outcome))

    def _serve_one(self, ask: Ask):
        from gridgov.points.services import redemption

        kwargs = self._kwargs(ask)
        try:
            if ask[4] == "code" or self.path == "orm":
                return redemption._redeem_orm(SYSTEM, code=ask[5], **kwargs)
            return redemption._serve_redemptions([redemption._request(SYSTEM, **kwargs)])[0]
        except ServiceError as exc:
            return exc

    @rule(data=st.data(), fresh=st.booleans())
    def redeem(self, data, fresh):
        ask = self._ask(data, fresh=fresh)
        state = self._state()
        expected = self._expect(state, ask, {})
        outcome = self._serve_one(ask)
        self._check(ask, expected, outcome)
        assert self._state() == state

    @rule(data=st.data(), n=st.integers(2, 6))
    def redeem_together(self, data, n):
        """Several requests by signed code or id in one batch (on the batch path), including repeats of
        one key and one resident's requests against a monthly limit: each answered as if alone, in order."""
        if self.path != "batch":
            return
        from gridgov.points.services import redemption

        asks: list[Ask] = []
        regular = data.draw(st.integers(0, 3), label="a resident who asks often in this batch")
        for _ in range(n):
            fresh = data.draw(st.booleans(), label="fresh")
            if not fresh and asks and data.draw(st.booleans(), label="repeat within the batch"):
                i, s, q, k, _how, _code = data.draw(st.sampled_from(asks), label="earlier")
                if data.draw(st.booleans(), label="as another resident"):
                    i = (i + 1) % 4
                ask = (i, s, q, k, "id", "")
            else:
                often = data.draw(st.booleans(), label="the regular")
                ask = self._ask(data, fresh=fresh, resident=regular if often else None)
                if ask[4] == "code":
                    ask = (*ask[:4], "token", "")
            asks.append(ask)
        state = self._state()
        posted_here: dict[str, Ask] = {}
        expected = [self._expect(state, ask, posted_here) for ask in asks]
        requests = [redemption._request(SYSTEM, **self._kwargs(ask)) for ask in asks]
        outcomes = redemption._serve_redemptions(requests)
        for ask, want, outcome in zip(asks, expected, outcomes, strict=True):  # in order: a repeat finds
            self._check(ask, want, outcome)  # the redemption its earlier item posted
        assert self._state() == state

    @invariant()
    def sound(self):
        if not hasattr(self, "accounts"):
            return
        for acc in [self.pool, *self.accounts, services.merchant_account(self.shop)]:
            fresh = Account.objects.unscoped("t").get(pk=acc.pk)
            assert fresh.balance >= 0
            assert fresh.balance == ledger.balance_from_entries(fresh)
        assert self.total_now() == self.total  # transfers and redemptions inside the set keep its sum
        for tx in Transaction.objects.unscoped("t").filter(kind__in=[TxKind.TRANSFER, TxKind.REVERSE])[:50]:
            assert sum(e.amount for e in tx.entries.all()) == 0


@pytest.mark.parametrize("path", ["orm", "batch"])
def test_ledger_state_machine(funded, path):
    if path == "batch" and connection.vendor != "postgresql":
        pytest.skip("the batch path posts through PostgreSQL's functions")
    LedgerMachine.city = funded
    LedgerMachine.path = path
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    assert ledger.check_invariants() == []
