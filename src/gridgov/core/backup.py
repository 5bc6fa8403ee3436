"""Backups: one .tar.gz holding the database dump, the uploaded files and a manifest.

Archive layout (flat, fixed member names)::

    manifest.json      created_at, engine, latest applied migration per app, sha256 and size of each
                       part, row counts of a few key tables
    database.dump      PostgreSQL: `pg_dump --format=custom`   (or)
    database.sqlite3   SQLite: a copy made with the sqlite3 online backup API (safe under WAL)
    media.tar.gz       settings.MEDIA_ROOT

`create_backup` writes the archive, then re-reads it through `verify_archive` (the same check `restore`
runs) before renaming it into place. `restore_backup` verifies everything — checksums, engine,
migration state, member names — before it touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PART = "media.tar.gz"
DB_PARTS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# Counted at backup time and compared after a restore.
KEY_TABLES = ["areas_area", "people_household", "people_resident", "points_transaction", "core_auditevent"]
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is shown to the operator as is."""


@dataclass
class Verified:
    """An archive unpacked into `directory` whose parts match its manifest."""

    directory: Path
    manifest: dict[str, Any]

    @property
    def database_file(self) -> Path:
        return self.directory / DB_PARTS[self.manifest["engine"]]

    @property
    def media_file(self) -> Path:
        return self.directory / MEDIA_PART


@dataclass
class RestoreReport:
    expected: dict[str, int]
    actual: dict[str, int]

    @property
    def mismatches(self) -> dict[str, tuple[int, int]]:
        return {
            t: (n, self.actual.get(t, -1)) for t, n in self.expected.items() if self.actual.get(t, -1) != n
        }


def current_engine() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite3" in engine:
        return "sqlite"
    raise BackupError(f"不支持的数据库引擎 / unsupported database engine: {engine}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- database facts (row counts, migration state) ---------------------------------------------------


def _facts(cursor: Any) -> tuple[dict[str, int], dict[str, str]]:
    """Row counts of KEY_TABLES and {app: latest applied migration}, read through a DB-API cursor."""
    counts = {}
    for table in KEY_TABLES:
        # Table names come from the constant above, never from input.
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
        counts[table] = int(cursor.fetchone()[0])
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        # Migration names start with a zero-padded number, so the greatest name is the latest one.
        if name > latest.get(app, ""):
            latest[app] = name
    return counts, latest


def live_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _facts(cursor)[0]


# --- dumping ----------------------------------------------------------------------------------------


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments for pg_dump/pg_restore; the password goes in PGPASSWORD, never argv."""
    db = settings.DATABASES["default"]
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    args += ["--dbname", str(db["NAME"]), "--no-password"]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(argv: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"找不到程序 / program not found: {argv[0]}") from None
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} 失败 / failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _dump_postgresql(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """pg_dump inside an exported snapshot, so the dump, the counts and the migration state agree."""
    args, env = _pg_args_env()
    connection.ensure_connection()
    raw = connection.connection
    old_autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with raw.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                facts = _facts(cursor)
                _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", *args], env)
            finally:
                cursor.execute("ROLLBACK")
    finally:
        connection.set_autocommit(old_autocommit)
    return facts


def _dump_sqlite(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)  # the online backup API: a consistent copy even while others write (WAL)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _facts(copy.cursor())
    finally:
        copy.close()
        source.close()


def _write_media(target: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w:gz") as tar:
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=str(PurePosixPath("media") / path.relative_to(media).as_posix()))


def create_backup(output_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Write gridgov-backup-<UTC time>.tar.gz in `output_dir`, verified; returns its path and manifest."""
    engine = current_engine()
    output_dir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    final = output_dir / f"gridgov-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    partial = final.with_name(final.name + ".partial")
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".backup-") as tmp:
        work = Path(tmp)
        db_part = work / DB_PARTS[engine]
        counts, migrations = (_dump_postgresql if engine == "postgresql" else _dump_sqlite)(db_part)
        _write_media(work / MEDIA_PART)
        parts = [db_part.name, MEDIA_PART]
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "engine": engine,
            "migrations": dict(sorted(migrations.items())),
            "parts": {
                name: {"sha256": sha256_file(work / name), "size": (work / name).stat().st_size}
                for name in parts
            },
            "row_counts": counts,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        with tarfile.open(partial, "w:gz") as tar:
            for name in [MANIFEST, *parts]:
                tar.add(work / name, arcname=name)
    try:
        with verify_archive(partial, check_compatible=False):
            pass
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(final)
    return final, manifest


# --- verification -----------------------------------------------------------------------------------


