"""Recompute the sealed audit chains and report any edited, deleted or inserted event or altered seal."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.audit_chain import verify_audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chains (all sealed days, or one); exit code 1 on any finding."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="only this day, YYYY-MM-DD (platform time zone)")

    def handle(self, *args, day=None, **options):
        days = None
        if day:
            try:
                days = [dt.date.fromisoformat(day)]
            except ValueError as exc:
                raise CommandError(f"--day: not a date (YYYY-MM-DD): {day}") from exc
        report = verify_audit(days=days)
        for finding in report.findings:
            self.stderr.write(str(finding))
        if report.findings:
            raise CommandError(
                f"audit chain: {len(report.findings)} finding(s) over {report.days} day(s)", returncode=1
            )
        last = f", last sealed {report.last_sealed_at:%Y-%m-%d %H:%M:%S%z}" if report.last_sealed_at else ""
        self.stdout.write(f"audit chain intact: {report.days} day(s), {report.events} sealed event(s){last}")
