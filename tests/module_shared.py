"""Test data built once per module on the shared city, and handed to each test as freshly read rows.

A fixture that builds hundreds of rows for every test (a party network, an emergency fixture) costs
half a second a test. Built once inside the module's city transaction instead, each test still starts
from the same rows: its own writes are rolled back with its savepoint, and `refetched` re-reads the
instances so that what one test did to them in memory never reaches the next.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from django.db import models


def _refetch_many(rows):
    if not rows:
        return rows
    values = list(rows.values()) if isinstance(rows, dict) else list(rows)
    model = type(values[0])
    fresh = model._base_manager.in_bulk([row.pk for row in values])
    if isinstance(rows, dict):
        return {key: fresh[row.pk] for key, row in rows.items()}
    return [fresh[row.pk] for row in values]


def refetched(built: Any) -> Any:
    """The same dataclass with every model instance, list or dict of instances read again."""
    changes = {}
    for f in fields(built):
        value = getattr(built, f.name)
        if isinstance(value, models.Model):
            changes[f.name] = type(value)._base_manager.get(pk=value.pk)
        elif isinstance(value, (list, dict)) and value:
            first = next(iter(value.values())) if isinstance(value, dict) else value[0]
            if isinstance(first, models.Model):
                changes[f.name] = _refetch_many(value)
    return replace(built, **changes)


def usable(request, shared) -> bool:
    """Whether this test may take the module's shared rows (not a transactional test, and the module's
    transaction is still open)."""
    from .conftest import _is_transactional, _ModuleTransaction

    return (
        shared is not None and not _is_transactional(request.node) and _ModuleTransaction.atomic is not None
    )
