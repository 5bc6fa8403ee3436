"""Workforce pages as people use them: the secretary links a committee member to two grids from the staff
page (两委成员联网格) and sees both listed; the city edits the staffing quota rule (总量配备) on its page."""

from __future__ import annotations

import random
import time

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _open_workforce(page) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="队伍", exact=True).click()
    page.wait_for_load_state("networkidle")


def test_secretary_links_a_committee_member_to_two_grids(demo_site, page):
    login(page, demo_site.url, "secretary")
    _open_workforce(page)
    page.get_by_role("link", name="人员名册").click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=post]", label="两委委员")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state("networkidle")
    names = page.locator("[data-testid=staff] tbody tr td:first-child a")
    chosen: list[str] = []
    for k in range(names.count()):
        names.nth(k).click()
        page.wait_for_load_state("networkidle")
        options = page.locator("[data-testid=link-form] select[name=grid] option")
        free = [t.strip() for t in options.all_inner_texts() if t.strip() and "---" not in t]
        if len(free) >= 2:
            chosen = free[:2]
            break
        page.go_back()
        page.wait_for_load_state("networkidle")
    assert chosen, "no committee member with two grids still to link"
    note = f"分片包干{int(time.time())}"
    for grid in chosen:
        form = page.locator("[data-testid=link-form]")
        form.locator("select[name=grid]").select_option(label=grid)
        form.locator("input[name=reason]").fill(note)
        form.get_by_role("button", name="挂包").click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_text("已挂包联系该网格")).to_be_visible()
    table = page.locator("[data-testid=open-links]")
    for grid in chosen:
        row = table.locator("tbody tr").filter(has_text=grid)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(note)
    # the grids are no longer offered for this member
    offered = page.locator("[data-testid=link-form] select[name=grid] option").all_inner_texts()
    assert not set(chosen) & {t.strip() for t in offered}
    screenshot(page, "workforce-links")


def test_city_edits_the_quota_rule(demo_site, page):
    login(page, demo_site.url, "city")
    _open_workforce(page)
    page.get_by_role("link", name="总量配备规则").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("[data-testid=quota-form]")
    name = f"总量配备规则{int(time.time())}"
    year = random.randint(2040, 2090)  # a date no other run used
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=effective_from]").fill(f"{year}-01-01")
    form.locator("input[name=minimum]").fill("50")
    form.locator("input[name=maximum]").fill("40")
    form.get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=quota-form]")).to_contain_text("最少人数不能大于最多人数")
    expect(page.locator("[data-testid=quota-form] input[name=name]")).to_have_value(name)
    expect(page.locator("[data-testid=quota-rules]")).not_to_contain_text(name)
    page.locator("[data-testid=quota-form] input[name=minimum]").fill("8")
    page.locator("[data-testid=quota-form] input[name=households_per_worker]").fill("275")
    page.locator("[data-testid=quota-form]").get_by_role("button", name="保存").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("总量配备规则已保存")).to_be_visible()
    row = page.locator("[data-testid=quota-rules] tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{year}-01-01")
    expect(row).to_contain_text("275")
    screenshot(page, "workforce-quota")
