from __future__ import annotations

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_user_sees_the_coverage_map(page, live_server, small_city):
    login(page, live_server.url, "street")
    page.goto(f"{live_server.url}/facilities/coverage/")
    assert "10分钟党建生活圈" in page.locator("h1").inner_text()
    # Shares are shown and the map draws (ECharts served locally, data fetched from the map endpoint).
    assert "%" in page.locator("[data-figure=households] .value").inner_text()
    page.wait_for_selector("#coverage-map[data-ready='1']")
    assert page.locator("#coverage-map canvas").count() >= 1
    assert page.locator("#coverage-map").get_attribute("data-error") is None
    # The synthetic city has a walking network, so no fallback notice.
    assert page.locator("[data-testid=fallback]").count() == 0
    screenshot(page, "coverage-map")


def test_resident_phone_page_lists_nearest_positions(phone_page, live_server, small_city):
    login(phone_page, live_server.url, "resident")
    phone_page.goto(f"{live_server.url}/facilities/nearby/")
    assert phone_page.locator("h1").inner_text() == "附近的阵地"
    screenshot(phone_page, "nearby-phone")
