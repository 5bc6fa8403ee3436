"""Signals other apps listen to without the sender knowing them (core imports no app).

`records_imported` — sent after a bulk import committed its rows (`@imports_records` on an app's import
service). `area_path` is the subtree the import could write in: the importing user's own ("" for the whole
platform). The reports app queues a refresh of that subtree's indicator snapshots (docs/reports.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.dispatch import Signal

from .scope import OutOfScope, user_scope_path

records_imported = Signal()

P = ParamSpec("P")
R = TypeVar("R")


def actor_root(actor: Any) -> str:
    """The subtree an actor writes in: its area path, "" for the whole platform (the system, superusers)."""
    try:
        return user_scope_path(actor) or ""
    except OutOfScope:
        return ""


def imports_records(service: Callable[P, R]) -> Callable[P, R]:
    """An import service whose successful return sends `records_imported` once the rows are committed (a
    rejected import raises and sends nothing). The actor is the service's first argument."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        result = service(*args, **kwargs)
        actor = args[0] if args else kwargs.get("actor")
        root = actor_root(actor)
        transaction.on_commit(
            lambda: records_imported.send(sender=service.__module__, actor=actor, area_path=root)
        )
        return result

    return run
