"""`generate_city` interrupted (a real Ctrl-C, SIGINT, in the middle of a run) leaves a partial city; the
next `generate_city --if-empty` (what `make demo` runs) must say so and start again, not take it for
complete. Runs the real command in a subprocess on a SQLite file of its own."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The restart deletes the embedded SQLite file; it runs once, in the SQLite suite (the PostgreSQL suite
# would run the same subprocesses on the same SQLite files again).
sqlite_suite_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the embedded SQLite path; covered by the SQLite suite",
)
SCALE, SEED = "0.004", "5"


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(REPO / "src"), GRIDGOV_VAR_DIR=str(db.parent))
    # Each step's line must reach the pipe when it is printed: block-buffered, the first line can arrive
    # only when the whole run has ended, and the interrupt below would come too late to interrupt.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _manage(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(REPO / "manage.py"), *args],
        env=_env(db),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


@sqlite_suite_only
def test_an_interrupted_city_is_detected_and_generated_again(tmp_path):
    db = tmp_path / "demo.sqlite3"
    assert _manage(db, "migrate", "--no-input", "-v", "0").returncode == 0
    # Interrupt the run right after its first step has committed (the areas exist, nothing else).
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(REPO / "manage.py"),
            "generate_city",
            "--scale",
            SCALE,
            "--seed",
            SEED,
            "--quiet",
        ],
        env=_env(db),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    first_step = process.stdout.readline()
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=300)[0]
    assert process.returncode != 0, first_step + rest
    assert "合成城市已生成" not in rest
    assert _count(db, "SELECT COUNT(*) FROM areas_area") > 0  # the partial city is there
    assert _count(db, "SELECT COUNT(*) FROM core_auditevent WHERE action = 'demo.generate_finished'") == 0

    # `make demo` runs this next: it must not skip the partial city as if it were complete.
    rerun = _manage(db, "generate_city", "--scale", SCALE, "--seed", SEED, "--if-empty", "--quiet")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "上次生成被中断" in rerun.stdout
    assert "合成城市已生成" in rerun.stdout
    assert _count(db, "SELECT COUNT(*) FROM core_auditevent WHERE action = 'demo.generate_started'") == 1
    assert _count(db, "SELECT COUNT(*) FROM core_auditevent WHERE action = 'demo.generate_finished'") == 1
    residents = _count(db, "SELECT COUNT(*) FROM people_resident")
    assert residents > 0
    # reference data seeded by migrations came back with the fresh database
    assert _count(db, "SELECT COUNT(*) FROM people_tag") > 0

    # and now it is complete: --if-empty skips it, with nothing changed
    again = _manage(db, "generate_city", "--scale", SCALE, "--seed", SEED, "--if-empty", "--quiet")
    assert again.returncode == 0 and "跳过生成" in again.stdout
    assert _count(db, "SELECT COUNT(*) FROM people_resident") == residents


@sqlite_suite_only
def test_a_partial_city_someone_used_is_not_deleted_without_restart(tmp_path):
    db = tmp_path / "demo.sqlite3"
    assert _manage(db, "migrate", "--no-input", "-v", "0").returncode == 0
    # A city whose run started and never finished, and a person who has acted in it.
    created = _manage(
        db,
        "shell",
        "-c",
        "from tests.factories import AreaFactory, UserFactory\n"
        "from gridgov.core import audit\n"
        "from gridgov.core.actors import SystemActor\n"
        "from django.db import transaction\n"
        "AreaFactory(name='测试市')\n"
        "u = UserFactory(username='someone')\n"
        "with transaction.atomic():\n"
        "    audit.record(SystemActor('generate_city'), 'demo.generate_started', None, object_repr='x')\n"
        "    audit.record(u, 'accounts.login', u)\n",
    )
    assert created.returncode == 0, created.stderr
    refused = _manage(db, "generate_city", "--scale", SCALE, "--if-empty", "--quiet")
    assert refused.returncode != 0
    assert "--restart" in refused.stderr
    assert db.exists() and _count(db, "SELECT COUNT(*) FROM accounts_user") == 1


def test_a_partial_city_on_a_server_database_is_refused_not_dropped(db):
    """On PostgreSQL (and any database that is not an embedded file) nothing is dropped by a command."""
    from django.core.management import CommandError, call_command
    from django.db import transaction

    from gridgov.areas.models import Area
    from gridgov.core import audit
    from gridgov.core.actors import SystemActor

    from ..factories import AreaFactory

    AreaFactory(name="测试市")
    with transaction.atomic():
        audit.record(SystemActor("generate_city"), "demo.generate_started", None, object_repr="x")
    with pytest.raises(CommandError, match="未生成完"):
        call_command("generate_city", scale=0.004, if_empty=True, quiet=True)
    assert Area.objects.for_generator().count() == 1
