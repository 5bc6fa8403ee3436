"""A bounded, deterministic fuzz of every API operation: hostile requests never get a 5xx.

The operations are read from the OpenAPI schema itself (`/api/schema/`), so a new endpoint is covered
the day it is registered. For each operation and for two roles (the city administrator, who sees
everything, and a grid worker, who sees one grid) it sends a handful of requests that a client can
always send and that must be answered 4xx (or 2xx) — never a server error:

- the TRACE method, which no endpoint supports (405);
- bodies that are not an object (`0`, `[]`), an empty object, and an object of the wrong types;
- every query parameter, one at a time, set to a number past any column's range, a float past any
  float's range, a word where a number belongs, and an id that does not exist.

Path ids are real: the first row the user can list at that endpoint, so detail actions run their
code, not only the 404. The data is the demo generator's city (small), built once for the module.

Operations of apps still to be moved onto the generic layer (core/api.py) that fail today are listed in
KNOWN_5XX with the cause, as strict xfails: the marker goes away when the endpoint is fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from gridgov.accounts.models import User
from tests.helpers import generated_city

# The two roles of the fuzz: the whole city, and one grid.
ROLES = {"city": "city", "grid": "grid"}

HUGE_INT = "99999999999999999999"
# Past any integer column, past any float, and not a number at all; an unknown id in range is covered
# by the path ids and by HUGE_INT reaching the same lookups.
QUERY_VALUES = [HUGE_INT, "-1e308", "abc"]
# Parameters that only change the response format; DRF answers an unknown format 404 by design.
SKIP_PARAMS = {"format"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the schema's template, e.g. /api/areas/{id}/move/
    operation_id: str
    query: tuple[str, ...] = ()
    body_fields: tuple[tuple[str, str], ...] = ()  # (name, JSON type) of a JSON request body
    json_body: bool = False
    list_of: str = field(default="", compare=False)  # the list path that yields ids for the path template


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _operations() -> list[Operation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in sorted(schema["paths"].items()):
        for method, op in sorted(item.items()):
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            query = tuple(
                p["name"]
                for p in op.get("parameters", [])
                if p["in"] == "query" and p["name"] not in SKIP_PARAMS
            )
            content = (op.get("requestBody") or {}).get("content", {})
            json_body = "application/json" in content
            body_fields: tuple[tuple[str, str], ...] = ()
            if json_body:
                body = _resolve(schema, content["application/json"].get("schema", {}))
                body_fields = tuple(
                    (name, _resolve(schema, prop).get("type", "object"))
                    for name, prop in sorted(body.get("properties", {}).items())
                    if not prop.get("readOnly")
                )
            list_of = ""
            if "{" in path:
                list_of = path.split("{", 1)[0]
            found.append(
                Operation(
                    method.upper(), path, op["operationId"], query, body_fields, json_body, list_of=list_of
                )
            )
    return found


# A wrong value for each JSON type: a type that no field of that type accepts.
WRONG = {
    "integer": "AAA",
    "number": "AAA",
    "boolean": {"x": 1},
    "string": {"x": 1},
    "array": "AAA",
    "object": "AAA",
}

# Operations of apps not yet on the generic layer that answer 5xx today: (operation id, role) -> cause.
# Each is a strict xfail, so the entry must be removed the day the endpoint is fixed.
KNOWN_5XX: dict[tuple[str, str], str] = {}

OPERATIONS = _operations()


def _params():
    for op in OPERATIONS:
        for role in ROLES:
            marks = []
            cause = KNOWN_5XX.get((op.operation_id, role))
            if cause:
                marks.append(pytest.mark.xfail(reason=cause, strict=True))
            yield pytest.param(op, role, id=f"{op.operation_id}-{role}", marks=marks)


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """The demo generator's city, in a transaction rolled back when the module is done."""
    with generated_city(django_db_blocker, scale=0.002, seed=3):
        yield


_ids: dict[tuple[str, str], str | None] = {}


def _first_id(client: APIClient, role: str, list_path: str) -> str:
    """The first id the user can list at `list_path`, or an id that does not exist."""
    key = (role, list_path)
    if key not in _ids:
        _ids[key] = None
        response = client.get(list_path)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
            data = response.json()
            rows = data.get("results", []) if isinstance(data, dict) else data
            if rows and isinstance(rows[0], dict) and "id" in rows[0]:
                _ids[key] = str(rows[0]["id"])
    return _ids[key] or "999999"


def _url(client: APIClient, role: str, op: Operation) -> str:
    if "{" not in op.path:
        return op.path
    pk = _first_id(client, role, op.list_of)
    return re.sub(r"\{[^}]+\}", pk, op.path)


def _requests(op: Operation, url: str):
    """(description, method, url, body) of every hostile request for one operation."""
    yield "TRACE", "TRACE", url, None
    if op.json_body:
        yield "body 0", op.method, url, "0"
        yield "body []", op.method, url, "[]"
        yield "body {}", op.method, url, "{}"
        if op.body_fields:
            wrong = {name: WRONG.get(kind, "AAA") for name, kind in op.body_fields}
            yield "wrong types", op.method, url, json.dumps(wrong)
            huge = {name: int(HUGE_INT) for name, kind in op.body_fields if kind in {"integer", "number"}}
            if huge:
                yield "huge numbers", op.method, url, json.dumps(huge)
    if op.method == "GET":
        for name in op.query:
            for value in QUERY_VALUES:
                yield f"?{name}={value}", "GET", url, {name: value}


@pytest.mark.django_db
@pytest.mark.parametrize(("op", "role"), list(_params()))
def test_no_server_error(generated, op: Operation, role: str):
    client = APIClient()
    client.raise_request_exception = False  # a server error is recorded with its cause, not raised
    client.force_authenticate(User.objects.get(username=ROLES[role]))
    url = _url(client, role, op)
    failures = []
    for description, method, target, body in _requests(op, url):
        if isinstance(body, dict):
            response = client.get(target, body)
        elif body is None:
            response = client.generic(method, target)
        else:
            response = client.generic(method, target, body, content_type="application/json")
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            cause = f"{exc[0].__name__}: {str(exc[1])[:120]}" if exc else ""
            failures.append(f"{method} {target} {description} -> {response.status_code} {cause}")
    assert not failures, "\n".join(failures)
