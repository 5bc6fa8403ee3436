"""The integration point other apps use to react to events (e.g. staff points), without events knowing them.

    from gridgov.events import hooks

    @hooks.on("closed", pending=unpaid)   # also "handled", "escalated"; `pending` is optional
    def give_points(event, handler):      # handler: the User who did the work (None for escalations)
        ...

Delivery is durable. `fire()` (called by the services inside their transaction) snapshots the event's
row and, once the transaction commits, enqueues one Celery task per registered callable
(`events.run_hook`): a rolled-back transition never fires a hook, and a failing hook can neither undo
the transition nor fail the request that made it — its exception is logged and Celery retries it with
a growing delay (bounded). The task re-reads the event and lays the snapshot over it, so a hook run
late still sees the event as the transition left it (its escalation level, its handler).

Hooks must therefore be idempotent (a retry runs the callable again): key what they write on the event
and the kind, e.g. points' `events.event:<id>:closed`. A hook that can tell what it still owes gives
`pending(events) -> events`; the nightly reconciler (`reconcile()`, the `reconcile_event_hooks`
command and the `events.reconcile_hooks` task) runs the hook again, through the same `deliver()` the
task runs, for every recent event it reports, and so catches what retries gave up on.

An app's `hooks.py` module is imported at start-up (autodiscover), so registering there is enough; a
Celery worker starts Django the same way, so it finds the same registrations by name.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from gridgov.core import context

log = logging.getLogger(__name__)

KINDS = ("handled", "closed", "escalated")
# The event column each kind's transition stamps: the reconciler's look-back window runs on it.
STAMPS = {"handled": "handled_at", "closed": "closed_at", "escalated": "escalated_at"}
# The default look-back window of the reconciler, in days (the command's --days, the beat entry's kwargs).
RECONCILE_DAYS = 7
RECONCILE_MAX_DAYS = 366
_CHUNK = 500

Hook = Callable[..., None]
Pending = Callable[[Sequence[Any]], Iterable[Any]]


@dataclass(frozen=True)
class Registration:
    kind: str
    func: Hook
    pending: Pending | None = None

    @property
    def name(self) -> str:
        return hook_name(self.func)


_REGISTRY: dict[str, list[Registration]] = {kind: [] for kind in KINDS}


def hook_name(func: Hook) -> str:
    """The name a task carries to find the callable again (in the worker, after autodiscover)."""
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    return f"{func.__module__}.{qualname}"


def on(kind: str, *, pending: Pending | None = None) -> Callable[[Hook], Hook]:
    def register(func: Hook) -> Hook:
        add(kind, func, pending=pending)
        return func

    return register


def add(kind: str, func: Hook, *, pending: Pending | None = None) -> None:
    if kind not in _REGISTRY:
        raise ValueError(f"unknown event hook {kind!r}; one of {KINDS}")
    name = hook_name(func)
    same = registration(kind, name)
    if same is not None and same.func is not func:
        # The task finds the callable by this name: two of them would be ambiguous.
        raise ValueError(f"another {kind!r} hook is already registered as {name}")
    if same is None:
        _REGISTRY[kind].append(Registration(kind, func, pending))


def remove(kind: str, func: Hook) -> None:
    _REGISTRY[kind] = [r for r in _REGISTRY.get(kind, []) if r.func is not func]


def registered(kind: str) -> list[Hook]:
    return [r.func for r in _REGISTRY[kind]]


def registration(kind: str, name: str) -> Registration | None:
    return next((r for r in _REGISTRY.get(kind, []) if r.name == name), None)


# --- delivery ---------------------------------------------------------------------------------------


def fire(kind: str, event, handler) -> None:
    """Called by the services inside their transaction; one task per hook is enqueued on commit."""
    if kind not in _REGISTRY:
        raise ValueError(f"unknown event hook {kind!r}; one of {KINDS}")
    snapshot = _snapshot(event)
    handler_id = handler.pk if handler is not None else None
    request_id = context.current().request_id or None
    for reg in _REGISTRY[kind]:
        transaction.on_commit(partial(_enqueue, kind, reg.name, event.pk, handler_id, snapshot, request_id))


def _enqueue(kind: str, name: str, event_id: int, handler_id, snapshot: dict, request_id) -> None:
    from .tasks import run_hook

    try:
        run_hook.delay(kind, name, event_id, handler_id, snapshot, request_id)
    except Exception as exc:
        # Eager (no REDIS_URL): the hook ran here and failed on its last attempt (the task logged it).
        # With a broker: the broker is unreachable. Either way the transition has committed and the
        # request must succeed; the reconciler posts what is still owed.
        log.error("event hook %s %s for event %s not delivered: %r", kind, name, event_id, exc)


def deliver(
    kind: str,
    name: str,
    event_id: int,
    handler_id: int | None = None,
    snapshot: dict | None = None,
    request_id: str | None = None,
) -> bool:
    """Run one registered hook for one event: the body of the `events.run_hook` task and of the
    reconciler. Exceptions from the hook propagate (the task retries them); returns False when there
    is nothing to run (unknown hook, event gone)."""
    reg = registration(kind, name)
    if reg is None:
        log.error("event hook %s %s is not registered; event %s skipped", kind, name, event_id)
        return False
    from .models import Event

    event = Event.objects.unscoped("a hook's event, re-read by id after its transition committed")
    event = event.filter(pk=event_id).first()
    if event is None:
        log.warning("event %s is gone; hook %s %s not run", event_id, kind, name)
        return False
    if snapshot:
        _restore(event, snapshot)
    handler = None
    if handler_id is not None:
        handler = get_user_model()._default_manager.filter(pk=handler_id).first()
    with context.acting("task", label=f"events.hook:{kind}", request_id=request_id):
        reg.func(event, handler)
    return True


def _snapshot(event) -> dict[str, Any]:
    """The event's row as JSON-safe values (datetimes keep their microseconds: hooks match on them)."""
    return {f.attname: _plain(f.value_from_object(event)) for f in event._meta.concrete_fields}


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _restore(event, snapshot: dict[str, Any]) -> None:
    # Only columns the model still has: a task queued before a deploy that changed Event still runs.
    for field in event._meta.concrete_fields:
        if field.attname in snapshot:
            setattr(event, field.attname, field.to_python(snapshot[field.attname]))


