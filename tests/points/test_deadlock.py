"""One-time codes (ORM path), signed codes (batched path) and replays, all at once: no deadlock (PostgreSQL).

A one-time code is consumed in the redemption's own transaction, so it takes the ORM path
(`services.redemption._redeem_orm`); a signed code is served in a shared batch (points/posting.py). Both
lock in one total order (docs/points.md, "Lock order"): one-time code → idempotency keys → stocked
scenarios → accounts (ascending id) → slots. Before that order was total, most runs of this mix ended
in a deadlock that one of the requests answered with a server error.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import MerchantKind, Redemption, Transaction

from .conftest import give

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks between concurrent transactions need PostgreSQL (SQLite serialises writers)",
)

REQUESTS = 64
ROUNDS = 3
SYSTEM = SystemActor("test_deadlock")


def _mixed_round(city, shop, scenarios, round_no: int, seed: int):
    """REQUESTS requests at once: a third by one-time code, a third by signed code, a third replays."""
    rng = random.Random(seed)
    residents = city.residents
    plans = []
    for n in range(REQUESTS):
        resident = residents[rng.randrange(len(residents))]
        scenario = scenarios[rng.randrange(len(scenarios))]
        plans.append({"resident": resident, "scenario": scenario, "key": f"dl-{round_no}-{n}"})
    requests = []
    for n, plan in enumerate(plans):
        kind = n % 3
        if kind == 2 and n > 0:
            # a replay of an earlier request of this round: the same key and payload, by signed code
            original = plans[rng.randrange(n)]
            requests.append(("replay", {**original, "token": services.resident_token(original["resident"])}))
        elif kind == 0:
            otc = services.issue_one_time_code(SYSTEM, plan["resident"])
            requests.append(("code", {**plan, "code": otc.code}))
        else:
            requests.append(("token", {**plan, "token": services.resident_token(plan["resident"])}))
    return requests


def _fire(shop, requests):
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[str, dict, object]] = []
    lock = threading.Lock()

    def client(kind, req):
        try:
            barrier.wait()
            try:
                result = services.redeem(
                    SYSTEM,
                    merchant=shop,
                    scenario=req["scenario"],
                    key=req["key"],
                    token=req.get("token", ""),
                    code=req.get("code", ""),
                )
            except ServiceError as exc:  # a refusal the user reads (points, stock, limit): fine
                result = exc
            except BaseException as exc:  # a deadlock or any other server error: the test fails
                result = ("error", repr(exc))
            with lock:
                answers.append((kind, req, result))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return answers


def test_one_time_codes_signed_codes_and_replays_together_never_deadlock(transactional_db, city):
    for community in city.communities:
        services.fund_pool(SYSTEM, community, 100_000, key=f"dl-fund-{community.pk}")
    shop = services.create_merchant(SYSTEM, name="混合商户", kind=MerchantKind.SHOP, area=city.city)
    scenarios = [
        services.save_scenario(SYSTEM, area=city.city, code="dl-a", name="不限", category="测试", price=2),
        services.save_scenario(
            SYSTEM, area=city.city, code="dl-b", name="限量", category="测试", price=1, stock=10_000
        ),
        services.save_scenario(
            SYSTEM, area=city.city, code="dl-c", name="限次", category="测试", price=3, monthly_limit=2
        ),
    ]
    for resident in city.residents:
        give(resident, 40)  # enough for most requests; some residents run short on purpose
    errors, refused = [], Counter()
    for round_no in range(ROUNDS):
        answers = _fire(shop, _mixed_round(city, shop, scenarios, round_no, seed=round_no))
        errors += [(kind, result) for kind, _req, result in answers if isinstance(result, tuple)]
        refused.update(type(r).__name__ for _k, _q, r in answers if isinstance(r, ServiceError))
        # Each key is posted once; every answer for a key names the one redemption posted under it.
        by_key: dict[str, set[int]] = {}
        for _kind, req, result in answers:
            if isinstance(result, services.RedeemResult):
                by_key.setdefault(req["key"], set()).add(result.redemption.pk)
        for k, pks in by_key.items():
            assert len(pks) == 1, k
            posted = Transaction.objects.unscoped("test: the key's transaction").filter(idempotency_key=k)
            assert posted.count() == 1
            assert Redemption.objects.unscoped("test").filter(transaction__idempotency_key=k).count() == 1
    assert errors == [], errors[:3]
    assert ledger.check_invariants() == []
    for resident in city.residents:
        acc = services.resident_account(resident)
        assert acc.balance == ledger.balance_from_entries(acc) >= 0
    shop_acc = services.merchant_account(shop)
    assert shop_acc.balance == ledger.balance_from_entries(shop_acc)
