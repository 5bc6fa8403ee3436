"""`manage.py backup` / `restore`: a round trip keeps the city's indicators and row counts; a bad archive
is refused before anything is touched.

The round trips run manage.py in a subprocess against a database of their own (a SQLite file, or a
throwaway PostgreSQL database when the suite runs on PostgreSQL), as tests/e2e/conftest.py does for the
demo site. The refusal tests call `restore` in-process without the `db` fixture: pytest-django then
fails any database access, so "refused before touching the database" is checked by construction.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.loader import MigrationLoader

from gridgov.core import backup
from tests.helpers import throwaway_postgres as postgres_database

REPO = Path(__file__).resolve().parents[2]

# What the round trip compares: every indicator of the city, and the row counts of the key tables.
READ_CITY = """
import json
from django.db import connection
from gridgov.areas.models import Area
from gridgov.core import indicators
city = Area.objects.unscoped("test: the whole city").order_by("level", "path").first()
values = indicators.for_area(city.path, indicators.for_level(city.level))
with connection.cursor() as cursor:
    counts = {}
    for table in ["areas_area", "people_household", "people_resident", "points_transaction", "core_auditevent"]:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
print("@@" + json.dumps({"path": city.path, "indicators": values, "counts": counts}))
"""


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def _ok(env: dict[str, str], *args: str) -> str:
    done = _manage(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _read_city(env: dict[str, str]) -> dict:
    return json.loads(_ok(env, "shell", "-c", READ_CITY).rsplit("@@", 1)[1])


def _env(database_url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DATABASE_URL=database_url,
        PYTHONPATH=str(REPO / "src"),
        DJANGO_SETTINGS_MODULE="gridgov.settings",
        GRIDGOV_MEDIA_ROOT=str(media),
    )
    return env


def _round_trip(env: dict[str, str], tmp_path: Path) -> None:
    media = Path(env["GRIDGOV_MEDIA_ROOT"])
    _ok(env, "migrate", "--no-input", "-v", "0")
    _ok(env, "generate_city", "--scale", "0.002", "--seed", "3", "--quiet", "-v", "0")
    (media / "events").mkdir(parents=True)
    (media / "events" / "photo.jpg").write_bytes(b"\xff\xd8 an upload \xff\xd9")
    before = _read_city(env)
    assert before["counts"]["people_resident"] > 0
    assert any(before["indicators"].values())

    out = _ok(env, "backup", "--output", str(tmp_path / "backups"))
    assert "written and verified" in out
    (archive,) = (tmp_path / "backups").glob("gridgov-backup-*.tar.gz")
    manifest = _manifest(archive)
    assert manifest["row_counts"] == before["counts"]
    assert manifest["migrations"]["areas"].startswith("0")

    # Lose everything, then restore.
    _ok(env, "flush", "--no-input")
    (media / "events" / "photo.jpg").unlink()
    out = _ok(env, "restore", str(archive), "--yes")
    assert "row counts match" in out

    assert _read_city(env) == before
    assert (media / "events" / "photo.jpg").read_bytes() == b"\xff\xd8 an upload \xff\xd9"


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile(backup.MANIFEST)
        assert member is not None
        return json.loads(member.read())


def test_round_trip_sqlite(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("the SQLite round trip runs in the SQLite suite; this suite does the pg_dump one")
    _round_trip(_env(f"sqlite:///{tmp_path / 'city.sqlite3'}", tmp_path / "media"), tmp_path)


@pytest.fixture
def throwaway_postgres() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the suite runs on SQLite: set DATABASE_URL to PostgreSQL for the pg_dump round trip")
    with postgres_database(url, f"h_backup_test_{os.getpid()}") as database:
        yield database


def test_round_trip_postgresql(tmp_path, throwaway_postgres):
    _round_trip(_env(throwaway_postgres, tmp_path / "media"), tmp_path)


# --- refusals: hand-made archives, checked before any database access --------------------------------


def _latest_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations:
        if app in ("areas", "core") and name > latest.get(app, ""):
            latest[app] = name
    return latest


def _tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def make_archive(
    path: Path,
    *,
    engine: str | None = None,
    migrations: dict[str, str] | None = None,
    media: dict[str, bytes] | None = None,
    extra: dict[str, bytes] | None = None,
    drop: str = "",
) -> Path:
    """An archive shaped like `backup`'s output (a real SQLite file as the dump, random-ish media)."""
    engine = engine or backup.current_engine()
    db_file = path.parent / "part.sqlite3"
    with sqlite3.connect(db_file) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
        conn.executemany(
            "INSERT INTO t VALUES (?)", [(hashlib.sha256(bytes([i])).hexdigest(),) for i in range(200)]
        )
    conn.close()
    media_members = {"media/a.txt": b"hello"} if media is None else media
    parts = {backup.DB_PARTS[engine]: db_file.read_bytes(), backup.MEDIA_PART: _tar_bytes(media_members)}
    manifest = {
        "format": backup.FORMAT_VERSION,
        "created_at": "2026-01-01T00:00:00+00:00",
        "engine": engine,
        "migrations": _latest_migrations() if migrations is None else migrations,
        "parts": {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in parts.items()},
        "row_counts": dict.fromkeys(backup.KEY_TABLES, 0),
    }
    members = {backup.MANIFEST: json.dumps(manifest).encode(), **parts, **(extra or {})}
    members.pop(drop, None)
    path.write_bytes(_tar_bytes(members))
    return path