# --- reconciliation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciled:
    kind: str
    hook: str
    event_id: int
    event: str
    fixed: bool
    error: str = ""


def reconcile(*, since: dt.datetime, dry_run: bool = False) -> list[Reconciled]:
    """Run again, for events whose transition of a kind is at or after `since`, every hook that reports
    them as still pending. Safe to repeat: the hooks are idempotent, and what they posted is no longer
    pending. Returns one row per event found (fixed, or not and why)."""
    from .models import Event

    results: list[Reconciled] = []
    for kind in KINDS:
        for reg in list(_REGISTRY[kind]):
            if reg.pending is None:
                continue
            candidates = (
                Event.objects.unscoped("the reconciler checks every recent event's hook deliveries")
                .filter(**{f"{STAMPS[kind]}__gte": since})
                .order_by("pk")
            )
            # Ids first: the hooks write while we go, so no cursor stays open across their writes.
            pks = list(candidates.values_list("pk", flat=True))
            for start in range(0, len(pks), _CHUNK):
                chunk = list(candidates.filter(pk__in=pks[start : start + _CHUNK]))
                for event in list(reg.pending(chunk)):
                    results.append(_reconcile_one(reg, event, dry_run=dry_run))
    return results


def _reconcile_one(reg: Registration, event, *, dry_run: bool) -> Reconciled:
    row = partial(Reconciled, reg.kind, reg.name, event.pk, str(event))
    if dry_run:
        return row(fixed=False)
    # The hook receives what fire() would have passed: the handler, except for escalations.
    handler_id = None if reg.kind == "escalated" else event.handler_id
    try:
        deliver(reg.kind, reg.name, event.pk, handler_id, request_id=context.current().request_id or None)
    except Exception as exc:
        log.exception("reconciling hook %s %s for event %s failed", reg.kind, reg.name, event.pk)
        return row(fixed=False, error=str(exc) or type(exc).__name__)
    assert reg.pending is not None
    return row(fixed=not list(reg.pending([event])))


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("hooks")
