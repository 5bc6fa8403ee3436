"""Meta-tests: every API endpoint has its scope tests.

(a) Every registration of the routers in gridgov/api_urls.py has a concrete generic scope test class
    (tests/base.py) that requests one of its routes.
(b) Every URL pattern under /api/ is covered by the scope matrix — a generic scope test class, or the
    MATRIX / OUT_OF_SCOPE tables of the scope matrix module — or is listed in PUBLIC with its reason.

Coverage is read from the classes themselves (`base.covered_url_names`: list/detail routes from the
basename, the names in `actions` / `calls`, the URL a write requests — which WriteAPITests checks at run
time), so it cannot drift from what the tests really request. The test modules are imported the way
pytest imports them (`tests.<app>.test_x`); tests/e2e is left out (browser tests, no API scope classes).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
from collections import defaultdict
from pathlib import Path
from types import ModuleType

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.routers import BaseRouter

from gridgov import api_urls

from .. import base

TESTS = Path(__file__).resolve().parent.parent

# Not scoped: they hold no rows of any area. Each needs its reason.
PUBLIC: dict[str, str] = {
    "api-root": "DRF's index of the endpoints: URLs only, no rows (anonymous callers are refused)",
    "api-token": "the login of API clients: a username and password for a token, with the lockout of logins",
    "schema": "the OpenAPI description of the endpoints: no rows",
    "swagger-ui": "the page that renders the OpenAPI description: no rows",
}


def _test_modules() -> list[ModuleType]:
    modules = []
    for path in sorted(TESTS.rglob("test_*.py")):
        parts = path.relative_to(TESTS.parent).with_suffix("").parts
        if "e2e" in parts:
            continue
        modules.append(importlib.import_module(".".join(parts)))
    return modules


def _scope_classes(modules: list[ModuleType]) -> dict[str, list[str]]:
    """URL name -> the concrete (collected) test classes whose generic scope tests request it."""
    covered: dict[str, list[str]] = defaultdict(list)
    seen: set[type] = set()
    for module in modules:
        for name, obj in vars(module).items():
            if not (inspect.isclass(obj) and name.startswith("Test") and obj.__module__ == module.__name__):
                continue
            if obj in seen:
                continue
            seen.add(obj)
            for url_name in base.covered_url_names(obj):
                covered[url_name].append(f"{module.__name__}.{name}")
    return covered


def _matrix_names(modules: list[ModuleType]) -> set[str]:
    """The URL names the scope matrix tables (MATRIX, OUT_OF_SCOPE) call: every reverse("…") in them."""
    names: set[str] = set()
    for module in modules:
        if not isinstance(getattr(module, "MATRIX", None), dict) or not hasattr(module, "test_scope_matrix"):
            continue
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if not any(isinstance(t, ast.Name) and t.id in {"MATRIX", "OUT_OF_SCOPE"} for t in targets):
                continue
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id == "reverse"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                ):
                    names.add(call.args[0].value)
    return names


def _routers() -> list[BaseRouter]:
    return [value for value in vars(api_urls).values() if isinstance(value, BaseRouter)]


def _registration_url_names(router: BaseRouter, viewset, basename: str) -> set[str]:
    names = set()
    for route in router.get_routes(viewset):
        if any(hasattr(viewset, action) for action in route.mapping.values()):
            names.add(route.name.format(basename=basename))
    return names


def _api_url_names() -> dict[str, str]:
    """Every URL pattern under /api/: name -> route (format-suffix variants share their name)."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                found.setdefault(pattern.name or f"<unnamed {route}>", route)

    walk(get_resolver().url_patterns, "")
    return found


@functools.cache
def _coverage() -> tuple[dict[str, list[str]], set[str]]:
    modules = _test_modules()
    return _scope_classes(modules), _matrix_names(modules)


def test_every_router_registration_has_a_generic_scope_test_class():
    classes, _matrix = _coverage()
    registrations = [
        (prefix, viewset, basename) for router in _routers() for prefix, viewset, basename in router.registry
    ]
    assert len(registrations) >= 48
    missing = [
        f"api/{prefix}/ ({viewset.__name__}, basename {basename!r})"
        for router in _routers()
        for prefix, viewset, basename in router.registry
        if not _registration_url_names(router, viewset, basename) & set(classes)
    ]
    assert not missing, (
        "registrations without a generic scope test class (tests/<app>/test_scope_api.py, bases in "
        "tests/base.py):\n  " + "\n  ".join(missing)
    )


def test_every_api_url_is_in_the_scope_matrix_or_public():
    classes, matrix = _coverage()
    urls = _api_url_names()
    assert len(urls) > 100
    missing = [
        f"{name}  (/{route})"
        for name, route in sorted(urls.items())
        if name not in classes and name not in matrix and name not in PUBLIC
    ]
    assert not missing, (
        "URLs under /api/ that no scope test requests and that are not listed as public:\n  "
        + "\n  ".join(missing)
    )


def test_public_list_is_current():
    classes, matrix = _coverage()
    urls = _api_url_names()
    assert set(PUBLIC) <= set(urls), "PUBLIC names a URL that no longer exists"
    assert not set(PUBLIC) & (set(classes) | matrix), "a URL listed as public is scope-tested: unlist it"
    assert all(reason.strip() for reason in PUBLIC.values())


def test_the_coverage_reader_sees_every_kind_of_class():
    """The reader must not go blind: it finds list/detail classes, writes, actions, matrix calls, area
    queries and the scope matrix tables, each where this suite is known to have them."""
    classes, matrix = _coverage()
    assert "area-list" in classes and "area-detail" in classes  # ListAPITests / DetailAPITests
    assert "area-rename" in classes  # WriteAPITests, from write()'s source
    assert "resident-detail" in classes  # WriteAPITests through self.detail_url()
    assert "event-accept" in classes  # ActionAPITests
    assert "circle-coverage" in classes  # AreaQueryAPITests
    assert "facility-import-xlsx" in classes  # EndpointMatrixTests
    assert {"resident-import-xlsx", "area-retire"} <= matrix  # the scope matrix module's tables


def test_public_endpoints_hold_no_rows(city, client):
    """What PUBLIC promises: the index refuses anonymous callers; the schema and its page answer anyone
    and carry no row of the database (no name of the city's areas or residents); the token endpoint
    gives nothing for a wrong password."""
    from django.urls import reverse

    assert client.get(reverse("api-root")).status_code in (401, 403)
    names = [a.name for a in city.units] + [r.name for r in city.residents]
    for url_name in ("schema", "swagger-ui"):
        response = client.get(reverse(url_name))
        assert response.status_code == 200
        text = response.content.decode()
        assert not [name for name in names if name in text]
    response = client.post(reverse("api-token"), {"username": "city_admin", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()