def refused(archive: Path) -> str:
    with pytest.raises(CommandError) as info:
        call_command("restore", str(archive), "--yes")
    return str(info.value)


def test_well_formed_archive_passes_verification(tmp_path):
    with backup.verify_archive(make_archive(tmp_path / "ok.tar.gz")) as verified:
        assert verified.database_file.is_file()


def test_without_yes_restore_refuses_when_not_interactive(tmp_path):
    archive = make_archive(tmp_path / "ok.tar.gz")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))


def test_flipped_byte_is_refused(tmp_path):
    archive = make_archive(tmp_path / "a.tar.gz")
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert "corrupted" in refused(archive)


def test_truncated_archive_is_refused(tmp_path):
    archive = make_archive(tmp_path / "a.tar.gz")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    assert "corrupted or truncated" in refused(archive)


def test_changed_part_is_refused_by_checksum(tmp_path):
    archive = make_archive(tmp_path / "a.tar.gz", extra={})
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    members[backup.MEDIA_PART] = _tar_bytes({"media/a.txt": b"changed"})
    archive.write_bytes(_tar_bytes(members))
    assert "sha256 mismatch" in refused(archive)


@pytest.mark.parametrize("part", [backup.MANIFEST, backup.MEDIA_PART])
def test_missing_part_is_refused(tmp_path, part):
    assert "lacks" in refused(make_archive(tmp_path / "a.tar.gz", drop=part))


def test_missing_database_part_is_refused(tmp_path):
    archive = make_archive(tmp_path / "a.tar.gz", drop=backup.DB_PARTS[backup.current_engine()])
    assert "lacks" in refused(archive)


def test_engine_mismatch_is_refused(tmp_path):
    other = "postgresql" if backup.current_engine() == "sqlite" else "sqlite"
    assert "engine mismatch" in refused(make_archive(tmp_path / "a.tar.gz", engine=other))


def test_newer_migration_state_is_refused(tmp_path):
    migrations = {**_latest_migrations(), "areas": "9999_from_the_future"}
    message = refused(make_archive(tmp_path / "a.tar.gz", migrations=migrations))
    assert "newer than this code" in message
    assert "areas.9999_from_the_future" in message


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"])
def test_member_outside_the_archive_is_refused(tmp_path, name):
    archive = make_archive(tmp_path / "a.tar.gz", extra={name: b"evil"})
    assert "unsafe path" in refused(archive)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_media_member_outside_media_is_refused(tmp_path):
    archive = make_archive(tmp_path / "a.tar.gz", media={"media/../../evil.txt": b"evil"})
    assert "unsafe path" in refused(archive)


def test_unknown_member_is_refused(tmp_path):
    assert "unexpected member" in refused(make_archive(tmp_path / "a.tar.gz", extra={"run.sh": b"x"}))
