"""Redemption: codes, merchants, catalogue rules; every refusal leaves every balance unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.db import connection

from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Account, MerchantKind, Redemption, Scenario, Transaction
from tests.helpers import read_xlsx

from .conftest import SYSTEM, give, key


def balances():
    return {a.pk: a.balance for a in Account.objects.unscoped("t").all()}


def test_catalogue_has_30_plus_scenarios(catalogue):
    assert len(catalogue) >= 30
    assert {"property_fee", "shopping_5", "meal_subsidy", "haircut", "housekeeping", "parking"} <= set(
        catalogue
    )


def test_redeem_token_and_code(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 500)
    result = services.redeem(
        SYSTEM,
        merchant=shop,
        scenario=catalogue["shopping_5"],
        token=services.resident_token(resident),
        key="r1",
    )
    assert not result.replayed and result.redemption.points == 50
    assert services.merchant_account(shop).balance == 50
    assert services.resident_account(resident).balance == 450
    # the same request again (a double click) applies once
    again = services.redeem(
        SYSTEM,
        merchant=shop,
        scenario=catalogue["shopping_5"],
        token=services.resident_token(resident),
        key="r1",
    )
    assert again.replayed and again.redemption.pk == result.redemption.pk
    assert services.resident_account(resident).balance == 450
    otc = services.issue_one_time_code(SYSTEM, resident)
    services.redeem(SYSTEM, merchant=shop, scenario=catalogue["shopping_10"], code=otc.code, key="r2")
    assert services.resident_account(resident).balance == 350
    with pytest.raises(ServiceError, match="核销码"):
        services.redeem(SYSTEM, merchant=shop, scenario=catalogue["shopping_10"], code=otc.code, key="r3")
    assert ledger.check_invariants() == []


def _refused(before, exc_match, **kwargs):
    with pytest.raises(ServiceError, match=exc_match):
        services.redeem(SYSTEM, **kwargs)
    assert balances() == before


def test_bad_input_changes_nothing(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 120)
    token = services.resident_token(resident)
    before = balances()
    _refused(before, "积分不足", merchant=shop, scenario=catalogue["rice_oil"], token=token, key=key())
    # exhausted scenario
    Scenario.objects.unscoped("t").filter(pk=catalogue["fruit"].pk).update(stock=0)
    _refused(before, "库存不足", merchant=shop, scenario=catalogue["fruit"], token=token, key=key())
    # ineligible resident (not 60+, no disability)
    canteen = services.create_merchant(
        SYSTEM, name="长者食堂", kind=MerchantKind.CANTEEN, area=funded.communities[0]
    )
    before = balances()
    _refused(
        before, "适用人群", merchant=canteen, scenario=catalogue["meal_disabled"], token=token, key=key()
    )
    # merchant outside the resident's area
    far = services.create_merchant(
        SYSTEM, name="远方超市", kind=MerchantKind.SHOP, area=funded.communities[2]
    )
    before = balances()
    _refused(
        before, "不在该居民所在区域", merchant=far, scenario=catalogue["shopping_5"], token=token, key=key()
    )
    # wrong merchant kind
    _refused(before, "不能核销", merchant=shop, scenario=catalogue["haircut"], token=token, key=key())
    # bad and expired tokens
    _refused(before, "无效", merchant=shop, scenario=catalogue["shopping_5"], token=token + "x", key=key())
    old = signing.TimestampSigner(salt="gridgov.points.resident")
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=0):
        stale = old.sign(signing.b62_encode(resident.pk))
    _refused(before, "过期", merchant=shop, scenario=catalogue["shopping_5"], token=stale, key=key())
    # replayed key with a different payload
    services.redeem(SYSTEM, merchant=shop, scenario=catalogue["shopping_5"], token=token, key="dup")
    before = balances()
    _refused(before, "幂等键", merchant=shop, scenario=catalogue["shopping_10"], token=token, key="dup")


def test_monthly_limit(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 1000)
    token = services.resident_token(resident)
    for _ in range(2):
        services.redeem(SYSTEM, merchant=shop, scenario=catalogue["shopping_10"], token=token, key=key())
    with pytest.raises(ServiceError, match="每月限"):
        services.redeem(SYSTEM, merchant=shop, scenario=catalogue["shopping_10"], token=token, key=key())


def test_stock_and_reversal_restore(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 1000)
    scenario = catalogue["rice_oil"]
    r = services.redeem(
        SYSTEM, merchant=shop, scenario=scenario, token=services.resident_token(resident), key=key()
    )
    assert Scenario.objects.unscoped("t").get(pk=scenario.pk).stock == 999
    services.reverse_transaction(SYSTEM, r.redemption.transaction, key=key(), reason="退货")
    assert Scenario.objects.unscoped("t").get(pk=scenario.pk).stock == 1000
    assert Redemption.objects.unscoped("t").get(pk=r.redemption.pk).reversed
    assert services.resident_account(resident).balance == 1000
    assert services.merchant_account(shop).balance == 0


def test_settlement_statement(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 1000)
    for _ in range(3):
        services.redeem(
            SYSTEM,
            merchant=shop,
            scenario=catalogue["shopping_5"],
            token=services.resident_token(resident),
            key=key(),
        )
    rows = read_xlsx(services.settlement_statement(SYSTEM, shop, dt.date.today()))
    assert rows[-1]["积分"] == 150
    assert len(rows) == 4


# --- regressions found by the ledger state machine (test_ledger.py) ----------------------------------------
@pytest.mark.parametrize("how", ["id", "token", "code"])
def test_a_taken_key_is_no_replay_for_another_residents_request(funded, shop, how):
    """The key names a redemption for resident A: resident B's request under it (same merchant, scenario and
    quantity) is another request, refused — not answered with A's redemption."""
    scenario = services.save_scenario(SYSTEM, area=funded.city, code="k", name="键", category="测试", price=2)
    a, b = funded.residents[0], funded.residents[1]
    give(a, 10)
    give(b, 10)
    first = services.redeem(SYSTEM, merchant=shop, scenario=scenario, resident=a, key="shared")
    asked = {
        "id": {"resident": b},
        "token": {"token": services.resident_token(b)},
        "code": {"code": services.issue_one_time_code(SYSTEM, b).code},
    }[how]
    before = balances()
    with pytest.raises(ledger.IdempotencyConflict, match="幂等键"):
        services.redeem(SYSTEM, merchant=shop, scenario=scenario, key="shared", **asked)
    assert balances() == before
    # A's own replay, by any means that names A, is still the replay
    otc = services.issue_one_time_code(SYSTEM, a)
    for again in ({"resident": a}, {"token": services.resident_token(a)}, {"code": otc.code}):
        replay = services.redeem(SYSTEM, merchant=shop, scenario=scenario, key="shared", **again)
        assert replay.replayed and replay.redemption.pk == first.redemption.pk
    assert balances() == before
    assert Redemption.objects.unscoped("t").filter(transaction__idempotency_key="shared").count() == 1


pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="batches are served on PostgreSQL only"
)


@pg_only
def test_a_batch_counts_its_own_earlier_requests_against_the_monthly_limit(funded, shop):
    from gridgov.points.services import redemption

    limited = services.save_scenario(
        SYSTEM, area=funded.city, code="once", name="每月一次", category="测试", price=1, monthly_limit=2
    )
    resident = funded.resident_a
    give(resident, 20)
    ask = {"merchant": shop, "scenario": limited, "token": "", "resident": resident}
    outcomes = redemption._serve_redemptions(
        [
            redemption._request(SYSTEM, key="lim-1", quantity=1, **ask),
            redemption._request(SYSTEM, key="lim-2", quantity=2, **ask),  # 1 + 2 > 2
            redemption._request(SYSTEM, key="lim-3", quantity=1, **ask),  # 1 + 1 = 2: fits
            redemption._request(SYSTEM, key="lim-4", quantity=1, **ask),  # 3 > 2
        ]
    )
    assert [type(o).__name__ for o in outcomes] == [
        "RedeemResult",
        "ServiceError",
        "RedeemResult",
        "ServiceError",
    ]
    assert "本月该场景已兑换 1 次" in str(outcomes[1]) and "已兑换 2 次" in str(outcomes[3])
    assert services.resident_account(resident).balance == 18
    assert ledger.check_invariants() == []


@pg_only
def test_one_batch_with_a_key_twice(funded, shop):
    """In one batch, a repeat of a key is the earlier request's replay when it asks the same, else refused;
    a key whose first request was refused is free for a later one."""
    from gridgov.points.services import redemption

    scenario = services.save_scenario(
        SYSTEM, area=funded.city, code="two", name="两次", category="测试", price=5
    )
    a, b = funded.residents[0], funded.residents[1]
    give(a, 7)
    give(b, 7)
    ask = {"merchant": shop, "scenario": scenario, "token": ""}
    outcomes = redemption._serve_redemptions(
        [
            redemption._request(SYSTEM, key="dup", quantity=1, resident=a, **ask),
            redemption._request(SYSTEM, key="dup", quantity=1, resident=b, **ask),  # another resident
            redemption._request(SYSTEM, key="dup", quantity=1, resident=a, **ask),  # the replay
            redemption._request(SYSTEM, key="free", quantity=2, resident=b, **ask),  # 10 > 7: refused
            redemption._request(SYSTEM, key="free", quantity=1, resident=b, **ask),  # the key is still free
        ]
    )
    first, other, replay, short, later = outcomes
    assert not first.replayed and isinstance(other, ledger.IdempotencyConflict)
    assert replay.replayed and replay.redemption.pk == first.redemption.pk
    assert isinstance(short, ledger.InsufficientPoints)
    assert not later.replayed and later.redemption.resident_id == b.pk
    tx = Transaction.objects.unscoped("t").get(idempotency_key="free")
    assert (
        tx.payload_hash == later.redemption.transaction.payload_hash
        and tx.pk == later.redemption.transaction_id
    )
    assert services.resident_account(a).balance == 2 and services.resident_account(b).balance == 2
    assert ledger.check_invariants() == []
