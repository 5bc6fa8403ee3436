"""Every page as every role: follow the links a person is shown, and fail on what a person would trip over.

Logs in as each demo role on the shared demo site and walks the same-origin links of the navigation and of
every page reached (breadth first, bounded depth; at most a few pages per URL pattern, so a new page is
covered without anyone listing it). It fails on a 5xx; a 403/404 reached through a link the role was shown;
English UI text on a zh-Hans page; a failed static request or a console error; and a figure tile whose
breakdown on the same page does not add up to it (tiles marked ``data-total``, parts ``data-part-of``).
Export and download links are fetched (not rendered) and must answer without error.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from gridgov.accounts.demo import DEMO_USERS

from .conftest import login

pytestmark = pytest.mark.browser

MAX_DEPTH = 3
PER_PATTERN = 1
MAX_PAGES = 50
SKIP = re.compile(r"/(accounts/logout|admin|api)/|/static/|/media/")
DOWNLOAD = re.compile(r"export|download|\.(xlsx|docx|csv|zip)\b")
# Latin words that are not untranslated UI: product names, formats and units a Chinese UI uses as they are.
ALLOWED_LATIN = {
    "api",
    "xlsx",
    "xls",
    "excel",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "csv",
    "geojson",
    "qr",
    "svg",
    "json",
    "gridgov",
    "id",
    "app",
    "wifi",
    "km",
    "min",
    "echarts",
    "ok",
    "kb",
    "mb",
    "utf",
    "gbk",
    "pdf",
    "docx",
    "sos",
    "vip",
    "sms",
}

# Visible text outside form controls, code and the user's own name: what must be Chinese.
VISIBLE_TEXT = """() => {
  const skip = new Set(['SCRIPT', 'STYLE', 'SELECT', 'OPTION', 'CODE', 'PRE', 'TEXTAREA', 'NOSCRIPT', 'svg']);
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (skip.has(node.tagName) || node.closest('[data-testid=current-user],[data-latin-ok]')) return;
    const style = getComputedStyle(node);
    if (style.display === 'none' || style.visibility === 'hidden') return;
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return out.join(' ');
}"""

FIGURES = """() => {
  const num = (el) => parseFloat((el.getAttribute('data-value') || el.textContent).replace(/[,\\s%]/g, ''));
  const out = [];
  for (const tile of document.querySelectorAll('[data-total]')) {
    const key = tile.getAttribute('data-total');
    const parts = [...document.querySelectorAll(`[data-part-of="${key}"]`)].map(num);
    if (parts.length) out.push({key, total: num(tile.querySelector('.value') || tile), sum: parts.reduce((a, b) => a + b, 0), n: parts.length});
  }
  return out;
}"""


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(page, site_url: str, username: str) -> list[str]:
    problems: list[str] = []
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    # A request the previous page started can be aborted by the next navigation and report its failure after
    # the next page's counters were cleared: only failures of requests this page started count.
    started: dict[object, int] = {}
    generation = [0]
    page.on("request", lambda r: started.__setitem__(r, generation[0]))
    page.on(
        "requestfailed",
        lambda r: failed.append(f"{r.url} ({r.failure})") if started.pop(r, -1) == generation[0] else None,
    )
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.url} → {r.status}")
            if r.url.startswith(site_url) and r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    login(page, site_url, username)
    start = page.url
    seen_patterns: dict[str, int] = {}
    queued = {urldefrag(start)[0]}
    todo: deque[tuple[str, int, str]] = deque([(start, 0, "(login)")])
    fetched: set[str] = set()
    visited = 0
    while todo and visited < MAX_PAGES:
        url, depth, source = todo.popleft()
        pattern = _pattern(urlsplit(url).path) + ("?" if urlsplit(url).query else "")
        if seen_patterns.get(pattern, 0) >= PER_PATTERN:
            continue
        seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
        console.clear()
        failed.clear()
        generation[0] += 1
        try:
            response = page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            if "Download is starting" not in str(exc):
                raise
            # A link that downloads without saying so in its address: it must answer without error.
            answer = page.request.get(url)
            if answer.status >= 400:
                problems.append(f"{username}: {url} (linked from {source}): download answers {answer.status}")
            continue
        visited += 1
        status = response.status if response is not None else 0
        where = f"{username}: {url} (linked from {source})"
        if status >= 500:
            problems.append(f"{where}: HTTP {status}")
            continue
        if status in (403, 404):
            problems.append(f"{where}: HTTP {status} through a link the role was shown")
            continue
        if console:
            problems.append(f"{where}: console errors {console[:3]}")
        if failed:
            problems.append(f"{where}: failed requests {failed[:3]}")
        lang = page.get_attribute("html", "lang")
        if lang == "zh-hans":
            words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", page.evaluate(VISIBLE_TEXT))}
            english = sorted(words - ALLOWED_LATIN)
            if english:
                problems.append(f"{where}: English text on a Chinese page: {english[:10]}")
        for figure in page.evaluate(FIGURES):
            if abs(figure["total"] - figure["sum"]) > 0.01:
                problems.append(
                    f"{where}: figure {figure['key']} shows {figure['total']} but its {figure['n']} parts add up to "
                    f"{figure['sum']}"
                )
        if depth >= MAX_DEPTH:
            continue
        hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)")
        for href in hrefs:
            href = urldefrag(href)[0]
            if not href.startswith(site_url) or SKIP.search(href) or href in queued:
                continue
            queued.add(href)
            if DOWNLOAD.search(href):
                if href not in fetched:
                    fetched.add(href)
                    answer = page.request.get(href)
                    if answer.status >= 400:
                        problems.append(
                            f"{username}: {href} (linked from {url}): download answers {answer.status}"
                        )
                continue
            todo.append((href, depth + 1, url))
    assert visited > 1 or username in ("merchant",), f"{username}: the crawl reached no page beyond the first"
    return problems


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_every_link_a_role_is_shown_works(chromium, demo_site, username):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        problems = _crawl(page, demo_site.url, username)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
