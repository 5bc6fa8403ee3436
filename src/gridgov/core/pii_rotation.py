"""Re-encrypting the registered PII columns under the current key version (`python manage.py rotate_pii_key`).

No downtime: rows are taken in primary-key order in batches, each batch its own short transaction that
locks only its rows (SELECT … FOR UPDATE) while they are re-encrypted, so writers wait at most one batch
for a row. A row not yet reached is still read through its old key; a row written meanwhile is already
under the current version. A row's version is the first byte of its ciphertext, compared in SQL, so rows
under the current version are never read or locked: a second run, or the rest of an interrupted one, has
only the remaining rows to do. A value that cannot be decrypted (a damaged ciphertext, a version whose key
is missing) is listed by model, id and column and left as it is; the others go on.

Only ciphertexts are rotated. The blind indexes (`*_index`, GRIDGOV_PII_INDEX_KEY) stay: re-keying them
would need every plaintext under the new index key, which is out of scope (docs/hardening.md).

Nothing here ever puts a plaintext in a message, a report or the audit row: counts, ids and column names only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from django.db import models, transaction
from django.db.models.functions import Substr

from . import audit, pii
from .scope import ScopedQuerySet

DEFAULT_BATCH = 1000
AUDIT_ACTION = "core.rotate_pii_key"


@dataclass(frozen=True)
class Failure:
    pk: Any
    field: str
    reason: str  # PIIError's own message or the exception's class: never the value


@dataclass
class ModelRotation:
    model: type[models.Model]
    fields: list[str]
    found: int = 0  # rows with a column under another version when the model's turn came
    rows: int = 0  # rows re-encrypted (in a dry run: that would be)
    values: dict[str, int] = field(default_factory=dict)  # values re-encrypted per column
    failures: list[Failure] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def key(self) -> str:
        return self.model._meta.label


@dataclass
class Rotation:
    version: int
    dry_run: bool
    models: list[ModelRotation] = field(default_factory=list)
    completed: bool = False

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.models)

    @property
    def failures(self) -> list[Failure]:
        return [f for m in self.models for f in m.failures]

    def audit_after(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "completed": self.completed,
            "rows": self.rows,
            "models": {
                m.key: {
                    "rows": m.rows,
                    "values": dict(m.values),
                    "failed": [{"id": str(f.pk), "field": f.field, "reason": f.reason} for f in m.failures],
                }
                for m in self.models
            },
        }


Progress = Callable[[ModelRotation, int], None]  # (model, rows done so far)


def columns_by_model() -> list[tuple[type[models.Model], list[pii.EncryptedColumn]]]:
    grouped: dict[type[models.Model], list[pii.EncryptedColumn]] = {}
    for column in pii.encrypted_columns():
        grouped.setdefault(column.model, []).append(column)
    return list(grouped.items())


def _every_row(model: type[models.Model]) -> models.QuerySet:
    qs = model._default_manager.all()
    if isinstance(qs, ScopedQuerySet):
        qs = qs.unscoped("key rotation re-encrypts every registered column of every area")
    return qs


def _version_alias(name: str) -> str:
    return f"_pii_version_{name}"


def _with_versions(qs: models.QuerySet, fields: list[str]) -> models.QuerySet:
    """Each column's first byte (its key version) as an alias: SUBSTR/SUBSTRING of the bytes."""
    return qs.alias(**{_version_alias(f): Substr(f, 1, 1, output_field=models.BinaryField()) for f in fields})


def _stale_q(fields: list[str], version: int) -> models.Q:
    """A column under another version: its first byte below or above the current one (NULL matches neither)."""
    byte = bytes([version])
    q = models.Q()
    for name in fields:
        alias = _version_alias(name)
        q |= models.Q(**{f"{alias}__lt": byte}) | models.Q(**{f"{alias}__gt": byte})
    return q


