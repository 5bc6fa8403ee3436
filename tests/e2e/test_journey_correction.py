"""A resident on a phone sees what is held on them and asks for their phone number to be corrected; the
community secretary approves it on the request page; the resident then sees the new number and the
decision. Everything through the rendered forms."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _nav(page, label: str) -> None:
    with page.expect_navigation():
        page.locator("nav.nav a", has_text=label).first.click()
    page.wait_for_load_state("networkidle")


def test_resident_asks_for_a_correction_and_the_secretary_approves_it(page, phone_page, demo_site):
    new_phone = f"139{random.randint(10_000_000, 99_999_999)}"
    masked = f"{new_phone[:3]}****{new_phone[-4:]}"

    # the resident, on a phone: 我的信息 shows the record, masked, and the correction form
    login(phone_page, demo_site.url, "resident")
    _nav(phone_page, "我的信息")
    name = phone_page.get_by_test_id("my-name").inner_text().strip()
    assert name
    assert "*" in phone_page.get_by_test_id("held-resident").inner_text()  # the ID number is masked
    form = phone_page.get_by_test_id("my-correction-form")
    form.get_by_label("更正项目").select_option(label="手机号")
    form.get_by_label("正确的内容").fill(new_phone)
    form.get_by_label("理由").fill("换了新号码")
    with phone_page.expect_navigation():
        form.get_by_role("button", name="提交申请").click()
    expect(phone_page.locator(".messages")).to_contain_text("已提交更正申请")
    row = phone_page.get_by_test_id("my-corrections").locator("tbody tr").first
    expect(row).to_contain_text("手机号")
    expect(row).to_contain_text(masked)
    expect(row).to_contain_text("待审核")
    # asking again for the same item is refused on the form, and nothing more is filed
    form = phone_page.get_by_test_id("my-correction-form")
    form.get_by_label("更正项目").select_option(label="手机号")
    form.get_by_label("正确的内容").fill("13700000000")
    form.get_by_label("理由").fill("再提交一次")
    form.get_by_role("button", name="提交申请").click()
    phone_page.wait_for_load_state("networkidle")
    expect(phone_page.get_by_test_id("my-correction-form")).to_contain_text("已有待审核的更正申请")
    expect(phone_page.get_by_test_id("my-corrections").locator("tbody tr", has_text="待审核")).to_have_count(
        1
    )
    screenshot(phone_page, "journey-correction-resident")

    # the secretary: 更正申请 → the request → 同意并更正
    login(page, demo_site.url, "secretary")
    _nav(page, "更正申请")
    pending = page.get_by_test_id("corrections").locator("tbody tr", has_text=masked)
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(name)
    count_before = int(page.get_by_test_id("count-pending").inner_text())
    with page.expect_navigation():
        pending.get_by_role("link", name="手机号").click()
    expect(page.get_by_test_id("requested")).to_have_text(masked)
    decide = page.get_by_test_id("decide")
    decide.get_by_label("同意并更正").check()
    decide.get_by_label("审核意见").fill("已电话核实")
    with page.expect_navigation():
        decide.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("status")).to_have_text("已同意并更正")
    _nav(page, "更正申请")
    assert int(page.get_by_test_id("count-pending").inner_text()) == count_before - 1
    expect(page.get_by_test_id("corrections").locator("tbody tr", has_text=masked)).to_have_count(0)
    screenshot(page, "journey-correction-secretary")

    # the resident sees the corrected number and the decision
    phone_page.reload()
    expect(phone_page.get_by_test_id("my-phone")).to_have_text(masked)
    row = phone_page.get_by_test_id("my-corrections").locator("tbody tr", has_text=masked)
    expect(row).to_contain_text("已同意并更正")
    expect(row).to_contain_text("已电话核实")
