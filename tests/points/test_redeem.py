"""Redemption: codes, merchants, catalogue rules; every refusal leaves every balance unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing

from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Account, MerchantKind, Redemption, Scenario
from tests.helpers import read_xlsx

from .conftest import give, key


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
        None,
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
        None,
        merchant=shop,
        scenario=catalogue["shopping_5"],
        token=services.resident_token(resident),
        key="r1",
    )
    assert again.replayed and again.redemption.pk == result.redemption.pk
    assert services.resident_account(resident).balance == 450
    otc = services.issue_one_time_code(None, resident)
    services.redeem(None, merchant=shop, scenario=catalogue["shopping_10"], code=otc.code, key="r2")
    assert services.resident_account(resident).balance == 350
    with pytest.raises(ServiceError, match="核销码"):
        services.redeem(None, merchant=shop, scenario=catalogue["shopping_10"], code=otc.code, key="r3")
    assert ledger.check_invariants() == []


def _refused(before, exc_match, **kwargs):
    with pytest.raises(ServiceError, match=exc_match):
        services.redeem(None, **kwargs)
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
        None, name="长者食堂", kind=MerchantKind.CANTEEN, area=funded.communities[0]
    )
    before = balances()
    _refused(
        before, "适用人群", merchant=canteen, scenario=catalogue["meal_disabled"], token=token, key=key()
    )
    # merchant outside the resident's area
    far = services.create_merchant(None, name="远方超市", kind=MerchantKind.SHOP, area=funded.communities[2])
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
    services.redeem(None, merchant=shop, scenario=catalogue["shopping_5"], token=token, key="dup")
    before = balances()
    _refused(before, "幂等键", merchant=shop, scenario=catalogue["shopping_10"], token=token, key="dup")


def test_monthly_limit(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 1000)
    token = services.resident_token(resident)
    for _ in range(2):
        services.redeem(None, merchant=shop, scenario=catalogue["shopping_10"], token=token, key=key())
    with pytest.raises(ServiceError, match="每月限"):
        services.redeem(None, merchant=shop, scenario=catalogue["shopping_10"], token=token, key=key())


def test_stock_and_reversal_restore(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 1000)
    scenario = catalogue["rice_oil"]
    r = services.redeem(
        None, merchant=shop, scenario=scenario, token=services.resident_token(resident), key=key()
    )
    assert Scenario.objects.unscoped("t").get(pk=scenario.pk).stock == 999
    services.reverse_transaction(None, r.redemption.transaction, key=key(), reason="退货")
    assert Scenario.objects.unscoped("t").get(pk=scenario.pk).stock == 1000
    assert Redemption.objects.unscoped("t").get(pk=r.redemption.pk).reversed
    assert services.resident_account(resident).balance == 1000
    assert services.merchant_account(shop).balance == 0


def test_settlement_statement(funded, catalogue, shop):
    resident = funded.resident_a
    give(resident, 1000)
    for _ in range(3):
        services.redeem(
            None,
            merchant=shop,
            scenario=catalogue["shopping_5"],
            token=services.resident_token(resident),
            key=key(),
        )
    rows = read_xlsx(services.settlement_statement(None, shop, dt.date.today()))
    assert rows[-1]["积分"] == 150
    assert len(rows) == 4
