"""Who reacts when a 双报到 service is recorded, without party knowing them (points sits above party).

    from gridgov.party import hooks

    hooks.on_dual_service_recorded(award)   # from the subscriber's AppConfig.ready()
    def award(record_id: int) -> None: ...  # runs after the recording transaction commits

`fire_dual_service(record)` (called by `services.record_dual_service` and the import inside their
transaction) schedules each subscriber on commit: a rolled-back record fires nothing, and a failing
subscriber is logged and can neither undo the record nor fail the request. Subscribers must be
idempotent (key what they write on the record id) and should offer a way to catch up on records they
missed (points: `points.dual_report.award_missing`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.db import transaction

log = logging.getLogger(__name__)

Subscriber = Callable[[int], None]
_DUAL_SERVICE: list[Subscriber] = []
_MUTED: ContextVar[bool] = ContextVar("party_hooks_muted", default=False)


def on_dual_service_recorded(func: Subscriber) -> Subscriber:
    if func not in _DUAL_SERVICE:
        _DUAL_SERVICE.append(func)
    return func


def remove(func: Subscriber) -> None:
    if func in _DUAL_SERVICE:
        _DUAL_SERVICE.remove(func)


def subscribers() -> list[Subscriber]:
    return list(_DUAL_SERVICE)


def _run(func: Subscriber, record_id: int) -> None:
    try:
        func(record_id)
    except Exception:
        log.exception("dual-service subscriber %s failed for record %s", func, record_id)


@contextmanager
def muted() -> Iterator[None]:
    """Record without notifying (the generator: points has no pools yet; its own step catches up)."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


def fire_dual_service(record) -> None:
    if _MUTED.get():
        return
    for func in _DUAL_SERVICE:
        transaction.on_commit(partial(_run, func, record.pk))
