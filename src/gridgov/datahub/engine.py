"""Run the deterministic rules (datahub.rules) together, on one DuckDB connection over the extracts.

Each table of the work directory is a view over its Parquet file; each rule is one query. For every
finding the engine then

- picks its area: the first candidate the area tree knows (a candidate the tree does not know — a
  retired code — falls back to its deepest known ancestor), or for `area_mode = "common"` the deepest
  known ancestor shared by all candidates; the city root when nothing is known;
- fingerprints its records: each record's content (every column but `key` and `batch`) is hashed in
  DuckDB, only for the rows that appear in findings, and the fingerprint is the SHA-256 of the rule code
  and the sorted hashes. A new batch with the same content gives the same fingerprint, so a finding
  closed as a false alarm is not raised again; a change in any of its records raises it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from django.utils.translation import gettext as _

from . import extracts
from .rules import Rule, select

Progress = Callable[[str, int, int], None]

# Path length of each level of the area tree (areas.models.PATH_LENGTH), deepest first. Repeated here so
# the engine runs on extracts alone (bench/collision.py); tests/datahub/test_engine.py checks they agree.
PATH_LENGTHS = (20, 18, 15, 12, 9, 6, 4)
CONTENT_EXCLUDED = frozenset({"key", "batch"})


@dataclass
class FindingRow:
    rule: str
    area_path: str
    subject_key: str
    records: list[dict] = field(default_factory=list)  # [{"table": …, "key": …}], both sides
    fingerprint: str = ""
    evidence: dict = field(default_factory=dict)


def born_by(as_of: dt.date, years: int) -> dt.date:
    """The latest birth date of someone at least `years` old on `as_of` (29 February → 28 February)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return as_of.replace(year=as_of.year - years, day=28)


