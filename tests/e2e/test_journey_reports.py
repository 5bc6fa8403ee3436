"""指标总表 as a street administrator uses it: open it from the navigation (the generator's last step left
current snapshots), change the period to last month, and download the breakdown as xlsx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _go(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("networkidle")


def test_street_user_opens_the_table_changes_the_period_and_exports(demo_site, page):
    login(page, demo_site.url, "street")
    _go(page, page.get_by_role("navigation", name="主导航").get_by_role("link", name="指标总表", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("指标总表")
    expect(page.get_by_test_id("computed")).to_contain_text("计算于")  # the generator refreshed them
    expect(page.locator("tr[data-indicator=residents]")).to_be_visible()
    expect(page.get_by_test_id("breakdown")).to_be_visible()

    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    page.get_by_test_id("period").fill(last_month)
    _go(page, page.get_by_test_id("period-form").get_by_role("button", name="查看"))
    assert f"period={last_month}" in page.url
    expect(page.get_by_test_id("period")).to_have_value(last_month)
    expect(page.get_by_test_id("computed")).to_contain_text(last_month)
    screenshot(page, "reports-table")

    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    download = info.value
    assert download.suggested_filename.endswith(f"-{last_month}.xlsx")
    with open(download.path(), "rb") as handle:
        rows = list(
            load_workbook(io.BytesIO(handle.read()), read_only=True).worksheets[0].iter_rows(values_only=True)
        )
    assert rows[0][:2] == ("区域", "区划代码")
    breakdown = page.locator("[data-testid=breakdown] tbody tr")
    assert len(rows) == 2 + breakdown.count()  # header, the street, one row per community
