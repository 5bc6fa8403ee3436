"""Concurrent users on the embedded default: several office users download exports and unmask at the same
moment against the real demo server (threaded) on its SQLite file. Each request writes its audit rows; with
WAL, a busy timeout and IMMEDIATE transactions none of them may fail with `database is locked`.
On the PostgreSQL suite the same requests run against PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.browser  # uses the demo server of the browser tests


def _session(base: str, username: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": "gridgov-demo", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
        f"{base}/accounts/login/", data=body, headers={"Referer": f"{base}/"}
    )
    opener.open(request, timeout=30).read()
    return opener


def test_simultaneous_exports_all_succeed(demo_site):
    sessions = [_session(demo_site.url, name) for name in ("city", "district", "street", "secretary")]
    urls = ["/people/residents/export/", "/people/households/export/"]
    results: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(sessions) * len(urls))

    def fetch(opener, path: str) -> None:
        start.wait()
        try:
            with opener.open(f"{demo_site.url}{path}", timeout=120) as response:
                outcome = (path, response.status, response.read()[:2])
        except urllib.error.HTTPError as exc:
            outcome = (path, exc.code, exc.read()[:300])
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=fetch, args=(s, u)) for s in sessions for u in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == len(threads)
    failed = [r for r in results if r[1] != 200]
    assert not failed, failed
    assert all(body == b"PK" for _path, _status, body in results)  # each one a real xlsx (a zip)
