"""A street administrator finds a resident by the whole ID number — read off the resident's own page through
the audited 查看完整证件号 button — and the number never appears in an address: the search box sends it by
POST, the address bar keeps the list's address, and no request the browser made carries it in its URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser
ROWS = "[data-testid=residents] tbody tr"


def test_a_whole_id_number_is_searched_by_post_and_never_put_in_an_address(demo_site, page):
    requests: list[tuple[str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    login(page, demo_site.url, "street")
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="居民", exact=True).click()
    page.wait_for_load_state("networkidle")
    first = page.locator(ROWS).first.get_by_role("link").first
    name = first.inner_text().strip()
    first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("unmask").click()
    id_number = page.get_by_test_id("id-full").inner_text().strip()
    assert len(id_number) == 18

    nav.get_by_role("link", name="居民", exact=True).click()
    page.wait_for_load_state("networkidle")
    list_url = page.url
    with page.expect_response(
        lambda r: "/people/residents/" in r.url and r.request.method == "POST"
    ) as answer:
        page.get_by_test_id("resident-search").fill(id_number)
        page.get_by_test_id("resident-submit").click()
    assert answer.value.status == 200
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "resident-id-search")
    assert id_number not in page.url and page.url == list_url
    assert not [url for _method, url in requests if id_number in url]

    # A name is still an ordinary GET whose address can be shared.
    with page.expect_response(lambda r: "/people/residents/" in r.url and r.request.method == "GET"):
        page.get_by_test_id("resident-search").fill(name)
        page.get_by_test_id("resident-submit").click()
    expect(page.locator(ROWS).first.get_by_role("link", name=name, exact=True)).to_be_visible()
