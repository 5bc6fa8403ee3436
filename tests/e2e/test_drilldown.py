from __future__ import annotations

import pytest

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.people.models import Household

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_user_drills_down_to_a_grid(page, live_server, small_city):
    street_user = User._default_manager.select_related("area").get(username="street")
    community = (
        Area.objects.unscoped("test")
        .filter(parent=street_user.area, level=Level.COMMUNITY)
        .order_by("path")
        .first()
    )
    grid = Area.objects.unscoped("test").filter(parent=community, level=Level.GRID).order_by("path").first()

    login(page, live_server.url, "street")
    assert page.locator("h1").inner_text().startswith(street_user.area.name)
    # The street page lists its communities with figures and draws the chart.
    assert page.locator("[data-testid=children] tbody tr").count() >= 1
    assert page.locator("#chart canvas").count() == 1 or page.locator("#chart").count() == 0

    page.click(f"[data-testid=children] a:text-is('{community.name}')")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(community.name)
    crumbs = page.locator("nav.crumbs").inner_text()
    assert street_user.area.name in crumbs
    assert "XX市" not in crumbs  # breadcrumbs stop at the user's own area

    page.click(f"[data-testid=children] a:text-is('{grid.name}')")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(grid.name)
    residents_figure = page.locator("[data-indicator=residents] .value").inner_text()
    assert int(residents_figure) > 0
    screenshot(page, "street-drilldown-grid")


def test_grid_worker_cannot_reach_another_grid(phone_page, live_server, small_city):
    page = phone_page
    own = User._default_manager.select_related("area").get(username="grid")
    other = User._default_manager.select_related("area").get(username="grid2")
    assert own.area_id != other.area_id

    login(page, live_server.url, "grid")
    assert page.locator("h1").inner_text().startswith(own.area.name)
    screenshot(page, "grid-worker-phone")

    response = page.goto(f"{live_server.url}/areas/{other.area_id}/")
    assert response is not None and response.status == 404
    assert "不在您的管辖范围内" in page.content()

    other_household = Household.objects.unscoped("test").filter(area_path__startswith=other.area.path).first()
    response = page.goto(f"{live_server.url}/people/households/{other_household.pk}/")
    assert response is not None and response.status == 404

    # Their own resident list shows only their own grid's people.
    page.goto(f"{live_server.url}/people/residents/")
    addresses = page.locator("[data-testid=residents] tbody tr td:nth-child(6)").all_inner_texts()
    assert addresses
    own_units = set(
        Area.objects.unscoped("test")
        .filter(path__startswith=own.area.path, level=Level.UNIT)
        .values_list("name", flat=True)
    )
    assert all(text.rsplit(" ", 1)[0] in own_units for text in addresses)
