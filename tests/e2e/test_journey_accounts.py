"""The district administrator manages accounts through the rendered pages of the shared demo site:
opens 账号 from the navigation, creates a grid worker's account for a grid of its district with the form,
finds it in the list, resets its password (generated, shown once), and the new user logs in with it.

The username carries a random suffix: the site's database is shared by every browser test of the session.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from .conftest import fill_account_form, login, screenshot

pytestmark = pytest.mark.browser

ROWS = "[data-testid=users] tbody tr"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("networkidle")


def test_district_creates_a_grid_worker_who_then_logs_in(page, chromium, demo_site):
    suffix = uuid.uuid4().hex[:6]
    username, display = f"e2e-grid-{suffix}", f"新网格员{suffix}"
    login(page, demo_site.url, "district")

    # 1. the accounts page, from the navigation
    with page.expect_navigation():
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="账号", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("账号管理")

    # 2. the create form: a grid worker bound to one of the district's grids
    _submit(page, "[data-testid=user-create]")
    grid_label = fill_account_form(
        page, username=username, display=display, role="网格员", level="网格", password="Chushi-mima-2025"
    )
    _submit(page, "[data-testid=user-form] button[type=submit]")
    expect(page.locator("[data-testid=user-role]")).to_have_text("网格员")
    expect(page.locator("[data-testid=user-area]")).to_have_text(grid_label.removesuffix("(网格)"))

    # 3. it is in the list, found by the search box
    with page.expect_navigation():
        page.get_by_role("link", name="账号管理").first.click()
    page.fill("[data-testid=user-search]", username)
    _submit(page, "[data-testid=user-submit]")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first).to_contain_text(display)
    expect(page.locator(ROWS).first).to_contain_text("网格员")
    screenshot(page, "journey-accounts-list")

    # 4. reset its password: left empty, a temporary one is generated and shown once
    _submit(page, f"{ROWS} >> text={username}")
    _submit(page, "[data-testid=user-password]")
    _submit(page, "[data-testid=password-form] button[type=submit]")
    password = page.locator("[data-testid=temporary-password]").inner_text().strip()
    assert len(password) >= 12
    screenshot(page, "journey-accounts-password")

    # 5. the new grid worker logs in with it (a browser of its own)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(15_000)
        login(phone, demo_site.url, username, password)
        expect(phone.locator("[data-testid=current-user]")).to_contain_text(display)
        expect(phone.locator("[data-testid=current-user]")).to_contain_text("网格员")
        assert "/accounts/login/" not in phone.url
    finally:
        context.close()

    # Each step left its audit row, naming the administrator.
    rows = demo_site.read(
        "from gridgov.core.models import AuditEvent\n"
        f"result = sorted(AuditEvent.objects.filter(object_repr={display!r}, actor_label='district')"
        ".values_list('action', flat=True))"
    )
    assert rows == ["accounts.create_user", "accounts.reset_password"]
