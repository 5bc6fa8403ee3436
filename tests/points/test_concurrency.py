"""Many threads redeeming from one account at once: no double spend, no lost update (PostgreSQL).

The threads share one process, so on PostgreSQL their requests are served in shared batches
(points/posting.py) — the path a threaded web worker takes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import MerchantKind

from .conftest import SYSTEM, give, key

THREADS = 16
PER_THREAD = 10


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-level concurrency needs PostgreSQL (SQLite's in-memory test database is one connection)",
)
@pytest.mark.parametrize("slots", [1, 4], ids=["one-row", "split"])
def test_parallel_redemptions_never_overspend(transactional_db, city, slots):
    services.fund_pool(SYSTEM, city.communities[0], 100_000, key=key("cfund"))
    shop = services.create_merchant(SYSTEM, name="并发商户", kind=MerchantKind.SHOP, area=city.communities[0])
    scenario = services.save_scenario(SYSTEM, area=city.city, code="c", name="并发", category="测试", price=3)
    resident = city.resident_a
    budget = 3 * (THREADS * PER_THREAD // 2) + 2  # enough for half the attempts (and 2 spare points)
    give(resident, budget)
    ledger.split_account(services.resident_account(resident), slots)
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def client(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                try:
                    services.redeem(
                        SYSTEM, merchant=shop, scenario=scenario, resident=resident, key=f"c-{n}-{i}"
                    )
                    result = "ok"
                except ServiceError:
                    result = "refused"
                with lock:
                    outcomes.append(result)
            # every client replays its first key: applied once
            services.redeem(SYSTEM, merchant=shop, scenario=scenario, resident=resident, key=f"c-{n}-0")
        except ServiceError:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = outcomes.count("ok")
    assert ok == budget // 3  # exactly what the balance allowed
    acc = services.resident_account(resident)
    assert acc.balance == budget - 3 * ok == ledger.balance_from_entries(acc)
    assert services.merchant_account(shop).balance == 3 * ok
    assert ledger.check_invariants() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_racing_same_key_applies_once(transactional_db, city):
    services.fund_pool(SYSTEM, city.communities[0], 1000, key=key("cfund"))
    shop = services.create_merchant(SYSTEM, name="并发商户", kind=MerchantKind.SHOP, area=city.communities[0])
    scenario = services.save_scenario(SYSTEM, area=city.city, code="c", name="并发", category="测试", price=1)
    give(city.resident_a, 100)
    barrier = threading.Barrier(8)
    results = []

    def client() -> None:
        try:
            barrier.wait()
            results.append(
                services.redeem(
                    SYSTEM, merchant=shop, scenario=scenario, resident=city.resident_a, key="same"
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.redemption.pk for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert services.resident_account(city.resident_a).balance == 99
