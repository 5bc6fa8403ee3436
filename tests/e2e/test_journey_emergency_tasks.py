"""Tasks to emergency groups as work orders, and closing a position, as the demo city's people do them:
the street activates a drill, issues a task from the live board to the group a sunk cadre is posted in,
the cadre sees it on the phone; then the street closes a position and finds it listed as closed."""

from __future__ import annotations

import uuid

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_street_issues_task_to_drill_group_cadre_sees_it(page, phone_page, demo_site):
    desk, phone = page, phone_page
    tag = uuid.uuid4().hex[:6]
    reason, title = f"防汛演练-任务-{tag}", f"排查低洼积水点-{tag}"

    login(desk, demo_site.url, "street")
    with desk.expect_navigation():
        desk.locator("nav a", has_text="平急结合").first.click()
    boxes = desk.locator("input[name=communities]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    desk.fill("input[name=reason]", reason)
    with desk.expect_navigation():
        desk.click("[data-testid=preview-activation]")
    with desk.expect_navigation():
        desk.click("[data-testid=confirm-activation]")
    assert "演练看板" in desk.locator("h1").inner_text()

    try:
        # the group the cadre is posted in (an expectation read from the database, not a shortcut)
        community, group = demo_site.read(
            "from gridgov.emergency.models import Post\n"
            "p = Post.objects.unscoped('e2e read').select_related('group__community').get(\n"
            f"    responder__user__username='cadre', activation__reason={reason!r})\n"
            "result = [p.group.community.name, p.group.name]"
        )
        form = desk.locator("[data-testid=task-form]")
        form.locator("select[name=group]").select_option(label=f"{community} · {group}")
        form.locator("input[name=title]").fill(title)
        form.locator("textarea[name=description]").fill("重点查看地下车库入口")
        with desk.expect_navigation():
            form.locator("[data-testid=issue-task]").click()
        assert "已向" in desk.locator(".messages").inner_text()
        tasks = desk.locator("[data-testid=tasks]")
        assert title in tasks.inner_text() and group in tasks.inner_text()
        screenshot(desk, "emergency-task-issued")

        login(phone, demo_site.url, "cadre")
        with phone.expect_navigation():
            phone.locator("nav a", has_text="我的岗位").first.click()
        mine = phone.locator("[data-testid=group-tasks]")
        assert title in mine.inner_text() and "地下车库" in mine.inner_text()
        screenshot(phone, "emergency-task-phone")
    finally:
        # back to normal mode, so the other journeys can activate the same communities
        desk.goto(desk.url)
        if desk.locator("[data-testid=deactivate]").count():
            with desk.expect_navigation():
                desk.click("[data-testid=deactivate]")
            assert "已恢复平时" in desk.locator("[data-testid=activation-state]").inner_text()


def test_street_closes_a_position_and_sees_it_listed_as_closed(page, demo_site):
    name = f"测试驿站-{uuid.uuid4().hex[:6]}"
    code = demo_site.read(
        "from gridgov.areas.models import Area, Level\n"
        "from gridgov.accounts.models import User\n"
        "street = User.objects.get(username='street').area\n"
        "result = Area.objects.unscoped('e2e read').filter(level=Level.BUILDING,\n"
        "    path__startswith=street.path, is_active=True).order_by('path').values_list('code', flat=True)[0]"
    )
    login(page, demo_site.url, "street")
    with page.expect_navigation():
        page.locator("nav a", has_text="红色阵地").first.click()
    with page.expect_navigation():
        page.locator("nav.tabs a", has_text="阵地登记").click()
    with page.expect_navigation():
        page.locator("a.button", has_text="登记阵地").click()
    page.select_option("select[name=kind]", "red_station")
    page.fill("input[name=name]", name)
    page.fill("input[name=area_code]", code)
    with page.expect_navigation():
        page.locator("form button.primary").first.click()
    assert name in page.locator("h1").inner_text()

    # closing asks for a reason and a ticked confirmation (both required on the form)
    assert "在用" in page.locator("[data-testid=facility-state]").inner_text()
    section = page.locator("[data-testid=close-facility]")
    section.locator("input[name=reason]").fill("房屋租期到期")
    section.locator("input[name=confirm]").check()
    with page.expect_navigation():
        section.locator("[data-testid=close-button]").click()
    assert "已关闭" in page.locator("[data-testid=facility-state]").inner_text()
    assert "房屋租期到期" in page.locator("[data-testid=facility-history]").inner_text()

    # still in the registry, under 已关闭
    with page.expect_navigation():
        page.locator("nav.tabs a", has_text="阵地登记").click()
    page.fill("input[name=q]", name)
    page.select_option("select[name=is_active]", "false")
    with page.expect_navigation():
        page.locator("form.filters button").first.click()
    row = page.locator("[data-testid=facilities] tbody tr", has_text=name)
    assert row.count() == 1 and "已关闭" in row.inner_text()
    screenshot(page, "facility-closed")


def test_readiness_map_draws_community_areas(page, demo_site):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, demo_site.url, "street")
    with page.expect_navigation():
        page.locator("nav a", has_text="平急结合").first.click()
    with page.expect_navigation():
        page.locator("nav.subnav a", has_text="战备状态与编组").click()
    page.wait_for_selector("#readiness-map[data-ready='1'] canvas")
    polygons = page.evaluate("JSON.parse(document.getElementById('readiness-data').textContent).polygons")
    assert polygons is True
    assert errors == []
    screenshot(page, "emergency-readiness-map")