def connect(workdir: Path, manifest: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with one view per extract table and the rules' variables set."""
    workdir = Path(workdir)
    manifest = manifest or extracts.read_manifest(workdir)
    con = duckdb.connect()
    for table in extracts.SCHEMAS:
        path = workdir / f"{table}.parquet"
        if not path.exists():
            raise FileNotFoundError(f"extract table {table} is missing in {workdir}")
        # table names come from SCHEMAS; the path is quoted (DuckDB takes no parameter in a view)
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{_quote(path)}')")  # noqa: S608
    as_of = dt.date.fromisoformat(manifest["as_of"])
    con.execute("SET VARIABLE as_of = ?::DATE", [as_of])
    con.execute("SET VARIABLE born_by_80 = ?::DATE", [born_by(as_of, 80)])
    return con


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def skipped_rules(workdir: Path, rules: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Rules that cannot run on these extracts → the required sources without a current batch."""
    return _skipped(select(rules), extracts.read_manifest(workdir))


def _skipped(selected: list[Rule], manifest: dict) -> dict[str, list[str]]:
    present = {code for code, batch in manifest["sources"].items() if batch}
    out = {}
    for rule in selected:
        missing = [code for code in rule.required if code not in present]
        if missing:
            out[rule.code] = missing
    return out


def run_rules(
    workdir: Path, *, rules: Iterable[str] | None = None, progress: Progress | None = None
) -> list[FindingRow]:
    """Every selected rule (all when None) over the extracts in `workdir`; rules whose required sources
    have no current batch are skipped (`skipped_rules`). Findings come in the order of RULES, then by
    subject. ValueError for an unknown rule code."""
    selected = select(rules)
    manifest = extracts.read_manifest(workdir)
    skipped = _skipped(selected, manifest)
    runnable = [rule for rule in selected if rule.code not in skipped]
    con = connect(workdir, manifest)
    try:
        findings: list[FindingRow] = []
        candidates: list[list[str | None]] = []
        total = len(runnable) + 1
        for i, rule in enumerate(runnable, 1):
            for subject_key, areas, records, evidence in con.execute(rule.sql).fetchall():
                findings.append(
                    FindingRow(
                        rule=rule.code,
                        area_path="",
                        subject_key=subject_key,
                        records=[{"table": r["table"], "key": str(r["key"])} for r in records],
                        evidence=json.loads(evidence),
                    )
                )
                candidates.append(list(areas or ()))
            if progress:
                progress(_("规则比对"), i, total)
        place(con, findings, candidates, {rule.code: rule.area_mode for rule in runnable})
        fingerprint(con, findings)
        if progress:
            progress(_("规则比对"), total, total)
    finally:
        con.close()
    order = {rule.code: n for n, rule in enumerate(selected)}
    findings.sort(key=lambda f: (order[f.rule], f.subject_key))
    return findings


class Areas:
    """The paths of the tree that placing these candidates may need: every level prefix of every candidate
    that the tree knows (looked up in DuckDB, not loaded whole), and the city root."""

    def __init__(self, con: duckdb.DuckDBPyConnection, candidates: Iterable[str | None]) -> None:
        prefixes = {path[:n] for path in candidates if path for n in PATH_LENGTHS if n <= len(path)}
        con.register("wanted_paths", pa.table({"p": pa.array(sorted(prefixes), pa.string())}))
        try:
            self.known = {
                path
                for (path,) in con.execute(
                    "SELECT path FROM areas WHERE path IN (SELECT p FROM wanted_paths)"
                ).fetchall()
            }
        finally:
            con.unregister("wanted_paths")
        ((root,),) = con.execute("SELECT min(path) FROM areas WHERE level = 1").fetchall()
        self.root = root or ""

    def known_ancestor(self, path: str | None) -> str | None:
        if not path:
            return None
        for length in PATH_LENGTHS:
            if length <= len(path) and path[:length] in self.known:
                return path[:length]
        return None

    def resolve(self, candidates: list[str | None], *, common: bool = False) -> str:
        paths = [c for c in candidates or () if c]
        if common and paths:
            shared = paths[0]
            for p in paths[1:]:
                n = 0
                while n < min(len(shared), len(p)) and shared[n] == p[n]:
                    n += 1
                shared = shared[:n]
            return self.known_ancestor(shared) or self.root
        for path in paths:
            found = self.known_ancestor(path)
            if found:
                return found
        return self.root


def place(
    con: duckdb.DuckDBPyConnection,
    findings: list[FindingRow],
    candidates: list[list[str | None]],
    modes: dict[str, str],
) -> None:
    """Set each finding's area from its candidates; for rules placed by the registry, the subject person's
    unit comes first (one scan of the residents for every such finding of the run)."""
    wanted = sorted(
        {
            f.subject_key[4:]
            for f in findings
            if modes[f.rule] == "registry" and f.subject_key.startswith("pid:")
        }
    )
    units: dict[str, str] = {}
    if wanted:
        con.register("wanted_pids", pa.table({"p": pa.array(wanted, pa.string())}))
        try:
            units = dict(
                con.execute(
                    "SELECT pid, area_path FROM residents WHERE pid IN (SELECT p FROM wanted_pids)"
                ).fetchall()
            )
        finally:
            con.unregister("wanted_pids")
    areas = Areas(con, [*units.values(), *(path for given in candidates for path in given)])
    for finding, given in zip(findings, candidates, strict=True):
        mode = modes[finding.rule]
        if mode == "registry":
            given = [units.get(finding.subject_key[4:]), *given]
        finding.area_path = areas.resolve(given, common=mode == "common")


def content_hash_sql(table: str) -> str:
    """The expression hashing a row's content: every column but the key and the batch, NULL kept apart
    from an empty string."""
    columns = [f.name for f in extracts.SCHEMAS[table] if f.name not in CONTENT_EXCLUDED]
    struct = ", ".join(f"'{c}': \"{c}\"" for c in columns)
    return f"md5(CAST({{{struct}}} AS VARCHAR))"


def fingerprint(con: duckdb.DuckDBPyConnection, findings: list[FindingRow]) -> None:
    """Set each finding's fingerprint from the content of its records (one semi-join per table)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        for r in f.records:
            wanted[r["table"]].add(r["key"])
    hashes: dict[tuple[str, str], str] = {}
    for table, keys in wanted.items():
        if table not in extracts.SCHEMAS:
            raise ValueError(f"a rule returned a record of an unknown table: {table}")
        con.register("wanted_keys", pa.table({"k": pa.array(sorted(keys), pa.string())}))
        try:
            rows = con.execute(
                f"SELECT key, {content_hash_sql(table)} FROM {table} WHERE key IN (SELECT k FROM wanted_keys)"  # noqa: S608
            ).fetchall()
        finally:
            con.unregister("wanted_keys")
        hashes.update(((table, key), digest) for key, digest in rows)
    for f in findings:
        parts = sorted(f"{r['table']}:{hashes[(r['table'], r['key'])]}" for r in f.records)
        f.fingerprint = hashlib.sha256("\n".join([f.rule, *parts]).encode()).hexdigest()
