"""python manage.py reconcile_event_hooks --days 7 — post what event hooks still owe (e.g. the staff
points of a closed work order whose hook gave up), through the same code path as the queued task."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import context
from gridgov.events import hooks


class Command(BaseCommand):
    help = "补发事件钩子未完成的处理(如已结案工单缺少的网格员积分),可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=hooks.RECONCILE_DAYS,
            help=_("回看天数(默认 %(days)d,最多 %(max)d)")
            % {"days": hooks.RECONCILE_DAYS, "max": hooks.RECONCILE_MAX_DAYS},
        )
        parser.add_argument("--dry-run", action="store_true", help=_("只列出缺少的处理,不补发"))

    def handle(self, *args, days: int, dry_run: bool, **options):
        if not 1 <= days <= hooks.RECONCILE_MAX_DAYS:
            raise CommandError(_("--days 应在 1 到 %(max)d 之间") % {"max": hooks.RECONCILE_MAX_DAYS})
        since = timezone.now() - dt.timedelta(days=days)
        with context.acting("cli", label=f"reconcile_event_hooks --days {days}"):
            rows = hooks.reconcile(since=since, dry_run=dry_run)
        for row in rows:
            if dry_run:
                status = _("缺少")
            elif row.fixed:
                status = _("已补发")
            else:
                status = _("仍未完成") + (f":{row.error}" if row.error else "")
            self.stdout.write(f"{status}  {row.kind}  {row.hook}  {row.event}")
        fixed = sum(r.fixed for r in rows)
        summary = _("回看 %(days)d 天:发现 %(found)d 项,补发 %(fixed)d 项") % {
            "days": days,
            "found": len(rows),
            "fixed": fixed,
        }
        style = self.style.SUCCESS if fixed == len(rows) or dry_run else self.style.WARNING
        self.stdout.write(style(summary))
