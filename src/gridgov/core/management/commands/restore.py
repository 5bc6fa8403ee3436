"""python manage.py restore ARCHIVE [--yes]

Checks the archive (checksums, engine, migration state, member names) before touching anything, then
replaces the configured database with the archive's and unpacks the uploads over MEDIA_ROOT; finally
compares the manifest's row counts with the restored database."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridgov.core.backup import BackupError, restore_backup, verify_archive


class Command(BaseCommand):
    help = "从备份恢复数据库和上传文件(会覆盖当前数据库)。"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="backup 命令生成的 .tar.gz")
        parser.add_argument("--yes", action="store_true", help="不询问,直接恢复")

    def handle(self, *args, **options):
        archive = Path(options["archive"])
        try:
            with verify_archive(archive) as verified:
                manifest = verified.manifest
                self.stdout.write(
                    f"备份已校验 / archive verified: {manifest['engine']}, created_at {manifest['created_at']}"
                )
                if not options["yes"]:
                    self._confirm()
                report = restore_backup(verified)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for table, (expected, actual) in report.mismatches.items():
            self.stderr.write(
                f"行数不符 / row count differs: {table}: manifest {expected}, restored {actual}"
            )
        if report.mismatches:
            raise CommandError("恢复完成但行数与清单不符 / restored, but row counts differ from the manifest")
        counts = ", ".join(f"{table}={n}" for table, n in report.actual.items())
        self.stdout.write(f"已恢复,行数与清单一致 / restored, row counts match: {counts}")

    def _confirm(self) -> None:
        if not sys.stdin.isatty():
            raise CommandError("非交互环境需加 --yes / not interactive: pass --yes to restore")
        db = settings.DATABASES["default"]["NAME"]
        answer = input(f"将覆盖数据库 {db} / this replaces database {db}. 继续?Continue? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            raise CommandError("已取消 / cancelled")
