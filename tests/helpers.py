"""Small helpers shared by test modules: in-memory workbooks in the import template's columns, the generated city."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from openpyxl import Workbook, load_workbook

from gridgov.core.xlsx import XLSX_CONTENT_TYPE
from gridgov.people.columns import RESIDENT_COLUMNS

HEADERS = [c.header for c in RESIDENT_COLUMNS]


def resident_row(
    name: str,
    id_number: str,
    unit_code: str,
    household: str = "301",
    *,
    phone: str = "",
    relation: str = "户主",
    tags: str = "",
) -> dict[str, str]:
    """One import row by Chinese header."""
    return {
        "姓名": name,
        "身份证号": id_number,
        "手机号": phone,
        "单元编码": unit_code,
        "户号": household,
        "与户主关系": relation,
        "标签": tags,
    }


def xlsx_bytes(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    """A workbook whose first sheet has `headers` (default: the template's) and one line per row."""
    headers = HEADERS if headers is None else headers
    workbook = Workbook()
    sheet = workbook.active
    if headers:
        sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "residents.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)


def read_xlsx(content: bytes) -> list[dict[str, Any]]:
    """Rows of the first sheet as {header: value}."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


@contextmanager
def generated_city(django_db_blocker, *, scale: float, seed: int = 3) -> Iterator[None]:
    """The demo generator's city for a module-scoped fixture, in a transaction rolled back at the end
    (so the per-test flushes and the other modules never see it)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("generate_city", scale=scale, seed=seed, quiet=True, verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@contextmanager
def throwaway_postgres(url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database of its own, next to the one `url` names, for work outside pytest-django's test
    database (a demo server, a backup round trip): created empty, then dropped with its connections. Made
    through the maintenance database `postgres`, since `url`'s own database may not exist."""
    import psycopg

    base = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)

    def drop() -> None:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')

    drop()
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        drop()
        admin.close()
