"""积分联奖惩 as the secretary does it: link a committee member to two grids (from last month on), open 月度结算,
see the member share both grids' scores in the preview, confirm, and find the performance pay and where it
came from on the payroll page.

The demo generator closes the twelve months before last month and leaves last month open for this button."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _go(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("networkidle")


def _first_of_last_month() -> dt.date:
    # the demo site runs in the platform's time zone (Asia/Shanghai): read "today" the same way
    from django.utils import timezone

    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def test_secretary_links_grids_closes_the_month_and_sees_the_pay(demo_site, page):
    login(page, demo_site.url, "secretary")

    # 1. link a committee member to two grids, from the first day of last month
    _go(page, page.get_by_role("navigation", name="主导航").get_by_role("link", name="队伍", exact=True))
    _go(page, page.get_by_role("link", name="人员名册"))
    page.select_option("select[name=post]", label="两委委员")
    _go(page, page.get_by_role("button", name="查询"))
    names = page.locator("[data-testid=staff] tbody tr td:first-child a")
    member, chosen = "", []
    for k in range(names.count()):
        candidate = names.nth(k).inner_text().strip()
        _go(page, names.nth(k))
        options = page.locator("[data-testid=link-form] select[name=grid] option")
        free = [t.strip() for t in options.all_inner_texts() if t.strip() and "---" not in t]
        if len(free) >= 2:
            member, chosen = candidate, free[:2]
            break
        page.go_back()
        page.wait_for_load_state("networkidle")
    assert chosen, "no committee member with two grids still to link"
    start = _first_of_last_month()
    for grid in chosen:
        form = page.locator("[data-testid=link-form]")
        form.locator("select[name=grid]").select_option(label=grid)
        form.locator("input[name=on]").fill(start.isoformat())
        form.locator("input[name=reason]").fill("月度结算旅程")
        _go(page, form.get_by_role("button", name="挂包"))
        expect(page.get_by_text("已挂包联系该网格")).to_be_visible()

    # 2. the month close page: last month is open; the member shares both grids' scores
    _go(page, page.get_by_role("navigation", name="主导航").get_by_role("link", name="积分", exact=True))
    _go(page, page.get_by_test_id("points-nav").get_by_role("link", name="月度结算"))
    expect(page.locator("[data-testid=month-close-filter] input[name=month]")).to_have_value(f"{start:%Y-%m}")
    row = page.locator("[data-testid=staff-preview] tbody tr").filter(has_text=member)
    expect(row.first).to_be_visible()
    for grid in chosen:
        expect(row.first).to_contain_text(grid)
    amount = row.first.locator("[data-testid=amount]").inner_text().strip()
    screenshot(page, "month-close-preview")

    # 3. confirm: the month is closed once, and the button is gone
    _go(page, page.locator("[data-testid=close-form]").get_by_role("button", name="确认结算"))
    expect(page.get_by_text("已结算,绩效工资已写入工资表")).to_be_visible()
    expect(page.locator("[data-testid=closed]")).to_be_visible()
    expect(page.locator("[data-testid=close-form]")).to_have_count(0)

    # 4. the payroll: the member's performance pay is the previewed amount, with where it came from
    _go(page, page.get_by_test_id("payroll-link"))
    expect(page.get_by_test_id("performance-source")).to_contain_text("积分联奖惩月度结算")
    line = page.locator("tbody tr").filter(has_text=member).first
    expect(line.locator("[data-testid=performance-pay]")).to_have_text(amount)
    expect(line).to_contain_text("积分")
    screenshot(page, "month-close-payroll")
