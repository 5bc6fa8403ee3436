"""Security headers and the templates that let the Content-Security-Policy be strict.

Every response carries a CSP whose scripts come from the platform's own files only; a template that added
an inline script or an on* handler attribute would be blocked in the browser, so it fails here first.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client, override_settings
from django.urls import reverse

import gridgov
from gridgov.core.middleware import DEFAULT_CSP

TEMPLATES = sorted(Path(gridgov.__file__).parent.glob("*/templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def _directive(policy: str, name: str) -> str:
    return next((part.strip() for part in policy.split(";") if part.strip().startswith(name + " ")), "")


def test_the_policy_allows_no_foreign_or_inline_script():
    script = _directive(DEFAULT_CSP, "script-src")
    assert script == "script-src 'self'"
    assert _directive(DEFAULT_CSP, "default-src") == "default-src 'self'"
    assert _directive(DEFAULT_CSP, "frame-ancestors") == "frame-ancestors 'none'"
    assert "http" not in DEFAULT_CSP


def test_templates_have_no_inline_script_or_handler_attribute():
    assert len(TEMPLATES) > 50
    offenders = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for pattern, what in ((INLINE_SCRIPT, "inline <script>"), (HANDLER_ATTRIBUTE, "on* attribute")):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(Path(gridgov.__file__).parent)}:{line}: {what}")
    assert not offenders, (
        "use a static script and data attributes (web/static/js/behaviours.js):\n" + "\n".join(offenders)
    )


def test_the_checks_catch_what_they_are_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="module">x()</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script id="d" type="application/json">{}</script>')
    assert HANDLER_ATTRIBUTE.search('<select onchange="this.form.submit()">')
    assert not HANDLER_ATTRIBUTE.search('<select data-autosubmit name="scale">')


def test_pages_api_and_errors_carry_the_headers(db):
    client = Client()
    for url in (reverse("accounts:login"), "/api/", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == DEFAULT_CSP, url
        assert "camera=(self)" in response["Permissions-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


@override_settings(GRIDGOV_CSP="")
def test_the_policy_can_be_turned_off_by_setting(db):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from gridgov.core.middleware import SecurityHeadersMiddleware

    middleware = SecurityHeadersMiddleware(lambda request: HttpResponse("ok"))
    assert "Content-Security-Policy" not in middleware(RequestFactory().get("/"))
