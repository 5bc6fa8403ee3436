"""The points loop as the people of the demo city do it, through the rendered forms: the resident (on a
phone) signs up for an activity and reports hours, the community worker approves them, the resident sees
the points and shows the QR code, the merchant mistypes, then redeems the code; the balance follows.

The demo database is shared by every browser test: balances are read from the page before and after."""

from __future__ import annotations

import re

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _click_nav(page, label: str) -> None:
    with page.expect_navigation():
        page.locator("nav a", has_text=label).first.click()


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _balance(phone) -> int:
    _click_nav(phone, "我的积分")
    return int(phone.locator("[data-testid=balance]").inner_text().strip())


def test_resident_earns_points_and_a_merchant_redeems_them(page, phone_page, demo_site):
    phone, desk = phone_page, page

    # 1. the resident, on the phone: balance, then sign up for an upcoming activity
    login(phone, demo_site.url, "resident")
    before = _balance(phone)
    name = phone.locator("[data-testid=resident-name]").inner_text().strip()
    _click_nav(phone, "活动报名")
    item = phone.locator("[data-testid=open-activities] > li").first
    title = item.locator("[data-testid=activity-title]").inner_text().strip()
    with phone.expect_navigation():
        item.locator("[data-testid=sign-up]").click()
    assert "已报名" in phone.locator(".messages").inner_text()
    mine = phone.locator("[data-testid=my-activities] tbody tr", has_text=title)
    assert mine.count() >= 1 and "已报名" in mine.first.inner_text()

    # 2. ... and report 1.5 hours served at an activity that has taken place
    option = phone.locator("select[name=activity] option").first
    reported = option.inner_text().split(" · ")[0].strip()
    phone.select_option("select[name=activity]", option.get_attribute("value"))
    phone.fill("input[name=hours]", "1.5")
    phone.fill("input[name=note]", "帮忙搬运物资")
    _submit(phone, "[data-testid=report]")
    assert "已申报" in phone.locator(".messages").inner_text()
    assert (
        "待审核"
        in phone.locator("[data-testid=my-activities] tbody tr", has_text=reported).first.inner_text()
    )
    screenshot(phone, "journey-points-reported")

    # 3. the community worker approves it on the approvals page
    login(desk, demo_site.url, "worker")
    _click_nav(desk, "积分")
    row = desk.locator("[data-testid=approvals] tbody tr", has_text=name).filter(has_text=reported).first
    assert "90" in row.inner_text() and "自主申报" in row.inner_text()
    with desk.expect_navigation():
        row.locator("button[value=approve]").click()
    granted = int(re.search(r"发放 (\d+) 积分", desk.locator(".messages").inner_text()).group(1))
    assert granted > 0

    # 4. the resident sees the points, then opens the code page: a QR code and a 6-digit code
    assert _balance(phone) == before + granted
    _click_nav(phone, "出示积分码")
    assert phone.locator("[data-testid=qr] svg").is_visible()
    _submit(phone, "[data-testid=otc-button]")
    code = phone.locator("[data-testid=otc]").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    screenshot(phone, "journey-points-code")

    # 5. the merchant mistypes the code: the refusal is shown and what was typed is kept
    login(desk, demo_site.url, "merchant")
    _click_nav(desk, "积分核销")
    options = desk.locator("[data-testid=scenario] option")
    other = options.nth(1).get_attribute("value")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    desk.fill("[data-testid=code-input]", wrong)
    desk.select_option("[data-testid=scenario]", other)
    _submit(desk, "[data-testid=redeem]")
    assert "核销码无效" in desk.locator(".messages").inner_text()
    assert desk.input_value("[data-testid=code-input]") == wrong
    assert desk.input_value("[data-testid=scenario]") == other

    # 6. ... then types the right code, keeps the first (default) scenario and redeems
    first = options.first
    price = int(re.search(r"(\d+) 分", first.inner_text()).group(1))
    desk.fill("[data-testid=code-input]", code)
    desk.select_option("[data-testid=scenario]", first.get_attribute("value"))
    _submit(desk, "[data-testid=redeem]")
    assert "核销成功" in desk.locator(".messages").inner_text()
    screenshot(desk, "journey-points-redeemed")

    # 7. the resident's balance dropped by the price
    assert _balance(phone) == before + granted - price


# Rendered axis labels of an ECharts chart (zrender text elements) and the pairs whose boxes overlap.
_OVERLAPS = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const labels = chart.getZr().storage.getDisplayList().filter(
    (el) => el.type === "tspan" && el.style && el.style.text && !el.ignore && !el.invisible
      && el.parent && String(el.parent.anid || "").startsWith("label_") && !el.parent.ignore);
  // each label's box as drawn (rotated): four corners through its transform
  const quads = labels.map((el) => {
    const r = el.getBoundingRect();
    const m = el.getComputedTransform() || [1, 0, 0, 1, 0, 0];
    const at = (x, y) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
    return { text: el.style.text, pts: [at(r.x, r.y), at(r.x + r.width, r.y),
      at(r.x + r.width, r.y + r.height), at(r.x, r.y + r.height)] };
  });
  // separating axis test for two convex quadrilaterals (touching edges do not count)
  const apart = (a, b) => [a, b].some((q) => q.some((p, i) => {
    const n = q[(i + 1) % 4], ax = [p[1] - n[1], n[0] - p[0]];
    const proj = (pts) => pts.map((v) => v[0] * ax[0] + v[1] * ax[1]);
    const pa = proj(a), pb = proj(b);
    return Math.max(...pa) <= Math.min(...pb) + 0.5 || Math.max(...pb) <= Math.min(...pa) + 0.5;
  }));
  const hits = [];
  for (let i = 0; i < quads.length; i++)
    for (let j = i + 1; j < quads.length; j++)
      if (!apart(quads[i].pts, quads[j].pts)) hits.push([quads[i].text, quads[j].text]);
  return { count: quads.length, hits };
}"""


def test_chart_labels_do_not_overlap_on_a_phone(phone_page, demo_site):
    phone = phone_page
    login(phone, demo_site.url, "secretary")
    # the community's drill-down (one bar per grid) and the points report (issued/redeemed per grid)
    _click_nav(phone, "区域网格")
    phone.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart'))"
    )
    result = phone.evaluate(_OVERLAPS, "chart")
    assert result["count"] >= 2 and result["hits"] == [], result
    _click_nav(phone, "积分")
    _click_nav(phone, "积分报表")
    phone.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('by-area'))"
    )
    phone.wait_for_timeout(300)
    result = phone.evaluate(_OVERLAPS, "by-area")
    assert result["count"] >= 2 and result["hits"] == [], result
    screenshot(phone, "journey-points-report-phone")
