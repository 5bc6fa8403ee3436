"""Scenarios that settle with the resident's own payee (points/payees.py): the property fee with the company
of the resident's estate, the elderly canteen's meal with the canteen serving the resident."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Merchant, MerchantKind
from gridgov.property.models import Estate, PropertyCompany

from .conftest import SYSTEM, give, key


@pytest.fixture
def estate(funded):
    street = funded.streets[0]
    company = PropertyCompany.objects.create(name="安居物业", area=street, area_path=street.path)
    estate = Estate.objects.create(
        name="东一小区", area=funded.communities[0], area_path=funded.communities[0].path, company=company
    )
    estate.buildings.add(funded.building_a)
    return company


def test_property_fee_settles_with_the_estates_company(estate, catalogue, funded):
    resident = funded.resident_a
    give(resident, 500)
    result = services.redeem_for_payee(
        SYSTEM, scenario=catalogue["property_fee"], resident=resident, key=key()
    )
    merchant = result.redemption.merchant
    assert merchant.payee_ref == f"property.company:{estate.pk}" and merchant.kind == MerchantKind.PROPERTY
    assert merchant.name == "安居物业"
    assert services.merchant_account(merchant).balance == 100
    rows = services.settlement_rows(merchant, timezone.localdate())
    assert [r["points"] for r in rows] == [100]
    # A second resident of the same company's estate settles with the same merchant row (one account).
    other = funded.residents[1]
    give(other, 500)
    second = services.redeem_for_payee(SYSTEM, scenario=catalogue["property_fee"], resident=other, key=key())
    assert second.redemption.merchant_id == merchant.pk
    assert services.merchant_account(merchant).balance == 200
    assert ledger.check_invariants() == []


def test_another_property_merchant_is_refused(estate, catalogue, funded):
    resident = funded.resident_a
    give(resident, 500)
    services.payee_merchant(SYSTEM, "property", resident)
    stranger = services.create_merchant(
        SYSTEM, name="别家物业", kind=MerchantKind.PROPERTY, area=funded.communities[0]
    )
    with pytest.raises(ServiceError, match="安居物业"):
        services.redeem(
            SYSTEM, merchant=stranger, scenario=catalogue["property_fee"], key=key(), resident=resident
        )
    assert services.merchant_account(stranger).balance == 0


def test_no_estate_no_property_redemption(catalogue, funded):
    resident = funded.residents[2]  # grid B: no estate
    give(resident, 500)
    with pytest.raises(ServiceError, match="物业"):
        services.redeem_for_payee(SYSTEM, scenario=catalogue["property_fee"], resident=resident, key=key())
    assert not Merchant.objects.unscoped("t").filter(kind=MerchantKind.PROPERTY).exists()


def test_canteen_meal_settles_with_the_canteen(catalogue, funded):
    elderly = funded.residents[6]  # born 1964
    community = funded.communities[1]
    assert elderly.area_path.startswith(community.path)
    canteen = services.create_merchant(SYSTEM, name="东二长者食堂", kind=MerchantKind.CANTEEN, area=community)
    give(elderly, 100)
    result = services.redeem_for_payee(
        SYSTEM, scenario=catalogue["meal_subsidy"], resident=elderly, key=key()
    )
    assert result.redemption.merchant_id == canteen.pk
    assert services.merchant_account(canteen).balance == 30
    assert [r["points"] for r in services.settlement_rows(canteen, timezone.localdate())] == [30]


def test_scenario_without_payee_is_refused(catalogue, funded):
    with pytest.raises(ServiceError, match="结算对象"):
        services.redeem_for_payee(
            SYSTEM, scenario=catalogue["shopping_5"], resident=funded.resident_a, key=key()
        )
