"""平急结合 as the people of the demo city do it: the street activates a drill for its two communities
through the console (preview, then confirm), a sunk cadre acknowledges on a phone, the live board
updates, the street returns to normal mode and reads the episode's record."""

from __future__ import annotations

import re
import uuid

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _figure(page, testid: str) -> int:
    return int(page.locator(f"[data-testid={testid}]").inner_text().strip())


def test_street_drill_cadre_acknowledges_board_updates_record(page, phone_page, demo_site):
    desk, phone = page, phone_page
    reason = f"防汛演练-{uuid.uuid4().hex[:6]}"

    # 1. the street opens the console from the navigation and picks both communities
    login(desk, demo_site.url, "street")
    with desk.expect_navigation():
        desk.locator("nav a", has_text="平急结合").first.click()
    boxes = desk.locator("input[name=communities]")
    assert boxes.count() == 2
    for i in range(boxes.count()):
        boxes.nth(i).check()
    desk.fill("input[name=reason]", reason)
    desk.select_option("select[name=level]", "4")
    assert desk.locator("input[name=is_drill]").is_checked()
    with desk.expect_navigation():
        desk.click("[data-testid=preview-activation]")
    preview = desk.locator("[data-testid=activation-preview]")
    assert "请确认" in preview.inner_text()
    planned = int(desk.locator("[data-testid=preview-posted]").inner_text())
    assert planned > 0
    screenshot(desk, "emergency-preview")

    # 2. confirm: the live board of the drill
    with desk.expect_navigation():
        desk.click("[data-testid=confirm-activation]")
    assert "演练看板" in desk.locator("h1").inner_text()
    assert _figure(desk, "board-posted") == planned
    acknowledged = _figure(desk, "board-acknowledged")
    board_url = desk.url
    # a function, not an expression string: Playwright evals a string, which the pages' CSP refuses
    desk.wait_for_function("() => document.querySelector('#board-chart canvas') !== null")

    # 3. a sunk cadre, on the phone: the post, whom to report to, acknowledge
    login(phone, demo_site.url, "cadre")
    with phone.expect_navigation():
        phone.locator("nav a", has_text="我的岗位").first.click()
    post = phone.locator("[data-testid=current-post]").first
    assert "【演练】" in post.inner_text() and "向谁报到" in post.inner_text()
    with phone.expect_navigation():
        post.locator("[data-testid=acknowledge]").click()
    assert "已确认响应" in phone.locator(".messages").inner_text()
    assert phone.locator("[data-testid=acknowledged]").count() >= 1
    screenshot(phone, "emergency-phone")

    # 4. the board updates by itself (htmx polling)
    desk.wait_for_function(
        f"() => Number(document.querySelector('[data-testid=board-acknowledged]').innerText) > {acknowledged}",
        timeout=20_000,
    )
    assert _figure(desk, "board-pending") == planned - acknowledged - 1

    # 5. back to normal mode, and the record of the episode
    desk.fill("input[name=note]", "演练顺利")
    with desk.expect_navigation():
        desk.click("[data-testid=deactivate]")
    assert desk.url == board_url
    assert "已恢复平时" in desk.locator("[data-testid=activation-state]").inner_text()
    record = desk.locator("[data-testid=episode-record]")
    assert "处置记录" in record.inner_text() and "演练顺利" in record.inner_text()
    assert _figure(desk, "record-acknowledged") == acknowledged + 1
    assert re.search(r"宣布恢复平时状态", desk.locator("[data-testid=timeline]").inner_text())
    screenshot(desk, "emergency-record")
    state = demo_site.read(
        "from gridgov.emergency.models import Activation\n"
        f"a = Activation.objects.unscoped('e2e read').get(reason={reason!r})\n"
        "result = [a.state, a.is_drill, a.record['acknowledged']]"
    )
    assert state == ["ended", True, acknowledged + 1]
