"""python manage.py backup [--output DIR]

The database (pg_dump custom format, or SQLite's online backup API), the uploaded files and a manifest
in one verified .tar.gz; see gridgov.core.backup and docs/deploy.md ("Backups")."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gridgov.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库和上传文件到一个经过校验的 .tar.gz。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default=str(settings.VAR_DIR / "backups"), help="输出目录(默认:var/backups)"
        )

    def handle(self, *args, **options):
        try:
            path, manifest = create_backup(Path(options["output"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = ", ".join(f"{table}={n}" for table, n in manifest["row_counts"].items())
        self.stdout.write(f"已写入并校验 / written and verified: {path}")
        self.stdout.write(f"  {manifest['engine']}; {counts}")
