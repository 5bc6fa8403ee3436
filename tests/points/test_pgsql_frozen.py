"""The ledger's SQL is frozen per migration: a migration never imports live code, and the latest one installs
exactly what gridgov/points/pgsql.py says the functions are (and, on PostgreSQL, the database runs that)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.db import connection

from gridgov.points import pgsql

MIGRATIONS = Path(pgsql.__file__).resolve().parent / "migrations"
PACKAGE = "gridgov.points.migrations"


def _migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _module(path: Path):
    return importlib.import_module(f"{PACKAGE}.{path.stem}")


def test_no_migration_imports_app_code():
    """Only django, the standard library and sibling migrations (frozen too): editing live code can never
    change what an applied migration did, or make a fresh database differ from a migrated one."""
    offenders = []
    for path in _migration_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level > 1 or (node.level == 1 and node.module is None):
                    names = [f"{'.' * node.level}{node.module or ''}"]  # the app package, relatively
                else:
                    names = [node.module or ""] if node.level == 0 else []
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # import_module("gridgov.…") and the like
                names = [node.value] if re.fullmatch(r"gridgov(\.\w+)+", node.value) else []
            else:
                continue
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if (name.startswith("gridgov") and not name.startswith(PACKAGE)) or name.startswith("..")
            ]
    assert offenders == []


def _installing() -> list:
    return [m for m in map(_module, _migration_files()) if hasattr(m, "FUNCTIONS") or hasattr(m, "APPLY")]


def test_the_latest_migration_installs_the_current_sql():
    latest = _installing()[-1]
    assert latest.__name__.endswith("0005_lock_order"), "a newer migration changed the SQL: check it here"
    assert latest.FUNCTIONS == pgsql.FUNCTIONS


def test_no_migration_swallows_an_existing_object():
    """A leftover function or type of the same name is an error, not silently kept (a composite type's
    `CREATE TYPE` wrapped in `EXCEPTION WHEN duplicate_object` would keep an old definition)."""
    for path in _migration_files():
        assert "duplicate_object" not in path.read_text(encoding="utf-8"), path.name
    for text in pgsql.FUNCTIONS.values():
        assert text.lstrip().startswith("CREATE FUNCTION "), text[:60]


def _body(text: str) -> str:
    return text.split("$fn$", 2)[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the functions exist on PostgreSQL")
def test_the_database_runs_the_current_sql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p WHERE p.proname LIKE 'gridgov\\_points\\_%'"
        )
        installed = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM pg_type WHERE typname = 'gridgov_redeem_item'")
        leftover_type = cursor.fetchone()[0]
    # regprocedure spells `f(bigint[],timestamp with time zone)`
    expected = {
        sig.replace(", ", ",").replace("timestamptz", "timestamp with time zone"): _body(text)
        for sig, text in pgsql.FUNCTIONS.items()
    }
    assert installed == expected
    assert leftover_type == 0  # the batch's composite type went with the batch function (0005)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the functions exist on PostgreSQL")
def test_the_lock_order_migration_goes_back_and_forth(transactional_db):
    """0005 backwards restores 0003's functions from 0003's own copy; forwards again drops and creates."""
    from django.db.migrations.executor import MigrationExecutor

    def functions() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'gridgov\\_points\\_%'")
            return {row[0] for row in cursor.fetchall()}

    executor = MigrationExecutor(connection)
    executor.migrate([("points", "0004_lean_indexes")])
    assert "gridgov_points_redeem_batch" in functions() and "gridgov_points_post" not in functions()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("points", "0005_lock_order")])
    assert functions() == {"gridgov_points_apply", "gridgov_points_post", "gridgov_points_redeem_context"}
