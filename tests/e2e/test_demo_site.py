"""The shared demo site starts, serves the generated city and lets every demo role log in."""

from __future__ import annotations

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_every_demo_role_logs_in(page, demo_site):
    from gridgov.accounts.demo import DEMO_USERS

    for username, *_rest in DEMO_USERS:
        login(page, demo_site.url, username)
        assert page.locator("[data-testid=current-user]").count() == 1, username
        page.click("text=退出")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" in page.url
