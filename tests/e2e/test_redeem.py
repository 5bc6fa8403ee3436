"""A resident shows their code on a phone; a merchant types it in and redeems; the balance drops."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.actors import SystemActor
from gridgov.points import services
from gridgov.points.models import MerchantKind
from tests.factories import UserFactory

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

SYSTEM = SystemActor("test set-up")


def test_resident_redeems_at_a_merchant(page, phone_page, live_server, city):
    community = city.communities[0]
    services.fund_pool(SYSTEM, community, 10_000, key="e2e-fund")
    services.seed_catalogue(SYSTEM, city.city)
    resident_user = UserFactory(
        username="jumin", role=Role.RESIDENT, area=city.unit_a, password="gridgov-demo"
    )
    merchant_user = UserFactory(
        username="shangjia", role=Role.MERCHANT, area=community, password="gridgov-demo"
    )
    services.link_resident(SYSTEM, resident_user, city.resident_a)
    services.create_merchant(
        SYSTEM, name="邻里便利店", kind=MerchantKind.SHOP, area=community, user=merchant_user
    )
    services.transfer(
        SYSTEM,
        services.earning_pool(city.resident_a.area_path),
        services.resident_account(city.resident_a),
        200,
        key="e2e-give",
    )

    login(phone_page, live_server.url, "jumin")
    phone_page.goto(f"{live_server.url}/points/me/")
    assert phone_page.locator("[data-testid=balance]").inner_text().strip() == "200"
    phone_page.click("text=出示积分码兑换")
    token = phone_page.locator("[data-testid=token]").inner_text().strip()
    screenshot(phone_page, "points-resident-code")

    login(page, live_server.url, "shangjia")
    page.goto(f"{live_server.url}/points/merchant/")
    page.fill("[data-testid=code-input]", token)
    page.select_option("[data-testid=scenario]", label="购物满减10元(100 分)")
    page.click("[data-testid=redeem]")
    page.wait_for_load_state("networkidle")
    assert "核销成功" in page.locator(".messages").inner_text()
    screenshot(page, "points-merchant-redeemed")

    # the one-time code path: the resident asks for a 6-digit code, the merchant types it
    phone_page.click("[data-testid=otc-button]")
    code = phone_page.locator("[data-testid=otc]").inner_text().strip()
    page.fill("[data-testid=code-input]", code)
    page.select_option("[data-testid=scenario]", label="购物满减5元(50 分)")
    page.click("[data-testid=redeem]")
    page.wait_for_load_state("networkidle")
    assert "核销成功" in page.locator(".messages").inner_text()

    phone_page.goto(f"{live_server.url}/points/me/")
    assert phone_page.locator("[data-testid=balance]").inner_text().strip() == "50"
    screenshot(phone_page, "points-resident-balance")
