"""A street administrator finds residents through the list page's form and exports what was found.

Everything goes through the rendered page as a person uses it: the nav link, the search box, the area and
tag selects, the 查询 button and the export buttons. What the test needs to know (a real resident's name,
pinyin initials and ID digits) it reads off the pages first. The demo database is shared by every browser
test, so nothing here depends on exact counts another test could change.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from gridgov.core.text import pinyin_pair

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

ROWS = "[data-testid=residents] tbody tr"
MASKED_BIRTH = re.compile(r"^\d{4}-\*\*-\*\*$")


def _open_residents(page) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="居民", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("居民")


def _search(page, text: str) -> None:
    """Type into the search box and press 查询; wait until the address shows the search (the list is swapped)."""
    box = page.locator("[data-testid=resident-search]")
    box.fill("")
    box.type(text)
    page.click("[data-testid=resident-submit]")
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote(text)) + r"(&|$)"))
    page.wait_for_load_state("networkidle")


def _row_named(page, name: str):
    return page.locator(ROWS).filter(has=page.get_by_role("link", name=name, exact=True))


def _total(page) -> int:
    """The "共 N 条" the list shows under its rows."""
    text = page.locator("#rows").inner_text()
    return int(re.search(r"共 (\d+) 条", text).group(1))


def _download(page, button: str) -> list[dict]:
    """Click an export button; if it turned into a background job, follow its progress page to the file."""
    downloads = []

    def keep(download) -> None:
        downloads.append(download)

    page.on("download", keep)
    page.click(button)
    for _ in range(600):
        if downloads or "/jobs/" in page.url:
            break
        page.wait_for_timeout(100)
    if not downloads:
        link = page.get_by_role("link", name="下载结果")
        link.wait_for(timeout=120_000)
        with page.expect_download() as started:
            link.click()
        downloads.append(started.value)
    page.remove_listener("download", keep)
    content = open(downloads[0].path(), "rb").read()  # noqa: SIM115 - read once, closed by GC
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def test_street_user_finds_residents_and_exports_the_list(page, demo_site):
    login(page, demo_site.url, "street")
    _open_residents(page)

    # Learn a real resident from the list: the first row's name, then its masked ID on the detail page.
    first = page.locator(ROWS).first
    name = first.locator("td").first.inner_text().strip()
    first.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")
    masked = page.locator("[data-testid=id-masked]").inner_text().strip()
    tail = masked[-4:]
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", masked)
    page.go_back()
    page.wait_for_load_state("networkidle")
    # The list is ordered by address, so this resident stays first among any rows a search keeps.

    # 1. by name
    _search(page, name)
    expect(_row_named(page, name).first).to_be_visible()
    expect(page.locator(ROWS).first).to_contain_text(name)
    for row_name in page.locator(f"{ROWS} td:first-child").all_inner_texts():
        assert name in row_name
    assert "q=" in page.url  # the address keeps the search (back button, a shared link)

    # 2. by pinyin initials
    _pinyin, initials = pinyin_pair(name)
    _search(page, initials)
    expect(page.locator(ROWS).first).to_contain_text(name)
    found = page.locator(f"{ROWS} td:first-child").all_inner_texts()
    assert all(pinyin_pair(n.strip())[1].startswith(initials) for n in found), found

    # 3. by the last four characters of the ID number
    _search(page, tail)
    expect(page.locator(ROWS).first).to_contain_text(name)
    assert all(c.endswith(tail) for c in page.locator(f"{ROWS} td:nth-child(4) code").all_inner_texts())
    screenshot(page, "journey-street-id-tail")

    # 4. by tag, within one grid chosen in the form, then export exactly that list
    _search(page, "")
    area = page.locator("[data-testid=resident-area]")
    options = area.locator("option")
    grid_label, grid_value = next(
        (label, options.nth(i).get_attribute("value"))
        for i in range(options.count())
        if (label := options.nth(i).inner_text().strip()).endswith("网格")
    )
    area.select_option(value=grid_value)
    page.locator("[data-testid=resident-tag]").select_option(label="党员")
    page.click("[data-testid=resident-submit]")
    expect(page).to_have_url(re.compile(r"[?&]tag=party_member"))
    expect(page.locator(f"{ROWS} td:last-child").filter(has_not_text="党员")).to_have_count(0)
    tag_cells = page.locator(f"{ROWS} td:last-child").all_inner_texts()
    assert tag_cells and all("党员" in cell for cell in tag_cells)
    total = _total(page)
    assert page.locator("[data-testid=filter-errors]").count() == 0
    screenshot(page, "journey-street-tag")

    rows = _download(page, "[data-testid=resident-export]")
    assert len(rows) == total
    for row in rows:
        assert "党员" in row["标签"]
        parts = row["所在区域"].split("/")
        assert len(parts) == 6, row["所在区域"]  # district / street / community / grid / building / unit
        assert parts[3] == grid_label
        assert re.fullmatch(r"\d{20}", str(row["单元编码"]))
        assert MASKED_BIRTH.match(row["出生日期"]), row["出生日期"]
        assert "*" in row["身份证号"]

    # The street administrator may also export the full numbers (audited): then the full birth date.
    if page.url.find("/jobs/") != -1:
        page.go_back()
        page.wait_for_load_state("networkidle")
    unmasked = _download(page, "[data-testid=resident-export-unmasked]")
    assert len(unmasked) == total
    for row in unmasked:
        number = str(row["身份证号"])
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        assert row["出生日期"] == birth
        assert row["所在区域"].split("/")[3] == grid_label


def test_street_user_finds_a_resident_on_a_phone(phone_page, demo_site):
    page = phone_page
    login(page, demo_site.url, "street")
    _open_residents(page)
    name = page.locator(ROWS).nth(1).locator("td").first.inner_text().strip()
    _search(page, name)
    row = _row_named(page, name).first
    expect(row).to_be_visible()
    row.scroll_into_view_if_needed()
    box = row.locator("td").first.bounding_box()
    assert box is not None and 0 <= box["x"] < 390  # the name cell is on screen, not off to the right
    screenshot(page, "journey-street-phone-search")
