"""Hostile JSON against every write of the API: a clear 4xx from the generic layer, nothing written.

The operations are read from `/api/schema/` (as tests/core/test_api_fuzz.py does), so a new endpoint is
covered the day it is registered. Each POST/PUT/PATCH is sent, as the city administrator of the test
city, a body that is not JSON, JSON of the wrong shape (a list, a string, a number, null), JSON nested
past the interpreter's recursion limit, and a body past DATA_UPLOAD_MAX_MEMORY_SIZE. Each must be
refused — 400 (413 for the size; 401/403/404/405 when the request is refused before its body matters) —
and no audit row may appear: every write is audited in its transaction, so no audit row means no write.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ParseError

from gridgov.core.models import AuditEvent
from gridgov.core.uploads import BoundedJSONParser, RequestTooLarge

BAD_BODIES = {
    "not JSON": '{"name": ',
    "a list": "[1, 2]",
    "a string": '"text"',
    "a number": "12",
    "null": "null",
    "nested": "[" * 100_000 + "]" * 100_000,
    "NaN": '{"x": NaN}',
    "huge integer": '{"x": ' + "9" * 5000 + "}",
}
REFUSED = {400, 401, 403, 404, 405, 413, 415}


def _write_operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in sorted(schema["paths"].items()):
        for method in ("post", "put", "patch"):
            if method in item:
                found.append((method.upper(), path, item[method]["operationId"]))
    return found


OPERATIONS = _write_operations()

# App endpoints that still take a hostile body (operation id -> what happens); strict xfails.
KNOWN: dict[str, str] = {}


def _params():
    for method, path, op_id in OPERATIONS:
        marks = [pytest.mark.xfail(reason=KNOWN[op_id], strict=True)] if op_id in KNOWN else []
        yield pytest.param(method, path, id=op_id, marks=marks)


_ids: dict[str, str] = {}


def _url(client, path: str) -> str:
    if "{" not in path:
        return path
    listing = path.split("{", 1)[0]
    if listing not in _ids:
        _ids[listing] = "999999"
        response = client.get(listing)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
            data = response.json()
            rows = data.get("results", []) if isinstance(data, dict) else data
            if rows and isinstance(rows[0], dict) and "id" in rows[0]:
                _ids[listing] = str(rows[0]["id"])
    return re.sub(r"\{[^}]+\}", _ids[listing], path)


def test_every_write_is_in_the_list():
    assert len(OPERATIONS) > 50


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), list(_params()))
def test_hostile_bodies_are_refused_and_write_nothing(city, api_for, method, path):
    client = api_for("city_admin")
    client.raise_request_exception = False
    url = _url(client, path)
    before = AuditEvent.objects.count()
    failures = []
    bodies = dict(BAD_BODIES)
    bodies["too large"] = json.dumps({"x": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    for label, body in bodies.items():
        response = client.generic(method, url, body, content_type="application/json")
        if response.status_code not in REFUSED:
            failures.append(f"{method} {url} body {label}: {response.status_code} {response.content[:120]!r}")
        elif label == "too large" and response.status_code == 400:
            failures.append(f"{method} {url} body too large: 400 instead of 413")
    written = AuditEvent.objects.count() - before
    assert not failures and not written, "\n".join(failures) + f"\naudit rows written: {written}"


# --- the parser itself: the limit holds without a Content-Length (a chunked body) ---------------------
def test_the_parser_reads_no_more_than_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stream = io.BytesIO(b'{"x": "' + b"a" * 5000 + b'"}')
    with pytest.raises(RequestTooLarge) as caught:
        BoundedJSONParser().parse(stream, "application/json", {})
    assert caught.value.status_code == 413
    assert stream.tell() == 1001  # never the whole body


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_the_parser_refuses_in_chinese(body):
    with pytest.raises(ParseError) as caught:
        BoundedJSONParser().parse(io.BytesIO(body.encode()), "application/json", {})
    assert "JSON" in str(caught.value.detail) and re.search(r"[\u4e00-\u9fff]", str(caught.value.detail))


def test_an_object_passes():
    assert BoundedJSONParser().parse(io.BytesIO('{"名": "张三"}'.encode()), "application/json", {}) == {
        "名": "张三"
    }
