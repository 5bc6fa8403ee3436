from __future__ import annotations

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_user_sees_the_coverage_map(page, demo_site):
    login(page, demo_site.url, "street")
    page.click("nav.nav a:text-is('红色阵地')")
    page.wait_for_load_state("networkidle")
    assert "10分钟党建生活圈" in page.locator("h1").inner_text()
    # Shares are shown and the map draws (ECharts served locally, data fetched from the map endpoint).
    assert "%" in page.locator("[data-figure=households] .value").inner_text()
    page.wait_for_selector("#coverage-map[data-ready='1']")
    assert page.locator("#coverage-map canvas").count() >= 1
    assert page.locator("#coverage-map").get_attribute("data-error") is None
    # The synthetic city has a walking network, so no fallback notice.
    assert page.locator("[data-testid=fallback]").count() == 0
    screenshot(page, "coverage-map")


def test_resident_phone_page_lists_nearest_positions(phone_page, demo_site):
    login(phone_page, demo_site.url, "resident")
    # The resident's home page lists the nearest positions; "更多阵地" opens the full list.
    assert phone_page.locator("[data-testid=nearby-positions] tbody tr").count() >= 1
    phone_page.click("text=更多阵地")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator("h1").inner_text() == "附近的阵地"
    screenshot(phone_page, "nearby-phone")
