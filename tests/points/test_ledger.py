"""The ledger's invariants: balanced transactions, no negative balance, cached balance = sum of entries."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Account, Entry, Transaction, TxKind

from .conftest import give, key


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
    first = services.transfer(None, pool, acc, 50, key="same")
    audits = AuditEvent.objects.count()
    again = services.transfer(None, pool, acc, 50, key="same")
    assert first.pk == again.pk
    acc.refresh_from_db()
    assert acc.balance == 50
    assert AuditEvent.objects.count() == audits


def test_replayed_key_with_other_payload_is_refused(funded):
    acc = services.resident_account(funded.resident_a)
    pool = services.earning_pool(funded.resident_a.area_path)
    services.transfer(None, pool, acc, 50, key="k1")
    with pytest.raises(ledger.IdempotencyConflict, match="幂等键"):
        services.transfer(None, pool, acc, 60, key="k1")
    acc.refresh_from_db()
    assert acc.balance == 50


def test_overdraft_is_refused_and_changes_nothing(funded):
    resident = funded.resident_a
    give(resident, 40)
    acc = services.resident_account(resident)
    other = services.resident_account(funded.residents[1])
    entries = Entry.objects.unscoped("t").count()
    with pytest.raises(ledger.InsufficientPoints, match="积分不足"):
        services.transfer(None, acc, other, 41, key=key())
    acc.refresh_from_db()
    assert acc.balance == 40
    assert Entry.objects.unscoped("t").count() == entries


def test_reversal_is_a_new_transaction_and_happens_once(funded):
    tx = give(funded.resident_a, 70)
    reversal = services.reverse_transaction(None, tx, key="rev-1", reason="录入错误")
    assert reversal.reverses_id == tx.pk and reversal.kind == TxKind.REVERSE
    acc = services.resident_account(funded.resident_a)
    acc.refresh_from_db()
    assert acc.balance == 0
    assert Entry.objects.unscoped("t").filter(transaction=tx).count() == 2  # the original is untouched
    assert services.reverse_transaction(None, tx, key="rev-1", reason="录入错误").pk == reversal.pk
    with pytest.raises(ServiceError, match="已冲正"):
        services.reverse_transaction(None, tx, key="rev-2", reason="再来")
    assert ledger.check_invariants() == []


def test_reversal_of_spent_points_is_refused(funded):
    tx = give(funded.resident_a, 70)
    acc = services.resident_account(funded.resident_a)
    services.transfer(None, acc, services.resident_account(funded.residents[1]), 50, key=key())
    with pytest.raises(ledger.InsufficientPoints):
        services.reverse_transaction(None, tx, key=key(), reason="错")
    assert not Transaction.objects.unscoped("t").filter(reverses=tx).exists()


def test_expiry_fifo_as_entries(funded, settings):
    resident = funded.resident_a
    acc = services.resident_account(resident)
    pool = services.earning_pool(resident.area_path)
    with ledger_time(dt.date(2024, 5, 1)):
        services.transfer(None, pool, acc, 100, key="e-old")  # expires 2025-12-31
    services.transfer(None, pool, acc, 30, key="e-new")
    services.transfer(None, acc, services.resident_account(funded.residents[1]), 60, key="e-spend")
    acc.refresh_from_db()
    assert acc.balance == 70
    assert services.expire_points(None, dt.date(2026, 1, 1)) >= 1
    acc.refresh_from_db()
    assert acc.balance == 30  # 40 unspent old points expired, the new 30 remain
    assert Transaction.objects.unscoped("t").filter(kind=TxKind.EXPIRE).count() == 1
    services.expire_points(None, dt.date(2026, 1, 1))  # re-running changes nothing
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


class LedgerMachine(RuleBasedStateMachine):
    """Random funding, transfers, overdrafts, replays and reversals; the ledger's invariants hold after each."""

    city = None

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
        self.accounts = [services.resident_account(r) for r in self.city.residents[:4]]
        self.txs: list[Transaction] = []
        self.used_keys: dict[str, tuple[int, int, int]] = {}
        self.total = self.total_now()

    def total_now(self) -> int:
        ids = [self.pool.pk, *(a.pk for a in self.accounts)]
        return sum(a.balance for a in Account.objects.unscoped("t").filter(pk__in=ids))

    @rule(i=st.integers(0, 3), amount=st.integers(1, 500))
    def fund(self, i, amount):
        self.txs.append(services.transfer(None, self.pool, self.accounts[i], amount, key=key("m")))

    @rule(i=st.integers(0, 3), j=st.integers(0, 3), amount=st.integers(1, 800))
    def move(self, i, j, amount):
        if i == j:
            return
        src = Account.objects.unscoped("t").get(pk=self.accounts[i].pk)
        k = key("m")
        try:
            self.txs.append(services.transfer(None, src, self.accounts[j], amount, key=k))
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
        services.transfer(None, self.accounts[i], self.accounts[j], amount, key=k)
        assert Transaction.objects.unscoped("t").count() == before
        with pytest.raises(ledger.IdempotencyConflict):
            services.transfer(None, self.accounts[i], self.accounts[j], amount + 1, key=k)

    @rule(data=st.data())
    def reverse(self, data):
        if not self.txs:
            return
        tx = data.draw(st.sampled_from(self.txs))
        with contextlib.suppress(ServiceError):
            services.reverse_transaction(None, tx, key=key("r"), reason="测试")

    @invariant()
    def sound(self):
        if not hasattr(self, "accounts"):
            return
        for acc in [self.pool, *self.accounts]:
            fresh = Account.objects.unscoped("t").get(pk=acc.pk)
            assert fresh.balance >= 0
            assert fresh.balance == ledger.balance_from_entries(fresh)
        assert self.total_now() == self.total  # transfers inside the set keep its sum constant
        for tx in Transaction.objects.unscoped("t").filter(kind__in=[TxKind.TRANSFER, TxKind.REVERSE])[:50]:
            assert sum(e.amount for e in tx.entries.all()) == 0


def test_ledger_state_machine(funded):
    LedgerMachine.city = funded
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
