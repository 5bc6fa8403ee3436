"""Audited xlsx exports of points lists and figures pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.core import audit
from gridgov.core.actors import require_actor

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


@transaction.atomic
def export_sheet(actor: User | SystemActor, what: str, title: str, columns: list, rows: list[dict]) -> bytes:
    """An xlsx of a points list or figures page, as the user sees it (rows already scoped by the caller);
    each export is audited with the number of rows."""
    from gridgov.core.xlsx import Column, write_sheet

    require_actor(actor)
    audit.record(actor, f"points.export_{what}", None, object_repr=title, after={"rows": len(rows)})
    return write_sheet(title, [Column(c.key, str(c.header)) for c in columns], rows)


@transaction.atomic
def export_book(
    actor: User | SystemActor, what: str, title: str, sheets: list[tuple[str, list, list[dict]]]
) -> bytes:
    """Several sheets in one workbook (a figures page with several breakdowns), audited like export_sheet;
    written by the shared formula-safe writer, so a cell starting with "=" stays text."""
    from gridgov.core.xlsx import Column, write_book

    require_actor(actor)
    audit.record(
        actor,
        f"points.export_{what}",
        None,
        object_repr=title,
        after={"rows": {name: len(rows) for name, _c, rows in sheets}},
    )
    return write_book(
        [(name, [Column(c.key, str(c.header)) for c in columns], rows) for name, columns, rows in sheets]
    )
