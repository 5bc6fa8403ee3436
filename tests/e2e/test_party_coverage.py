from __future__ import annotations

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_user_follows_a_coverage_check_to_the_uncovered_grid(page, demo_site):
    expected = demo_site.read(
        "from gridgov.accounts.models import User\n"
        "from gridgov.party import queries\n"
        "u = User._default_manager.select_related('area').get(username='street')\n"
        "result = [g.name for g in queries.grids_without_branch(u, u.area.path)]"
    )
    assert expected, "the generator leaves at least one grid without a branch in the demo street"

    login(page, demo_site.url, "street")
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
    assert expected[0] in rows.first.inner_text()
    screenshot(page, "party-coverage-grids-without-branch")

    rows.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(expected[0])
