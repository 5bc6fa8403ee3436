"""Figures that agree, as people read them: the secretary follows a failing party check to its grid, the
city user exports the party and workforce figures, and on a phone the tables keep their figures in view.

Everything goes through the rendered pages: nav links, the checks table, row links, export buttons. Each
headline figure is compared with its per-child table on the same page (sum where the column is additive;
otherwise between the largest child and the sum, with the counting rule printed under the table) and
with the exported file. The demo database is shared: numbers are read off the pages, never assumed.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from gridgov.core import indicators

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _nav(page, label: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("networkidle")


def _number(text: str) -> float | None:
    """A figure as pages write it (core.indicators.format_value): "—" where a ratio has no value."""
    text = text.strip()
    return None if text == "—" else float(text)


def _tiles(page) -> dict[str, float | None]:
    out = {}
    for tile in page.locator(".figures .figure").all():
        out[tile.get_attribute("data-indicator")] = _number(tile.locator(".value").inner_text())
    return out


def _table(page) -> tuple[dict[str, bool], list[dict[str, int]], list[str]]:
    """({column: additive}, [{column: value} per child row], [child names]) of the children's table."""
    table = page.locator("[data-testid=children]")
    columns = {
        th.get_attribute("data-indicator"): th.get_attribute("data-additive") == "1"
        for th in table.locator("thead th[data-indicator]").all()
    }
    rows, names = [], []
    for tr in table.locator("tbody tr").all():
        names.append(tr.locator("td").first.inner_text().strip())
        rows.append(
            {
                td.get_attribute("data-indicator"): _number(td.inner_text())
                for td in tr.locator("td[data-indicator]").all()
            }
        )
    return columns, rows, names


def _assert_headlines_agree_with_table(page) -> tuple[dict[str, int], dict[str, bool], list[dict[str, int]]]:
    tiles = _tiles(page)
    columns, rows, _names = _table(page)
    assert columns and rows, "a figures page above the grid shows its children's table"
    for code, additive in columns.items():
        values = [r[code] for r in rows]
        if additive:
            assert sum(values) == tiles[code], (
                f"{code}: children sum to {sum(values)}, headline {tiles[code]}"
            )
        elif not indicators.get(code).derived:  # a share or ratio is its own node's, bounded by nothing
            assert max(values) <= tiles[code] <= sum(values), code
    if not all(columns.values()):
        expect(page.locator("[data-testid=breakdown-notes]")).to_be_visible()
    return tiles, columns, rows


def _export(page) -> list[tuple]:
    with page.expect_download() as info:
        page.click("[data-testid=export]")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(open(download.path(), "rb").read()), read_only=True)  # noqa: SIM115
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def _check_file_against_page(sheet: list[tuple], tiles, columns, rows, labels: dict[str, str]) -> None:
    header, total = sheet[0], sheet[1]
    assert total[header.index("行")] == "合计"
    children = [r for r in sheet[2:] if r[header.index("行")] == "下级"]
    assert len(children) == len(rows)
    for code, value in tiles.items():
        col = header.index(labels[code])
        assert total[col] == value, f"{code}: file {total[col]}, page {value}"
        if columns.get(code):
            assert sum(r[col] for r in children) == value, code
            assert [r[col] for r in children] == [r[code] for r in rows], code


def _labels(page) -> dict[str, str]:
    """Each tile's label as the export heads its column: "网格党支部(个)"."""
    return {
        tile.get_attribute("data-indicator"): tile.locator(".label").inner_text().strip()
        for tile in page.locator(".figures .figure").all()
    }


def test_secretary_follows_a_failing_check_to_its_grid(page, demo_site):
    login(page, demo_site.url, "secretary")
    _nav(page, "党组织")
    expect(page.locator("h1")).to_contain_text("五级党组织网络")
    tiles, columns, rows = _assert_headlines_agree_with_table(page)
    _cols, _rows, grid_names = _table(page)
    by_grid = dict(zip(grid_names, rows, strict=True))
    # The branches are counted by covered grid: a joint branch shows in every grid it covers.
    assert columns["party_grid_branches"] is False
    assert sum(1 for r in rows if r["party_grid_branches"] > 0) >= tiles["party_grid_branches"]

    page.click("text=全部检查及问题数")
    page.wait_for_load_state("networkidle")
    failing = page.locator("[data-check=grids_without_branch] [data-testid=check-count]")
    missing = int(failing.inner_text())
    assert missing == sum(1 for r in rows if r["party_grid_branches"] == 0)
    assert missing > 0, "the demo leaves a grid of the secretary's community without a branch"
    screenshot(page, "figures-secretary-checks")

    page.click("[data-check=grids_without_branch] a")
    page.wait_for_load_state("networkidle")
    problem_rows = page.locator("[data-testid=check-rows] tbody tr")
    assert problem_rows.count() == missing
    grid_name = problem_rows.first.locator("a").inner_text().strip()
    assert by_grid[grid_name]["party_grid_branches"] == 0

    problem_rows.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text(grid_name)
    grid_tiles = _tiles(page)
    assert grid_tiles["party_grid_branches"] == 0  # the same problem, seen on the grid's own page
    # The grid's 党员 here is the same figure as in the party page's row for this grid.
    assert grid_tiles["party_members"] == by_grid[grid_name]["party_members"]
    screenshot(page, "figures-secretary-grid")


def test_city_user_exports_party_and_workforce_figures(page, demo_site):
    login(page, demo_site.url, "city")
    for nav, heading in [("党组织", "五级党组织网络"), ("队伍", "社区工作者队伍")]:
        _nav(page, nav)
        expect(page.locator("h1")).to_contain_text(heading)
        tiles, columns, rows = _assert_headlines_agree_with_table(page)
        sheet = _export(page)
        _check_file_against_page(sheet, tiles, columns, rows, _labels(page))
        # One level down (a district, through its link in the table): the same agreement.
        page.locator("[data-testid=children] tbody tr a").first.click()
        page.wait_for_load_state("networkidle")
        tiles, columns, rows = _assert_headlines_agree_with_table(page)
        _check_file_against_page(_export(page), tiles, columns, rows, _labels(page))
        screenshot(page, f"figures-city-{nav}")


def test_phone_tables_keep_their_figures_in_view(phone_page, demo_site):
    page = phone_page
    login(page, demo_site.url, "secretary")
    width = page.viewport_size["width"]
    _nav(page, "队伍")
    page.click("text=全部检查及问题数")
    page.wait_for_load_state("networkidle")
    count_header = page.locator("[data-testid=checks] thead th").last
    expect(count_header).to_have_text("问题数")
    box = count_header.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width, "问题数 runs off the right edge"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, "figures-phone-workforce-checks")

    page.go_back()
    page.wait_for_load_state("networkidle")
    total = page.locator("[data-testid=children-total] td.num").last
    box = total.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width, "the per-grid figures run off the right edge"
    page.click("text=人员名册")
    page.wait_for_load_state("networkidle")
    grade = page.locator("[data-testid=staff] thead th").filter(has_text="薪级")
    box = grade.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, "figures-phone-staff")
