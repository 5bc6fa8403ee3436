"""The integration point other apps use to react to events (e.g. staff points), without events knowing them.

    from gridgov.events import hooks

    @hooks.on("handled")           # also "closed", "escalated"
    def give_points(event, handler):  # handler: the User who did the work (None for system escalations)
        ...

Callables run *after the transaction commits* (transaction.on_commit), once per transition, so a
rolled-back transition never fires a hook and a failing hook cannot undo the transition. An app's
`hooks.py` module is imported at start-up (autodiscover), so registering there is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import transaction

KINDS = ("handled", "closed", "escalated")
Hook = Callable[..., None]
_REGISTRY: dict[str, list[Hook]] = {kind: [] for kind in KINDS}


def on(kind: str) -> Callable[[Hook], Hook]:
    def register(func: Hook) -> Hook:
        add(kind, func)
        return func

    return register


def add(kind: str, func: Hook) -> None:
    if kind not in _REGISTRY:
        raise ValueError(f"unknown event hook {kind!r}; one of {KINDS}")
    if func not in _REGISTRY[kind]:
        _REGISTRY[kind].append(func)


def remove(kind: str, func: Hook) -> None:
    if func in _REGISTRY.get(kind, []):
        _REGISTRY[kind].remove(func)


def registered(kind: str) -> list[Hook]:
    return list(_REGISTRY[kind])


def fire(kind: str, event, handler) -> None:
    """Called by the services inside their transaction; the callables run on commit."""
    for func in registered(kind):
        transaction.on_commit(partial(func, event, handler))


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("hooks")
