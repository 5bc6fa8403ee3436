from __future__ import annotations

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_user_drills_down_to_a_grid(page, demo_site):
    login(page, demo_site.url, "street")
    street = page.locator("h1").inner_text()
    # The street page lists its communities with figures and draws the chart.
    children = page.locator("[data-testid=children] tbody tr")
    assert children.count() >= 1
    assert page.locator("#chart canvas").count() == 1 or page.locator("#chart").count() == 0

    community = children.first.locator("a").first.inner_text()
    children.first.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(community)
    crumbs = page.locator("nav.crumbs").inner_text()
    assert street.split(" ")[0] in crumbs
    assert "XX市" not in crumbs  # breadcrumbs stop at the user's own area

    grid_link = page.locator("[data-testid=children] tbody tr").first.locator("a").first
    grid = grid_link.inner_text()
    grid_link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(grid)
    residents_figure = page.locator("[data-indicator=residents] .value").inner_text()
    assert int(residents_figure) > 0
    screenshot(page, "street-drilldown-grid")


def test_grid_worker_cannot_reach_another_grid(phone_page, demo_site):
    page = phone_page
    known = demo_site.read(
        "from gridgov.accounts.models import User\n"
        "from gridgov.areas.models import Area, Level\n"
        "from gridgov.people.models import Household\n"
        "own = User._default_manager.select_related('area').get(username='grid')\n"
        "other = User._default_manager.select_related('area').get(username='grid2')\n"
        "h = Household.objects.unscoped('test').filter(area_path__startswith=other.area.path).first()\n"
        "units = Area.objects.unscoped('test').filter(path__startswith=own.area.path, level=Level.UNIT)\n"
        "result = {'own': own.area.name, 'own_id': own.area_id, 'other_id': other.area_id,\n"
        "          'household': h.pk, 'units': list(units.values_list('name', flat=True))}"
    )
    assert known["own_id"] != known["other_id"]

    login(page, demo_site.url, "grid")
    assert known["own"] in page.locator("h1").inner_text()  # the grid worker's own workbench
    screenshot(page, "grid-worker-phone")

    # Typing another grid's address into the browser does not reveal it.
    response = page.goto(f"{demo_site.url}/areas/{known['other_id']}/")
    assert response is not None and response.status == 404
    assert "不在您的管辖范围内" in page.content()
    response = page.goto(f"{demo_site.url}/people/households/{known['household']}/")
    assert response is not None and response.status == 404

    # Their own resident list shows only their own grid's people.
    page.goto(demo_site.url)
    page.click("nav.nav a:text-is('居民')")
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-testid=residents] tbody tr")
    assert rows.count() > 0
    text = rows.first.inner_text()
    assert any(unit in text for unit in known["units"])
