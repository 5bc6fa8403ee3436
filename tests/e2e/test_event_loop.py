"""The closed loop in a real browser: a resident reports on the phone page, the community dispatches the
work order to the property company, the company handles it, the community verifies and closes it, and
the resident rates it — each as their own demo login of the generated city."""

from __future__ import annotations

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def _as(chromium, base_url: str, username: str, phone: bool = False):
    options = {
        "locale": "zh-CN",
        "viewport": {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
    }
    if phone:
        options["is_mobile"] = True
    context = chromium.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, base_url, username)
    return context, page


def _act(page, action: str) -> None:
    with page.expect_navigation():
        page.click(f"[data-testid=do-{action}]")


def test_report_dispatch_handle_close_rate(chromium, live_server, small_city):
    from gridgov.events.models import Category, Event
    from gridgov.property.models import CompanyAccount

    base = live_server.url
    company = CompanyAccount.objects.select_related("company").get(user__username="property").company
    category = Category.objects.get(code="property.repair")
    contexts = []
    try:
        # 1. the resident reports on the phone page
        ctx, resident = _as(chromium, base, "resident", phone=True)
        contexts.append(ctx)
        resident.goto(f"{base}/events/report/")
        resident.select_option("select[name=category]", str(category.pk))
        resident.fill("input[name=title]", "三号楼门禁读卡失灵")
        resident.fill("textarea[name=description]", "刷卡无反应")
        with resident.expect_navigation():
            resident.click("[data-testid=submit-report]")
        event = Event.objects.unscoped("test").get(title="三号楼门禁读卡失灵", reporter__username="resident")
        assert f"/events/mine/{event.pk}/" in resident.url
        screenshot(resident, "event-loop-reported")

        # 2. the community accepts and dispatches to the property company
        ctx, worker = _as(chromium, base, "worker")
        contexts.append(ctx)
        worker.goto(f"{base}/events/{event.pk}/")
        _act(worker, "accept")
        worker.select_option("form[data-action=dispatch] select[name=assignee_kind]", "property")
        worker.select_option("form[data-action=dispatch] select[name=unit]", str(company.pk))
        _act(worker, "dispatch")
        event.refresh_from_db()
        assert (
            event.state == "dispatched"
            and event.assignee_kind == "property"
            and event.assignee_id == company.pk
        )

        # 3. the property company sees it in its queue and handles it
        ctx, prop = _as(chromium, base, "property")
        contexts.append(ctx)
        prop.goto(f"{base}/events/")
        assert event.number in prop.locator("[data-testid=queue]").inner_text()
        prop.goto(f"{base}/events/{event.pk}/")
        _act(prop, "start")
        prop.fill("form[data-action=finish] textarea[name=result]", "已更换门禁读卡器")
        _act(prop, "finish")
        event.refresh_from_db()
        assert event.state == "handled"

        # 4. the community verifies and closes
        worker.goto(f"{base}/events/{event.pk}/")
        _act(worker, "verify")
        _act(worker, "close")
        event.refresh_from_db()
        assert event.state == "closed"

        # 5. the resident rates on the phone page
        resident.goto(f"{base}/events/mine/{event.pk}/")
        resident.select_option("[data-testid=rate-form] select[name=rating]", "4")
        with resident.expect_navigation():
            resident.click("[data-testid=do-rate]")
        event.refresh_from_db()
        assert event.state == "rated" and event.rating == 4
        trail = list(event.transitions.values_list("action", flat=True))
        assert trail == ["report", "accept", "dispatch", "start", "finish", "verify", "close", "rate"]
        assert "4 ★" in resident.content()
        screenshot(resident, "event-loop-rated")
    finally:
        for ctx in contexts:
            ctx.close()
