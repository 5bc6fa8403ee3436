"""Meta-test: every page is in the scope matrix.

Every URL pattern of the URLconf outside /api/ (tests/core/test_meta.py has those) is either requested by
a concrete page scope test class — `ListPageTests`, `DetailPageTests`, `WritePageTests`, `PageMatrixTests`,
`ObjectPageTests`, `AdminSiteTests` in tests/base.py, usually in tests/<app>/test_pages_scope.py — or
listed in PUBLIC_PAGES with the reason it holds no rows of any area. Coverage is read from the classes
(`base.covered_url_names`), the same reader as the API meta-test, so it cannot drift from what the tests
request; the page bases assert at run time that the response resolved to a name they claim.
"""

from __future__ import annotations

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .test_meta import _coverage

# Pages that hold no rows of any area, each with its reason (unnamed patterns are keyed by their route).
PUBLIC_PAGES: dict[str, str] = {
    "accounts:login": "the login form: no rows; its lockout is tested in tests/accounts/test_auth.py",
    "accounts:logout": "ends the session (POST): no rows",
    "accounts:2fa": "the user's own two-step login setting (tests/accounts/test_two_factor.py): no rows of any area",
    "accounts:2fa_verify": "the second step of one's own login (tests/accounts/test_two_factor.py): no rows",
    "web:favicon": "a redirect to the static icon",
    "healthz": "the monitor's probe: whether the database, Redis and the queue answer; no login, no rows",
    "set_language": "Django's language switch: stores the choice in a cookie and redirects",
    "static/<path:path>": "the vendored static files (CSS, JS) of the embedded default: no rows",
    "admin:login": "the admin's login form: no rows",
    "admin:logout": "ends the admin session: no rows",
    "admin:jsi18n": "the admin's JavaScript translation catalogue: no rows",
    "admin:view_on_site": "redirects to an object's own page, which is scope-tested there",
}


def page_url_names() -> dict[str, str]:
    """Every URL pattern outside /api/: namespaced name (or the route when unnamed) -> route."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespaces: tuple[str, ...]) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                namespace = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
                walk(pattern.url_patterns, route, namespace)
            elif isinstance(pattern, URLPattern) and not route.startswith("api/"):
                if pattern.name is None:
                    found.setdefault(route, route)
                else:
                    found.setdefault(":".join((*namespaces, pattern.name)), route)

    walk(get_resolver().url_patterns, "", ())
    return found


def test_every_page_is_in_the_scope_matrix_or_public():
    classes, _matrix = _coverage()
    urls = page_url_names()
    assert len(urls) > 200
    missing = [
        f"{name}  (/{route})"
        for name, route in sorted(urls.items())
        if name not in classes and name not in PUBLIC_PAGES
    ]
    assert not missing, (
        "pages that no page scope test requests and that are not listed as public — add the URL name to a "
        "concrete class in tests/<app>/test_pages_scope.py (PageMatrixTests.pages for a collection page, "
        "an export, a chart/map JSON or an ?area= page; ObjectPageTests.object_pages for a page or form "
        "action on one object; ListPageTests/DetailPageTests/WritePageTests), or to PUBLIC_PAGES in "
        "tests/core/test_meta_pages.py with the reason it holds no rows:\n  " + "\n  ".join(missing)
    )


def test_public_pages_list_is_current():
    classes, _matrix = _coverage()
    urls = page_url_names()
    assert set(PUBLIC_PAGES) <= set(urls), "PUBLIC_PAGES names a page that no longer exists"
    assert not set(PUBLIC_PAGES) & set(classes), "a page listed as public is scope-tested: unlist it"
    assert all(reason.strip() for reason in PUBLIC_PAGES.values())


def test_the_page_coverage_reader_sees_every_kind_of_class():
    classes, _matrix = _coverage()
    assert "people:resident_list" in classes  # ListPageTests
    assert "people:resident_detail" in classes  # DetailPageTests
    assert "areas:move" in classes  # WritePageTests, from post()'s source
    assert "party:dashboard_export" in classes  # PageMatrixTests
    assert "areas:retire" in classes  # ObjectPageTests
    assert "admin:index" in classes  # AdminSiteTests


def test_public_pages_hold_no_rows(city):
    """What PUBLIC_PAGES promises: answered without a login, and no name of the city's areas or residents
    in what they send."""
    client = Client()
    names = [a.name for a in city.units] + [r.name for r in city.all_residents]
    for name in ("accounts:login", "admin:login", "admin:jsi18n", "web:favicon", "healthz"):
        response = client.get(reverse(name))
        assert response.status_code in (200, 301, 302, 503), name
        text = response.content.decode(errors="replace")
        assert not [n for n in names if n in text], name
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.post(reverse("accounts:logout")).status_code == 302
