"""Schemathesis over every operation of the API, as the city administrator and as a grid worker.

The schema is the one the project serves: `/api/schema/`, fetched through the WSGI application when this
module is collected, so an endpoint is fuzzed the day it is registered. Each operation × role is one test;
schemathesis generates its requests from the schema (schema-valid and schema-violating values of every
parameter and body field, `GRIDGOV_FUZZ_EXAMPLES` of them, derandomized so that CI is reproducible), sends
them through the real middleware stack in-process, authenticated by the role's DRF token, and checks that
every answer is

- not a server error (`not_a_server_error`; the server's traceback is attached to the failure),
- a documented status or a refusal a client can act on (`status_documented_or_refusal`, below),
- of a documented content type, with a body that matches the response schema of its status
  (`content_type_conformance`, `response_schema_conformance`).

Path ids are real where the data is schema-valid (the first row the role can list), so detail actions run
their code instead of stopping at a 404. The data is the demo generator's small city, built once for the
module; every request runs in a savepoint rolled back after it, so no write changes what the next request
sees. A failure prints a `curl` that reproduces it against `make demo` (with `-H 'Authorization: Token …'`).

Deeper runs (docs/hardening.md "Fuzzing"): `GRIDGOV_FUZZ_EXAMPLES=50`, and `GRIDGOV_FUZZ_PHASES=coverage`
(or `examples,coverage,fuzzing`) for schemathesis's deterministic boundary cases and unexpected methods
(TRACE), about 70 requests per operation.
"""

from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
)
from werkzeug.test import Client

from gridgov.accounts.models import User
from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.wsgi import application
from tests.helpers import generated_city

MAX_EXAMPLES = int(os.environ.get("GRIDGOV_FUZZ_EXAMPLES", "5"))
PHASES = set(os.environ.get("GRIDGOV_FUZZ_PHASES", "examples,fuzzing").split(","))

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",  # schema-valid and schema-violating data
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,  # derandomized: the same requests on every run
            "database": "none",
            "no-shrink": True,  # bounded in time even when it fails; the curl is the reproduction
        },
        "phases": {
            "examples": {"enabled": "examples" in PHASES},
            "fuzzing": {"enabled": "fuzzing" in PHASES},
            "coverage": {"enabled": "coverage" in PHASES, "unexpected-methods": ["TRACE"]},
            "stateful": {"enabled": False},
        },
    }
)