def stale_rows(model: type[models.Model], fields: list[str], version: int) -> models.QuerySet:
    return _with_versions(_every_row(model), fields).filter(_stale_q(fields, version))


def _failure_reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, pii.PIIError) else type(exc).__name__


def _rotate_model(
    result: ModelRotation,
    columns: list[pii.EncryptedColumn],
    version: int,
    *,
    batch: int,
    dry_run: bool,
    progress: Progress | None,
) -> None:
    fields = result.fields
    result.values = dict.fromkeys(fields, 0)
    stale = stale_rows(result.model, fields, version).order_by("pk")
    result.found = stale.count()
    if progress:
        progress(result, 0)
    last_pk = None
    while True:
        with transaction.atomic():
            page = stale if last_pk is None else stale.filter(pk__gt=last_pk)
            if not dry_run:
                page = page.select_for_update()
            rows = list(page.only("pk", *fields)[:batch])
            if not rows:
                break
            last_pk = rows[-1].pk
            changed = []
            for row in rows:
                touched = False
                for column in columns:
                    blob = getattr(row, column.field)
                    if blob is None:
                        continue
                    try:
                        # Checks the version byte again on the locked row, and decrypts it: a value that
                        # would fail later fails in the dry run too.
                        new = pii.reencrypt(blob, purpose=column.purpose)
                    except (pii.PIIError, InvalidTag, UnicodeDecodeError) as exc:
                        result.failures.append(Failure(row.pk, column.field, _failure_reason(exc)))
                        continue
                    if new is not None:
                        setattr(row, column.field, new)
                        result.values[column.field] += 1
                        touched = True
                if touched:
                    changed.append(row)
            if changed and not dry_run:
                _every_row(result.model).bulk_update(changed, fields)
            result.rows += len(changed)
        if progress:
            progress(result, result.rows)


def rotate(
    actor,
    *,
    batch: int = DEFAULT_BATCH,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Rotation:
    """Re-encrypt every registered column under the current key version, model by model.

    Writes one audit row at the end with the counts (also when interrupted part-way, with
    `completed: false`); a dry run decrypts and counts but writes nothing, not even the audit row."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    version = pii.current_version()  # also validates the configured keys before anything is read
    result = Rotation(version=version, dry_run=dry_run)
    try:
        for model, columns in columns_by_model():
            model_result = ModelRotation(model, [c.field for c in columns])
            result.models.append(model_result)
            _rotate_model(model_result, columns, version, batch=batch, dry_run=dry_run, progress=progress)
        result.completed = True
    finally:
        if not dry_run and (result.completed or result.rows):
            with transaction.atomic():
                audit.record(
                    actor,
                    AUDIT_ACTION,
                    None,
                    object_repr=f"个人信息加密密钥版本 {version}",
                    after=result.audit_after(),
                    area_path="",
                )
    return result


# --- check ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnVersions:
    model: type[models.Model]
    field: str
    counts: dict[int | None, int]  # key version -> values; None: not a ciphertext (empty)

    @property
    def label(self) -> str:
        meta = self.model._meta
        column = meta.get_field(self.field)
        return f"{meta.verbose_name} {getattr(column, 'verbose_name', self.field)}"


def versions_in_use() -> list[ColumnVersions]:
    """How many stored values of each registered column are under each key version (NULLs left out)."""
    found = []
    for model, columns in columns_by_model():
        for column in columns:
            alias = _version_alias(column.field)
            rows = (
                _every_row(model)
                .filter(**{f"{column.field}__isnull": False})
                .annotate(**{alias: Substr(column.field, 1, 1, output_field=models.BinaryField())})
                .values(alias)
                .annotate(n=models.Count("pk"))
                .order_by()
            )
            counts: dict[int | None, int] = {}
            for row in rows:
                first = bytes(row[alias] or b"")
                version = first[0] if first else None
                counts[version] = counts.get(version, 0) + row["n"]
            found.append(ColumnVersions(model, column.field, counts))
    return found
