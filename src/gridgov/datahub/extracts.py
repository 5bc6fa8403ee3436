"""Columnar extracts for the collision run: the registry and each source's current batch as Parquet files.

One file per table in a work directory, plus `manifest.json` (the run's reference date, the rows of each
table and which batch each source's table holds). The rules (datahub.rules) run on DuckDB over these files
(datahub.engine), so the database is read once, in bulk, and never row by row.

Persons are keyed by the blind index (`pid`, the registry's `Resident.id_index` and the records'
`id_index`, same key and purpose): no clear or encrypted ID number, name, phone or address is written,
only what the rules need plus the columns whose change should re-raise a finding closed as a false alarm.

Reads stream in chunks (`values_list(...).iterator()`: no model instance per row; a server-side cursor on
PostgreSQL) and are written one Parquet row group per chunk, so memory stays flat at any scale. They cross
scope on purpose: the run compares the whole city, and what a user later sees of a finding is narrowed by
the finding's own area and department (datahub.models.Finding).

Every table has a `key` column (the row's primary key as text, or "assignment:<pk>" / "link:<pk>" for
grid spells) that findings use to point back at the row; source tables also have `batch`. Both are left out
of a row's content hash (datahub.engine), so a new batch with the same content keeps its fingerprints.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

Progress = Callable[[str, int, int], None]

CHUNK = 50_000
MANIFEST = "manifest.json"

STR, DATE, BOOL, INT, FLOAT = pa.string(), pa.date32(), pa.bool_(), pa.int64(), pa.float64()


@dataclass(frozen=True)
class Column:
    name: str  # the extract's column
    field: str  # the ORM lookup read with values_list
    type: pa.DataType
    blank_is_null: bool = False  # "" in the database is NULL in the extract (optional codes, missing IDs)


def _c(name: str, field: str | None = None, type_: pa.DataType = STR, *, blank: bool = False) -> Column:
    return Column(name, field or name, type_, blank)


# --- the registry ---------------------------------------------------------------------------------------------
REGISTRY_COLUMNS: dict[str, tuple[Column, ...]] = {
    "areas": (
        _c("key", "pk"),
        _c("path"),
        _c("level", type_=INT),
        _c("is_active", type_=BOOL),
    ),
    "households": (
        _c("key", "pk"),
        _c("area_path"),  # the unit's path
        _c("number"),
        _c("is_active", type_=BOOL),
    ),
    "residents": (
        _c("key", "pk"),
        _c("pid", "id_index", blank=True),
        _c("household_key", "household_id"),
        _c("area_path"),
        _c("birth_date", type_=DATE),
        _c("sex"),
        _c("relation"),
        _c("is_active", type_=BOOL),
    ),
    "resident_tags": (
        _c("key", "pk"),
        _c("resident_key", "resident_id"),
        _c("pid", "resident__id_index", blank=True),
        _c("tag", "tag__code"),
    ),
    "party_members": (
        _c("key", "pk"),
        _c("pid", "resident__id_index", blank=True),
        _c("area_path"),
        _c("in_service", type_=BOOL),
        _c("dual_community", "dual_community__path"),
        _c("dual_registered_on", type_=DATE),
        _c("is_active", type_=BOOL),
    ),
    "staff": (
        _c("key", "pk"),
        _c("pid", "resident__id_index", blank=True),
        _c("community", "community__path"),
        _c("area_path"),
        _c("post"),
        _c("is_active", type_=BOOL),
    ),
    # Open spells only (GridAssignment: 一网一员; GridLink: 两委成员联网格); the key says which.
    "staff_grids": (
        _c("key", "pk"),
        _c("staff_key", "staff_id"),
        _c("grid", "grid__path"),
        _c("kind"),
        _c("started_on", type_=DATE),
    ),
}

# --- the sources (datahub.models.RECORD_MODELS) ---------------------------------------------------------------
_PERSON = (
    _c("key", "pk"),
    _c("batch", "batch_id", INT),
    _c("pid", "id_index", blank=True),
    _c("birth_date", type_=DATE),
    _c("sex", blank=True),
)
SOURCE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "ps_household": (
        *_PERSON,
        _c("relation", blank=True),
        _c("community", "community_code"),
        _c("status"),
    ),
    "ps_floating": (
        *_PERSON,
        _c("community", "community_code"),
        _c("registered_on", type_=DATE),
        _c("permit_until", type_=DATE),
    ),
    "housing_property": (
        *_PERSON,
        _c("community", "community_code"),
        _c("usage"),
        _c("floor_area", type_=FLOAT),
        _c("registered_on", type_=DATE),
    ),
    "housing_rental": (
        *_PERSON,
        _c("community", "community_code"),
        _c("start_date", type_=DATE),
        _c("end_date", type_=DATE),
    ),
    "vehicle": (
        *_PERSON,
        _c("plate"),
        _c("vehicle_type"),
        _c("registered_on", type_=DATE),
        _c("status"),
    ),
    "ca_subsistence": (
        *_PERSON,
        _c("community", "community_code"),
        _c("family_size", type_=INT),
        _c("monthly_amount", type_=FLOAT),
        _c("start_date", type_=DATE),
        _c("status"),
    ),
    "ca_disability": (
        *_PERSON,
        _c("community", "community_code"),
        _c("category"),
        _c("grade", type_=INT),
        _c("allowance", type_=BOOL),
        _c("allowance_status", blank=True),
    ),
    "ca_death": (
        *_PERSON,
        _c("death_date", type_=DATE),
        _c("community", "community_code", blank=True),
    ),
    "staff": (
        *_PERSON,
        _c("post"),
        _c("community", "community_code"),
        _c("grid", "grid_code", blank=True),
    ),
    "liaison": (
        *_PERSON,
        _c("kind"),
        _c("unit_code"),
        _c("room_no"),
        _c("assigned_on", type_=DATE),
    ),
}
SOURCE_CODES: tuple[str, ...] = tuple(SOURCE_COLUMNS)


def source_table(code: str) -> str:
    return f"src_{code}"


def schema_of(columns: Iterable[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in columns])


# Every table's schema, by table name: the engine, the tests and bench/collision.py build from these.
SCHEMAS: dict[str, pa.Schema] = {
    **{name: schema_of(cols) for name, cols in REGISTRY_COLUMNS.items()},
    **{source_table(code): schema_of(cols) for code, cols in SOURCE_COLUMNS.items()},
}


# --- writing ---------------------------------------------------------------------------------------------------
def _arrays(rows: list[tuple], columns: tuple[Column, ...]) -> list[pa.Array]:
    out = []
    for values, col in zip(zip(*rows, strict=True), columns, strict=True):
        if col.type == STR:
            array = pa.array(values)  # text, or whole numbers (primary keys): cast in one go
            array = array.cast(STR) if array.type != STR else array
        elif col.type == FLOAT:  # Decimal from the database
            array = pa.array([None if v is None else float(v) for v in values], type=FLOAT)
        else:
            array = pa.array(values, type=col.type)
        if col.blank_is_null:
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, STR), array)
        out.append(array)
    return out


def write_table(path: Path, schema: pa.Schema, chunks: Iterable[list[pa.Array]]) -> int:
    """Write the row groups to `path` atomically (a temporary file renamed into place); returns the rows."""
    tmp = path.with_name(path.name + ".tmp")
    rows = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for arrays in chunks:
            batch = pa.record_batch(arrays, schema=schema)
            rows += batch.num_rows
            writer.write_batch(batch)
        if rows == 0:  # an empty table still has its schema
            writer.write_table(schema.empty_table())
    os.replace(tmp, path)
    return rows


def _chunked(rows: Iterator[tuple], columns: tuple[Column, ...]) -> Iterator[list[pa.Array]]:
    buffer: list[tuple] = []
    for row in rows:
        buffer.append(row)
        if len(buffer) >= CHUNK:
            yield _arrays(buffer, columns)
            buffer = []
    if buffer:
        yield _arrays(buffer, columns)


def _stream(queryset: Any, columns: tuple[Column, ...]) -> Iterator[tuple]:
    return queryset.order_by().values_list(*(c.field for c in columns)).iterator(chunk_size=CHUNK)


# The one bypass of scope in this module (tests/core/unscoped_allowlist.txt): a collision run compares
# the whole city; what anyone sees of its findings is narrowed again by the finding's area and department.
def _everything(model: Any) -> Any:
    return model.objects.unscoped("the city-wide collision run extracts every registry and record row")


def _registry_querysets() -> dict[str, list[tuple[Any, tuple[Column, ...]]]]:
    from gridgov.areas.models import Area
    from gridgov.party.models import PartyMember
    from gridgov.people.models import Household, Resident, ResidentTag
    from gridgov.workforce.models import GridAssignment, GridLink, Staff

    cols = REGISTRY_COLUMNS
    spell_cols = tuple(c for c in cols["staff_grids"] if c.name != "kind")
    return {
        "areas": [(_everything(Area), cols["areas"])],
        "households": [(_everything(Household), cols["households"])],
        "residents": [(_everything(Resident), cols["residents"])],
        # ResidentTag is not scoped itself (a link row); its resident is read through the join.
        "resident_tags": [(ResidentTag.objects.all(), cols["resident_tags"])],
        "party_members": [(_everything(PartyMember), cols["party_members"])],
        "staff": [(_everything(Staff), cols["staff"])],
        "staff_grids": [
            (_everything(GridAssignment).filter(ended_on__isnull=True), spell_cols),
            (_everything(GridLink).filter(ended_on__isnull=True), spell_cols),
        ],
    }


def _spells(queryset: Any, kind: str, columns: tuple[Column, ...]) -> Iterator[tuple]:
    for key, staff_key, grid, started_on in _stream(queryset, columns):
        yield f"{kind}:{key}", staff_key, grid, kind, started_on


def _registry_rows(name: str, parts: list[tuple[Any, tuple[Column, ...]]]) -> Iterator[tuple]:
    if name == "staff_grids":
        (assignments, columns), (links, _) = parts
        yield from _spells(assignments, "assignment", columns)
        yield from _spells(links, "link", columns)
        return
    for queryset, columns in parts:
        yield from _stream(queryset, columns)


def current_batches(sources: Iterable[str] | None = None) -> dict[str, dict | None]:
    """Each source's current batch ({"batch", "batch_id", "version"}), None where there is none or the
    source is not selected."""
    from .models import Source

    selected = set(SOURCE_CODES if sources is None else sources)
    unknown = selected - set(SOURCE_CODES)
    if unknown:
        raise ValueError(f"unknown source code(s): {', '.join(sorted(unknown))}")
    found = {
        code: (batch, batch_id, version)
        for code, batch, batch_id, version in Source.objects.filter(
            code__in=selected, current_batch__isnull=False
        ).values_list("code", "current_batch_id", "current_batch__batch_id", "current_batch__version")
    }
    return {
        code: (
            {"batch": found[code][0], "batch_id": found[code][1], "version": found[code][2]}
            if code in found
            else None
        )
        for code in SOURCE_CODES
    }


def write_extracts(
    workdir: Path,
    *,
    sources: Iterable[str] | None = None,
    progress: Progress | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Path]:
    """Write every registry table and each selected source's current batch (`src_<code>`; a source that is
    not selected or has no current batch gets an empty table) to `workdir`; returns table → file.

    `as_of` is the run's reference date (ages, open leases); today by default. Raises ValueError for an
    unknown source code before writing anything."""
    from django.utils import timezone

    from .models import RECORD_MODELS

    workdir = Path(workdir)
    batches = current_batches(sources)
    workdir.mkdir(parents=True, exist_ok=True)
    registry = _registry_querysets()
    total = len(registry) + len(SOURCE_CODES)
    files: dict[str, Path] = {}
    rows: dict[str, int] = {}
    step = 0

    def report() -> None:
        nonlocal step
        step += 1
        if progress:
            progress(_("导出数据"), step, total)

    for name, parts in registry.items():
        path = workdir / f"{name}.parquet"
        rows[name] = write_table(
            path, SCHEMAS[name], _chunked(_registry_rows(name, parts), REGISTRY_COLUMNS[name])
        )
        files[name] = path
        report()
    for code in SOURCE_CODES:
        name, columns = source_table(code), SOURCE_COLUMNS[code]
        current = batches[code]
        stream: Iterator[tuple] = iter(())
        if current is not None:
            stream = _stream(_everything(RECORD_MODELS[code]).filter(batch_id=current["batch"]), columns)
        path = workdir / f"{name}.parquet"
        rows[name] = write_table(path, SCHEMAS[name], _chunked(stream, columns))
        files[name] = path
        report()
    manifest = {
        "as_of": (as_of or timezone.localdate()).isoformat(),
        "tables": {name: {"file": path.name, "rows": rows[name]} for name, path in files.items()},
        "sources": batches,
    }
    write_manifest(workdir, manifest)
    return files


def write_manifest(workdir: Path, manifest: dict) -> None:
    tmp = Path(workdir) / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, Path(workdir) / MANIFEST)


def write_tables(
    workdir: Path,
    tables: dict[str, pa.Table | list[dict]],
    *,
    as_of: dt.date,
    sources: dict[str, dict | None] | None = None,
) -> dict[str, Path]:
    """Extracts made without the database (tests, bench/collision.py): the given tables (Arrow tables or
    lists of row dicts in the table's schema), every other table empty, and the manifest. `sources` marks
    which sources have a "current batch"; by default those given a table."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    unknown = set(tables) - set(SCHEMAS)
    if unknown:
        raise ValueError(f"unknown extract table(s): {', '.join(sorted(unknown))}")
    files, rows = {}, {}
    for name, schema in SCHEMAS.items():
        given = tables.get(name)
        if given is None:
            table = schema.empty_table()
        elif isinstance(given, pa.Table):
            table = given.select(schema.names).cast(schema)
        else:
            table = pa.Table.from_pylist(given, schema=schema)
        path = workdir / f"{name}.parquet"
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        files[name], rows[name] = path, table.num_rows
    if sources is None:
        sources = {
            code: (
                {"batch": 0, "batch_id": "synthetic", "version": 1} if source_table(code) in tables else None
            )
            for code in SOURCE_CODES
        }
    write_manifest(
        workdir,
        {
            "as_of": as_of.isoformat(),
            "tables": {name: {"file": path.name, "rows": rows[name]} for name, path in files.items()},
            "sources": {code: sources.get(code) for code in SOURCE_CODES},
        },
    )
    return files


def read_manifest(workdir: Path) -> dict:
    path = Path(workdir) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"no extracts in {workdir}: {MANIFEST} is missing (run write_extracts first)")
    return json.loads(path.read_text(encoding="utf-8"))
