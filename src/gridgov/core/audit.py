"""Writing audit rows. Only service functions call these, inside their own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from . import context
from .actors import SystemActor
from .models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "<encrypted>"
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _storable(value: Any) -> Any:
    """PostgreSQL's jsonb cannot hold U+0000: a NUL in text an audit row quotes from a request (the name of a
    query parameter in an export's filters) is kept as U+FFFD rather than failing the write with a 500."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """A JSON-able copy of an object's concrete fields (encrypted columns are never copied out)."""
    result: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in getattr(obj, "audit_exclude_fields", ()) or isinstance(field, models.BinaryField):
            continue
        result[field.attname] = _plain(getattr(obj, field.attname))
    return result


def actor_fields(actor) -> dict[str, Any]:
    """Who an audit row names: the signed-in user, else the command or task label, else the source."""
    ctx = context.current()
    if isinstance(actor, SystemActor):
        return {"actor": None, "actor_label": actor.get_username()}
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {"actor": actor, "actor_label": actor.get_username()}
    return {"actor": None, "actor_label": ctx.label or ctx.source}


def _area_path(obj: models.Model | None) -> str:
    if obj is None:
        return ""
    path = getattr(obj, "scope_path", None)
    return path if isinstance(path, str) else ""


def _actor_area(actor) -> str:
    """Where an event without an area of its own (an export, a login) shows up: the actor's area."""
    return str(getattr(actor, "area_path", "") or "")


def record(
    actor,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    object_repr: str | None = None,
    area_path: str | None = None,
) -> AuditEvent:
    assert connection.in_atomic_block, "audit rows are written inside the service's transaction"
    ctx = context.current()
    return AuditEvent.objects.create(
        **actor_fields(actor),
        action=action,
        object_type=ContentType.objects.get_for_model(obj, for_concrete_model=True)
        if obj is not None
        else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:200],
        area_path=area_path if area_path is not None else _area_path(obj) or _actor_area(actor),
        before=_storable(before),
        after=_storable(after),
        source=ctx.source,
        request_id=ctx.request_id,
    )


def record_many(actor, action: str, objects: Iterable[models.Model], *, with_after: bool = True) -> int:
    """Audit rows for a bulk write (an import, the generator): one per object, inserted in batches."""
    assert connection.in_atomic_block, "audit rows are written inside the service's transaction"
    ctx = context.current()
    who = actor_fields(actor)
    rows = []
    ct_cache: dict[type, ContentType] = {}
    for obj in objects:
        model = type(obj)
        if model not in ct_cache:
            ct_cache[model] = ContentType.objects.get_for_model(model)
        rows.append(
            AuditEvent(
                **who,
                action=action,
                object_type=ct_cache[model],
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                area_path=_area_path(obj),
                after=snapshot(obj) if with_after else None,
                source=ctx.source,
                request_id=ctx.request_id,
            )
        )
    AuditEvent.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
