from __future__ import annotations

import pytest

from gridgov.accounts.models import User
from gridgov.party import queries

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_user_follows_a_coverage_check_to_the_uncovered_grid(page, live_server, small_city):
    street_user = User._default_manager.select_related("area").get(username="street")
    expected = list(queries.grids_without_branch(street_user, street_user.area.path))
    assert expected, "the generator leaves at least one grid without a branch in the demo street"

    login(page, live_server.url, "street")
    page.click("nav.nav a:text-is('党组织')")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("五级党组织网络")
    assert int(page.locator("[data-indicator=party_grid_branches] .value").inner_text()) > 0

    page.click("text=全部检查及问题数")
    page.wait_for_load_state("networkidle")
    count = page.locator("[data-check=grids_without_branch] td.num").inner_text()
    assert int(count) == len(expected)
    screenshot(page, "party-coverage-checks")

    page.click("[data-check=grids_without_branch] a")
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-testid=check-rows] tbody tr")
    assert rows.count() == len(expected)
    first = expected[0]
    assert first.name in rows.first.inner_text()
    screenshot(page, "party-coverage-grids-without-branch")

    rows.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(first.name)
