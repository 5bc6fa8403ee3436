"""Everyday work on events and red property, through the rendered forms of the shared demo site:

(a) the grid worker logs a patrol on the phone whose finding becomes a work order in its queue;
(b) a resident reports a neighbour dispute on the phone, the place picker on their own address, and
    follows it under 我的上报;
(c) the community accepts and dispatches such a report to the pre-selected grid, the grid worker
    handles it, the community verifies and closes it;
(d) the property company sees only its own work orders, handles one dispatched to it and sees its rank.

Titles carry a random suffix: the site's database is shared by every browser test of the session.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _unique(text: str) -> str:
    return f"{text}{uuid.uuid4().hex[:6]}"


def _logout(page) -> None:
    with page.expect_navigation():
        page.click("text=退出")


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("networkidle")


def _nav(page, label: str) -> None:
    """Follow a link of the top navigation."""
    with page.expect_navigation():
        page.locator("nav.nav a", has_text=label).first.click()
    page.wait_for_load_state("networkidle")


def _report(page, base_url: str, category: str, title: str) -> str:
    """As the demo resident on the phone: 我要上报 → the form → submit; returns the place the picker chose."""
    login(page, base_url, "resident")
    with page.expect_navigation():
        page.get_by_role("link", name="我要上报").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=report-form]").count() == 1  # the form, not the list
    chosen = page.inner_text("[data-testid=place-chosen]")
    page.select_option("#id_category", label=category)
    page.fill("#id_address", "楼下")
    page.fill("#id_title", title)
    page.fill("#id_description", "晚上十点后仍有很大声响")
    _submit(page, "[data-testid=submit-report]")
    return chosen


def _open_from_queue(page, title: str, state_label: str | None = None) -> None:
    """From the queue (optionally filtered by a state), open the row with this title."""
    _nav(page, "事件工单")
    if state_label is not None:
        page.select_option("#queue-state", label=state_label)
        _submit(page, "form.filters button")
    row = page.locator("[data-testid=queue] tbody tr", has_text=title)
    assert row.count() == 1, title
    with page.expect_navigation():
        row.locator("a").first.click()
    page.wait_for_load_state("networkidle")


def _act(page, action: str, **fields: str) -> None:
    form = page.locator(f"form[data-action={action}]")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    _submit(page, f"[data-testid=do-{action}]")


def _state(page) -> str:
    return page.inner_text("[data-testid=state]")


def test_grid_worker_logs_a_patrol_whose_finding_becomes_a_work_order(phone_page, demo_site):
    page = phone_page
    finding = _unique("楼道堆放纸箱")
    login(page, demo_site.url, "grid")
    _nav(page, "巡查走访")
    page.select_option("#id_kind", label="巡查")
    # the picker starts on the worker's own grid and offers its buildings
    assert "第1网格" in page.inner_text("[data-testid=place-chosen]")
    buildings = page.locator("[data-testid=place-6] option").all_inner_texts()[1:]
    assert buildings and all(re.fullmatch(r"\d+号楼", b) for b in buildings)
    page.select_option("[data-testid=place-6]", label=buildings[0])
    expect(page.locator("[data-testid=place-chosen]")).to_contain_text(buildings[0])
    page.fill("#id_place", "东侧楼道")
    page.fill("#id_findings", finding)
    page.check("#id_report")
    page.select_option("#id_category", label="垃圾清运")
    _submit(page, "[data-testid=submit-patrol]")
    message = page.inner_text(".messages")
    number = re.search(r"SJ\d{15}", message)
    assert number, message
    assert finding[:30] in page.inner_text("[data-testid=patrol-logs]")
    screenshot(page, "journey-events-patrol")
    _nav(page, "事件工单")
    row = page.locator("[data-testid=queue] tbody tr", has_text=number.group(0))
    assert row.count() == 1
    assert finding in row.inner_text() and "已上报" in row.inner_text() and buildings[0] in row.inner_text()


def test_resident_reports_a_dispute_and_follows_it(phone_page, demo_site):
    page = phone_page
    title = _unique("楼上深夜噪音")
    chosen = _report(page, demo_site.url, "邻里纠纷", title)
    # the picker started on the resident's own household unit
    assert re.search(r"号楼 · \d+单元", chosen), chosen
    assert _state(page) == "已上报"
    assert page.inner_text("[data-testid=place]").startswith(
        re.split("[:：]", chosen, maxsplit=1)[-1].strip()
    )
    screenshot(page, "journey-events-reported")
    with page.expect_navigation():
        page.get_by_role("link", name="我的上报").first.click()
    item = page.locator("[data-testid=my-events] li", has_text=title)
    assert item.count() == 1
    assert item.locator("[data-testid=event-state]").inner_text() == "已上报"


def test_community_dispatches_grid_handles_community_closes(page, phone_page, demo_site):
    title = _unique("邻居装修噪音")
    _report(phone_page, demo_site.url, "邻里纠纷", title)

    # the community worker accepts and dispatches to the target the form pre-selects (the report's grid)
    login(page, demo_site.url, "worker")
    _open_from_queue(page, title, "已上报")
    _act(page, "accept")
    assert _state(page).startswith("已受理")
    form = page.locator("form[data-action=dispatch]")
    assert form.locator("label[for=dispatch-kind]").inner_text() == "派遣对象类型"
    assert form.locator("#dispatch-kind option:checked").inner_text() == "网格"
    grid = form.locator("#dispatch-area option:checked").inner_text()
    assert "第1网格" in grid, grid
    _submit(page, "[data-testid=do-dispatch]")
    assert _state(page).startswith("已派遣")
    assert "第1网格" in page.inner_text("[data-testid=assignee]")
    _logout(page)

    # the grid's worker handles it
    login(page, demo_site.url, "grid")
    _open_from_queue(page, title)
    _act(page, "start")
    _act(page, "finish", result="已上门调解,双方约定施工时间")
    assert _state(page).startswith("已处置")
    _logout(page)

    # the community verifies and closes it
    login(page, demo_site.url, "worker")
    _open_from_queue(page, title, "已处置")
    _act(page, "verify")
    _act(page, "close")
    assert _state(page).startswith("已结案")
    screenshot(page, "journey-events-closed")
    trail = page.inner_text("[data-testid=trail]")
    for step in ("已上报", "已受理", "已派遣", "处置中", "已处置", "已核查", "已结案"):
        assert step in trail, step


def test_property_company_sees_its_own_orders_handles_one_and_sees_its_rank(page, phone_page, demo_site):
    # who the company is, as its own pages say
    login(page, demo_site.url, "property")
    _nav(page, "事件工单")
    company = page.inner_text("h1 [data-testid=company-name]")
    assert company
    _logout(page)

    # a resident reports a broken lift; the community dispatches it to that company
    title = _unique("电梯按钮失灵")
    _report(phone_page, demo_site.url, "电梯故障", title)
    login(page, demo_site.url, "worker")
    _open_from_queue(page, title, "已上报")
    _act(page, "accept")
    form = page.locator("form[data-action=dispatch]")
    companies = form.locator("#dispatch-unit option").all_inner_texts()[1:]
    others = set(companies) - {company}
    assert company in companies and others
    page.select_option("#dispatch-kind", label="物业企业")
    page.select_option("#dispatch-unit", label=company)
    _submit(page, "[data-testid=do-dispatch]")
    assert company in page.inner_text("[data-testid=assignee]")
    _logout(page)

    # the company's queue holds its own orders only: none handled by another company
    login(page, demo_site.url, "property")
    _nav(page, "事件工单")
    page.select_option("#queue-state", label="全部")
    _submit(page, "form.filters button")
    assignees = page.locator("[data-testid=queue] tbody td[data-col=assignee]").all_inner_texts()
    assert assignees and not (set(assignees) & others), set(assignees) & others
    _open_from_queue(page, title, "已派遣")
    _act(page, "start")
    _act(page, "finish", result="已更换电梯按钮面板")
    assert _state(page).startswith("已处置")
    screenshot(page, "journey-events-property-handled")

    # and its own rank
    _nav(page, "事件工单")
    with page.expect_navigation():
        page.click("[data-testid=my-company-link]")
    assert page.inner_text("h1[data-testid=company-name]") == company
    rank = page.inner_text("[data-testid=my-rank]")
    assert re.search(r"第 \d+ 名 / \d+", rank), rank
    assert page.locator("[data-testid=my-scores] tbody tr").count() >= 1
    screenshot(page, "journey-events-property-rank")