@contextmanager
def connection_kept():
    """Requests are answered in the caller's thread, inside its transaction: `close_old_connections` at the
    start and end of each request would close that connection, or open one where the database is blocked
    (Django's test client disconnects it too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


with connection_kept():  # the schema is read when the module is imported, without the database
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)

# The roles of the fuzz (usernames of the demo generator): the whole city, and one grid.
ROLES = {"city": "city", "grid": "grid"}

# A status the operation does not document is still a right answer when it is a refusal that tells the
# client what was wrong: a bad value (400), not logged in (401), not allowed (403), not found or out of
# scope (404), a method the endpoint lacks (405), a format it cannot give (406), a conflict with the
# data (409), too large (413), a media type it does not read (415), rate-limited (429).
REFUSALS = {400, 401, 403, 404, 405, 406, 409, 413, 415, 429}


def status_documented_or_refusal(ctx, response, case):
    """schemathesis's `status_code_conformance` fails on every undocumented 4xx, and drf-spectacular documents
    only the success statuses: this accepts the refusals above and still fails an undocumented success
    (201 documented as 200) or a redirect."""
    documented = case.operation.responses.status_codes
    if "default" in documented or str(response.status_code) in documented:
        return None
    assert response.status_code in REFUSALS, (
        f"{response.status_code} is not documented (documented: {', '.join(documented)}) and not a refusal"
    )
    return None


# Not run: `negative_data_rejection` (a schema-violating request must be a 4xx): query parameters are
# parsed leniently by design — an unknown parameter, or `?flag=abc` on a filter that ignores what it does
# not know, answers 200 — so it fails on behaviour the API chose; a violating body is still refused, and
# a 5xx is still a failure. `positive_data_acceptance` (a schema-valid request must be a 2xx): scope and
# the services refuse schema-valid data all the time (an id outside the user's area, a closed month).
CHECKS = [
    not_a_server_error,
    status_documented_or_refusal,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,  # the coverage phase's TRACE must be a 405 with an Allow header
]

# Operations whose failure belongs to work in progress by others: (operation, role) -> what fails. Each is
# a strict xfail, so the entry must go the day the endpoint is fixed.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """The demo generator's small city, in a transaction rolled back when the module is done, and a DRF token
    for each role."""
    with generated_city(django_db_blocker, scale=0.002, seed=3):
        with django_db_blocker.unblock():
            keys = {
                role: Token.objects.get_or_create(user=User.objects.get(username=username))[0].key
                for role, username in ROLES.items()
            }
        yield keys


@pytest.fixture(scope="module", autouse=True)
def _keep_the_connection():
    with connection_kept():
        yield


@pytest.fixture
def server_errors():
    """Tracebacks of the exceptions the application turned into 500s during the test."""
    errors: list[str] = []

    def record(sender, **kwargs):
        errors.append("".join(traceback.format_exception(*sys.exc_info())))

    got_request_exception.connect(record)
    yield errors
    got_request_exception.disconnect(record)


@pytest.fixture(autouse=True)
def _known_failure(request):
    node = request.node
    label = getattr(node, "operation_label", None)
    role = node.callspec.params.get("role") if hasattr(node, "callspec") else None
    reason = KNOWN_FAILURES.get((label, role))
    if reason:
        node.add_marker(pytest.mark.xfail(reason=reason, strict=True))


_ids: dict[tuple[str, str], str | None] = {}


def _real_id(role: str, list_path: str, headers: dict[str, str]) -> str | None:
    """The id of the first row `role` can list at `list_path` (None when it lists nothing)."""
    key = (role, list_path)
    if key not in _ids:
        _ids[key] = None
        response = Client(application).get(list_path, query_string={"page_size": 1}, headers=headers)
        if response.status_code == 200 and response.mimetype == "application/json":
            data = response.get_json()
            rows = data.get("results", []) if isinstance(data, dict) else data
            if rows and isinstance(rows[0], dict) and "id" in rows[0]:
                _ids[key] = str(rows[0]["id"])
    return _ids[key]


def test_the_schema_has_every_operation():
    """The fuzz covers what the schema lists; a schema that lost its operations must not pass as fuzzed."""
    results = list(schema.get_all_operations())
    errors = [str(r.err()) for r in results if not isinstance(r, Ok)]
    assert not errors, errors
    assert len(results) > 200, f"only {len(results)} operations in /api/schema/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
def test_api(case, role, tokens, server_errors):
    headers = {"Authorization": f"Token {tokens[role]}"}
    if "{id}" in case.operation.path and case.meta and not case.meta.is_negative_at(ParameterLocation.PATH):
        real = _real_id(role, case.operation.path.split("{", 1)[0], headers)
        if real is not None:
            case.path_parameters = {**(case.path_parameters or {}), "id": real}
    del server_errors[:]
    with transaction.atomic():
        try:
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except Exception as exc:
                if server_errors:
                    exc.add_note("The server's exception:\n" + server_errors[-1])
                raise
        finally:
            transaction.set_rollback(True)


# --- what the fuzz found, pinned ---------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("period", ["0000-01", "9999-12", "1899-12", "2100-01"])
def test_a_period_past_the_calendar_is_a_400(tokens, period):
    """`?period=0000-01` and `9999-12` matched PERIOD_RE but not parse_period: a 500."""
    response = Client(application).get(
        "/api/reports/indicators/",
        query_string={"period": period},
        headers={"Authorization": f"Token {tokens['city']}"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "period" in response.get_json()


@pytest.mark.django_db
def test_a_nul_in_a_query_parameter_name_is_not_a_500(tokens):
    """PostgreSQL's jsonb refused the export's audit row quoting a parameter named `a\\x00b`."""
    response = Client(application).get(
        "/api/residents/export/?a%00b=1", headers={"Authorization": f"Token {tokens['city']}"}
    )
    assert response.status_code in {200, 202}


@pytest.mark.django_db
def test_an_audit_row_keeps_a_nul_as_a_replacement_character(tokens):
    with transaction.atomic():
        event = audit.record(SystemActor("tests.fuzz"), "tests.nul", before={"k\x00": ["v\x00"]}, after=None)
    event.refresh_from_db()
    assert event.before == {"k\ufffd": ["v\ufffd"]}
