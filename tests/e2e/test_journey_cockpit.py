"""数据大屏 as the city and a street administrator use it: open it from 指标总表, read the tiles, colour the map
by another indicator, click a district on the map to drill down and come back by the breadcrumbs; a street
user sees only their street. At 1920×1080 (both) and on a 1366×768 laptop (the street user); no failed
request, no request leaving the site, no console error, and the page refreshes itself without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

FULL_HD = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}

EXPECTED = """
from gridgov.accounts.models import User
from gridgov.core import indicators
from gridgov.reports import queries
def view(username):
    user = User._default_manager.select_related('area').get(username=username)
    t = queries.table(user.area)
    return {
        'area': user.area.name, 'area_id': user.area_id,
        'tiles': {c: indicators.format_value(c, t.values[c]) for c in t.codes},
        'children': [ch.name for ch in t.children],
    }
result = {'city': view('city'), 'street': view('street')}
"""

# Every figure marked as a total on the page against its parts (as tests/e2e/test_crawl.py checks them).
FIGURES = """() => {
  const num = (el) => parseFloat(el.getAttribute('data-value'));
  const out = [];
  for (const tile of document.querySelectorAll('[data-total]')) {
    const key = tile.getAttribute('data-total');
    const parts = [...document.querySelectorAll(`[data-part-of="${key}"]`)].map(num);
    out.push({key, total: num(tile.querySelector('.value')), sum: parts.reduce((a, b) => a + b, 0), n: parts.length});
  }
  return out;
}"""

# The screen position of a child's polygon on the map (the middle of its outline), through ECharts' own
# projection, so the test clicks where a person would.
CHILD_ON_MAP = """([name, feature]) => {
  const el = document.querySelector('[data-testid=map]');
  const chart = echarts.getInstanceByDom(el);
  const ring = feature.geometry.type === 'Polygon' ? feature.geometry.coordinates[0] : feature.geometry.coordinates[0][0];
  const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
  const middle = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  return chart.convertToPixel({seriesIndex: 0}, middle);
}"""


def _context(chromium, viewport):
    context = chromium.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _watch(page, site_url: str) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} ({r.failure})"))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((site_url, "data:", "blob:")) else problems.append(f"external: {r.url}")
        ),
    )
    page.on("response", lambda r: problems.append(f"{r.url} → {r.status}") if r.status >= 400 else None)
    return problems


def _open_from_the_table(page) -> None:
    with page.expect_navigation():
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="指标总表", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="数据大屏").click()
    expect(page.locator("#cockpit")).to_have_attribute("data-ready", "1")


def _loads(page) -> int:
    return int(page.locator("#cockpit").get_attribute("data-loads") or 0)


def _after_load(page, before: int) -> None:
    page.wait_for_function(f"() => Number(document.querySelector('#cockpit').dataset.loads) > {before}")


def _figures_agree(page) -> None:
    figures = page.evaluate(FIGURES)
    assert figures, "the chosen indicator's total is marked with its parts"
    for f in figures:
        assert f["n"] > 0 and abs(f["total"] - f["sum"]) < 0.01, f


def _fits(page, viewport) -> None:
    """One screen: no scrolling, every panel inside the window."""
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= viewport["width"] and size[1] <= viewport["height"], size
    for panel in page.locator(".ck-panel").all():
        box = panel.bounding_box()
        assert box is not None and box["height"] > 100 and box["y"] + box["height"] <= viewport["height"] + 1


def test_city_user_opens_the_cockpit_recolours_drills_down_and_comes_back(chromium, demo_site):
    expected = demo_site.read(EXPECTED)["city"]
    context, page = _context(chromium, FULL_HD)
    page.clock.install()  # the minute's refresh, without waiting a minute
    problems = _watch(page, demo_site.url)
    try:
        login(page, demo_site.url, "city")
        _open_from_the_table(page)
        expect(page.get_by_test_id("area-name")).to_have_text(expected["area"])
        for code in ("residents", "grids", "party_members"):
            tile = page.locator(f".ck-tile[data-code={code}] .value")
            expect(tile).to_have_text(expected["tiles"][code])
        assert page.locator(".ck-tile").count() >= 5
        assert int(page.locator("#cockpit").get_attribute("data-map-features") or 0) == len(
            expected["children"]
        )
        expect(page.get_by_test_id("computed")).to_contain_text("计算于")  # the generator left snapshots
        ranking = page.get_by_test_id("ranking").locator("li")
        expect(ranking).to_have_count(len(expected["children"]))
        _figures_agree(page)
        _fits(page, FULL_HD)
        screenshot(page, "cockpit-city-1920")

        # Another indicator in the select: the map, the ranking and the total follow.
        before = _loads(page)
        page.get_by_test_id("indicator").select_option("households")
        _after_load(page, before)
        expect(page.locator(".ck-tile.is-chosen")).to_have_attribute("data-code", "households")
        expect(page.get_by_test_id("map-total")).to_contain_text(expected["tiles"]["households"])
        _figures_agree(page)
        assert "code=households" in page.url

        # It refreshes itself: a minute later the data is fetched again, the page is not reloaded.
        page.evaluate("() => { window.__kept = 1; }")
        before = _loads(page)
        page.clock.run_for(61_000)
        _after_load(page, before)
        assert page.evaluate("() => window.__kept") == 1

        # The trends: twelve months of each periodic indicator, one at a time.
        data = page.request.get(f"{demo_site.url}/api/reports/cockpit/?area={expected['area_id']}").json()
        trend = page.get_by_test_id("trend-indicator")
        series = [s["code"] for s in data["trends"]["series"]]
        assert trend.locator("option").count() == len(series) > 0
        trend.select_option(series[-1])
        months = page.evaluate(
            "() => echarts.getInstanceByDom(document.querySelector('[data-testid=trend]')).getOption().xAxis[0].data"
        )
        assert months == data["trends"]["months"] and len(months) == 12

        # Click a district on the map: the cockpit is now the district's.
        feature = data["geojson"]["features"][0]
        district = next(c["name"] for c in data["children"] if str(c["id"]) == feature["properties"]["name"])
        x, y = page.evaluate(CHILD_ON_MAP, [district, feature])
        box = page.get_by_test_id("map").bounding_box()
        assert box is not None
        before = _loads(page)
        page.mouse.click(box["x"] + x, box["y"] + y)
        _after_load(page, before)
        expect(page.get_by_test_id("area-name")).to_have_text(district)
        crumbs = page.get_by_test_id("crumbs")
        expect(crumbs).to_contain_text(expected["area"])
        expect(crumbs).to_contain_text(district)
        assert page.get_by_test_id("ranking").locator("li").count() > 0
        _figures_agree(page)
        screenshot(page, "cockpit-district-1920")

        # Back up by the breadcrumb.
        before = _loads(page)
        crumbs.get_by_role("link", name=expected["area"]).click()
        _after_load(page, before)
        expect(page.get_by_test_id("area-name")).to_have_text(expected["area"])
    finally:
        context.close()
    assert not problems, problems


@pytest.mark.parametrize("viewport", [FULL_HD, LAPTOP], ids=["1920x1080", "1366x768"])
def test_street_user_sees_only_their_street(chromium, demo_site, viewport):
    expected = demo_site.read(EXPECTED)
    street, city = expected["street"], expected["city"]
    context, page = _context(chromium, viewport)
    problems = _watch(page, demo_site.url)
    try:
        login(page, demo_site.url, "street")
        _open_from_the_table(page)
        expect(page.get_by_test_id("area-name")).to_have_text(street["area"])
        expect(page.get_by_test_id("crumbs")).to_have_text(street["area"])  # nothing above their own street
        names = page.get_by_test_id("ranking").locator("li a, li span:nth-child(2)").all_inner_texts()
        assert sorted(names) == sorted(street["children"])
        expect(page.locator(".ck-tile[data-code=residents] .value")).to_have_text(
            street["tiles"]["residents"]
        )
        _figures_agree(page)
        _fits(page, viewport)
        screenshot(page, f"cockpit-street-{viewport['width']}")
        # The city's data is not theirs (asked outside the page, so not counted as a failed page request).
        refused = page.request.get(f"{demo_site.url}/api/reports/cockpit/?area={city['area_id']}")
        assert refused.status == 404
    finally:
        context.close()
    assert not problems, problems
