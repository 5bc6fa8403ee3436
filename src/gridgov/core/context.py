"""Who is acting, from where: carried through a request, a CLI command, an import or a task.

Service functions read this to fill audit rows, so callers never pass request ids around by hand.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionContext:
    source: str  # web / api / cli / import / task / system
    request_id: str
    label: str = ""  # the command or task name when there is no request


_current: ContextVar[ActionContext | None] = ContextVar("gridgov_action_context", default=None)


def current() -> ActionContext:
    ctx = _current.get()
    return ctx if ctx is not None else ActionContext(source="system", request_id="")


@contextlib.contextmanager
def acting(source: str, label: str = "", request_id: str | None = None) -> Iterator[ActionContext]:
    ctx = ActionContext(source=source, request_id=request_id or uuid.uuid4().hex, label=label)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