def _safe_members(tar: tarfile.TarFile, allowed: set[str] | None, what: str) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for member in members:
        path = PurePosixPath(member.name)
        # Windows-style roots ("\\x", "C:") too: the archive may be restored on any host.
        if (
            not path.parts
            or path.is_absolute()
            or ".." in path.parts
            or "\\" in member.name
            or ":" in path.parts[0]
        ):
            raise BackupError(f"{what} 含不安全的路径 / unsafe path in {what}: {member.name!r}")
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"{what} 含非普通文件 / non-regular member in {what}: {member.name!r}")
        if allowed is not None and member.name not in allowed:
            raise BackupError(f"{what} 含未知成员 / unexpected member in {what}: {member.name!r}")
    return members


def _check_media(path: Path) -> None:
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in _safe_members(tar, None, MEDIA_PART):
                if PurePosixPath(member.name).parts[:1] != ("media",):
                    raise BackupError(f"{MEDIA_PART} 含未知成员 / unexpected member: {member.name!r}")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{MEDIA_PART} 已损坏 / is corrupted: {exc}") from None


def _check_compatible(manifest: dict[str, Any]) -> None:
    engine = current_engine()
    if manifest["engine"] != engine:
        raise BackupError(
            f"数据库引擎不符:备份为 {manifest['engine']},当前为 {engine} / "
            f"engine mismatch: archive is {manifest['engine']}, this installation is {engine}"
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            "备份的迁移状态比当前代码新,请先升级代码 / the archive's migration state is newer than this code "
            f"(unknown migrations: {', '.join(unknown)})"
        )


@contextmanager
def verify_archive(archive: Path, check_compatible: bool = True) -> Iterator[Verified]:
    """Unpack `archive` into a temporary directory and check it; yields it while the directory lives."""
    if not archive.is_file():
        raise BackupError(f"备份文件不存在 / archive not found: {archive}")
    with tempfile.TemporaryDirectory(prefix="gridgov-restore-") as tmp:
        work = Path(tmp)
        allowed = {MANIFEST, MEDIA_PART, *DB_PARTS.values()}
        try:
            with tarfile.open(archive, "r:gz") as tar:
                _safe_members(tar, allowed, archive.name)
                tar.extractall(work, filter="data")
        except BackupError:
            raise
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"备份文件已损坏或不完整 / archive is corrupted or truncated: {exc}") from None
        try:
            manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT_VERSION or manifest.get("engine") not in DB_PARTS:
                raise ValueError("unknown format or engine")
            parts = dict(manifest["parts"])
            counts = {str(k): int(v) for k, v in manifest["row_counts"].items()}
            dict(manifest["migrations"])
        except FileNotFoundError:
            raise BackupError(f"备份缺少 / archive lacks {MANIFEST}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"{MANIFEST} 无效 / is invalid: {exc}") from None
        manifest["row_counts"] = counts
        for name in (DB_PARTS[manifest["engine"]], MEDIA_PART):
            if name not in parts:
                raise BackupError(f"清单未列出 / manifest does not list {name}")
            path = work / name
            if not path.is_file():
                raise BackupError(f"备份缺少 / archive lacks {name}")
            if sha256_file(path) != parts[name].get("sha256"):
                raise BackupError(f"{name} 校验和不符 / sha256 mismatch: the archive is corrupted")
        _check_media(work / MEDIA_PART)
        if check_compatible:
            _check_compatible(manifest)
        yield Verified(work, manifest)


# --- restoring --------------------------------------------------------------------------------------


def _restore_postgresql(dump: Path) -> None:
    args, env = _pg_args_env()
    connections.close_all()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env,
    )


def _restore_sqlite(copy_file: Path) -> None:
    connections.close_all()
    source = sqlite3.connect(str(copy_file))
    target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=30)
    try:
        source.backup(target)  # page by page into the live file, through SQLite's own locking (WAL-safe)
    finally:
        target.close()
        source.close()


def _restore_media(media_tar: Path) -> None:
    """Unpack the uploads over MEDIA_ROOT (files in the archive win; files not in it are left alone)."""
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=media.parent, prefix=".media-restore-") as tmp:
        with tarfile.open(media_tar, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
        unpacked = Path(tmp) / "media"
        if unpacked.is_dir():
            shutil.copytree(unpacked, media, dirs_exist_ok=True)


def restore_backup(verified: Verified) -> RestoreReport:
    """Load a verified archive into the configured database and MEDIA_ROOT; compare row counts."""
    if verified.manifest["engine"] == "postgresql":
        _restore_postgresql(verified.database_file)
    else:
        _restore_sqlite(verified.database_file)
    _restore_media(verified.media_file)
    return RestoreReport(expected=verified.manifest["row_counts"], actual=live_counts())
