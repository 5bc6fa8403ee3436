"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.helpers import throwaway_postgres

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API keeps an event loop in this thread; the ORM calls in these tests are still
# synchronous, so Django's async-safety guard would misfire.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# The browser tests that also run in the PostgreSQL suite of .ci/run: the crawl (every page a role is
# shown, on the real demo data) and the concurrent exports (the database's locking). The others are
# journeys — one role's task through the forms — marked `journey`, and the PostgreSQL suite leaves them to
# the SQLite suite (`make test` runs everything): their pages' PostgreSQL side is covered by the page tests.
RUN_ON_EVERY_DATABASE = {"test_crawl.py", "test_concurrent_exports.py"}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == here and path.name not in RUN_ON_EVERY_DATABASE:
            item.add_marker(pytest.mark.journey)


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found: `make browser` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def phone_page(chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def small_city(transactional_db):
    """A tiny synthetic city made by the real generator (2 communities, ~40 grids, demo logins)."""
    call_command("generate_city", scale=0.008, seed=3, quiet=True, verbosity=0)


def login(page, base_url: str, username: str, password: str = "gridgov-demo") -> None:  # noqa: S107
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def fill_account_form(page, *, username: str, display: str, role: str, level: str, password: str) -> str:
    """The new-account form: the role by its label, the first area of the level ("网格", "街道") the form
    offers, the password twice. Returns the area's label as the form shows it."""
    page.fill("#id_username", username)
    page.fill("#id_display_name", display)
    page.select_option("#id_role", label=role)
    options = page.locator("#id_area option")
    area = next(
        label
        for i in range(options.count())
        if (label := options.nth(i).inner_text().strip()).endswith(f"({level})")
    )
    page.select_option("#id_area", label=area)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    return area


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# ---------------------------------------------------------------------------------------------------
# The shared demo site: one generated city and one real server for every browser test of the session.
# ---------------------------------------------------------------------------------------------------

E2E_SCALE = "0.008"
E2E_SEED = "3"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class DemoSite:
    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        """Run a management command against the site's database (for commands a person would run)."""
        done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, str(REPO / "manage.py"), *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def read(self, code: str):
        """What the database holds, for a test's expectations: `code` is Python run by `manage.py shell`
        (Django set up) that assigns a JSON-serialisable value to `result`. Never used to change data."""
        script = f"import json\n{code}\nprint('@@' + json.dumps(result, ensure_ascii=False, default=str))"
        out = self.manage("shell", "-c", script)
        return json.loads(out.rsplit("@@", 1)[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _site_database(tmp_dir: Path) -> tuple[str, Callable[[], None]]:
    """A database of the site's own, of the same kind as the suite's: a SQLite file or a PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp_dir / 'e2e.sqlite3'}", lambda: None
    database = throwaway_postgres(url, f"gridgov_e2e_{os.getpid()}")
    return database.__enter__(), lambda: database.__exit__(None, None, None)


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Iterator[DemoSite]:
    """The demo city (`generate_city`, as `make demo` makes it, smaller) served by a real server process.

    Generated once per session in a database of its own, so pytest-django's per-test flushes never touch
    it; tests share it and must not depend on each other's changes. Celery runs eagerly in the server.
    """
    tmp_dir = tmp_path_factory.mktemp("demo-site")
    database_url, cleanup = _site_database(tmp_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DATABASE_URL=database_url,
        PYTHONPATH=str(REPO / "src"),
        DJANGO_SETTINGS_MODULE="gridgov.settings",
        GRIDGOV_MEDIA_ROOT=str(tmp_dir / "media"),
    )
    port = _free_port()
    site = DemoSite(url=f"http://127.0.0.1:{port}", env=env)
    site.manage("migrate", "--no-input", "-v", "0")
    site.manage("generate_city", "--scale", E2E_SCALE, "--seed", E2E_SEED, "--quiet", "-v", "0")
    log = (tmp_dir / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(REPO / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{site.url}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"demo server did not start; see {tmp_dir / 'server.log'}") from None
                time.sleep(0.2)
        yield site
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        cleanup()
