"""Two-step login through the rendered pages: the district creates a street administrator's account; the
new administrator turns two-step login on from the header (QR code, secret, first code from the
authenticator app), logs out, and the next login asks for a code before any page; a wrong code is refused
on the page; then the district resets it (a lost phone) and a password is enough again.

The authenticator app is played by the test: it computes the codes from the secret the page shows.
"""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from .conftest import fill_account_form, login, screenshot

pytestmark = pytest.mark.browser
PASSWORD = "Liangbu-yanzheng-2026"


def _code(secret: str, offset: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return str(totp(key, step=30, t0=0, digits=6, drift=offset)).zfill(6)


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_street_administrator_turns_on_two_step_login(page, chromium, demo_site):
    username = f"e2e-2fa-{uuid.uuid4().hex[:6]}"

    # 1. the district creates the account
    login(page, demo_site.url, "district")
    with page.expect_navigation():
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="账号", exact=True).click()
    _click(page, "[data-testid=user-create]")
    fill_account_form(
        page, username=username, display="街道管理员两步", role="街道管理员", level="街道", password=PASSWORD
    )
    _click(page, "[data-testid=user-form] button[type=submit]")
    account_url = page.url

    # 2. the new administrator, at a desk: 两步验证 in the header, 开启, the QR code and the first code
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    try:
        desk = context.new_page()
        desk.set_default_timeout(15_000)
        login(desk, demo_site.url, username, PASSWORD)
        _click(desk, "[data-testid=two-factor-link]")
        expect(desk.get_by_test_id("two-factor-status")).to_contain_text("未开启")
        _click(desk, "[data-testid=two-factor-start]")
        expect(desk.get_by_test_id("two-factor-qr")).to_be_visible()
        secret = desk.get_by_test_id("two-factor-secret").inner_text().strip()
        desk.fill("#confirm-code", _code(secret))
        _click(desk, "[data-testid=two-factor-confirm]")
        assert "两步验证已开启" in desk.locator(".messages").inner_text()
        expect(desk.get_by_test_id("two-factor-status")).to_contain_text("已开启")
        screenshot(desk, "journey-2fa-on")
        with desk.expect_navigation():
            desk.get_by_role("button", name="退出").first.click()

        # 3. the next login: the password, then the code page before anything else
        login(desk, demo_site.url, username, PASSWORD)
        assert "/accounts/2fa/verify/" in desk.url  # the home page is not shown before the code
        desk.fill("input[name=code]", str((int(_code(secret)) + 123_456) % 1_000_000).zfill(6))
        _click(desk, "[data-testid=two-factor-verify]")
        expect(desk.get_by_test_id("two-factor-error")).to_contain_text("验证码不正确")
        # (a wrong code makes the next wait a second, as a person would; and the next time step's code:
        # the app's current one may be the one that confirmed the device)
        time.sleep(1.2)
        desk.fill("input[name=code]", _code(secret, offset=1))
        _click(desk, "[data-testid=two-factor-verify]")
        assert "/accounts/2fa/" not in desk.url, desk.url
        expect(desk.get_by_test_id("current-user")).to_contain_text("街道管理员")
        screenshot(desk, "journey-2fa-verified")

        # 4. a lost phone: the district resets it on the account page; a password is enough again
        page.goto(account_url)
        expect(page.get_by_test_id("user-2fa")).to_contain_text("已开启")
        _click(page, "[data-testid=user-2fa-reset]")
        assert "已重置该账号的两步验证" in page.locator(".messages").inner_text()
        with desk.expect_navigation():
            desk.get_by_role("button", name="退出").first.click()
        login(desk, demo_site.url, username, PASSWORD)
        assert "/accounts/2fa/" not in desk.url
        expect(desk.get_by_test_id("current-user")).to_contain_text("街道管理员")
    finally:
        context.close()
