"""`manage.py healthcheck`: the /healthz probe from the command line (for `make prod-check`, systemd and
cron): prints each part and exits 1 when any is down."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.health import checks


class Command(BaseCommand):
    help = "Check the database, Redis and the task queue, as /healthz does; exit 1 if any is down."

    def handle(self, *args, **options):
        result = checks()
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        down = [name for name, part in result.items() if not part["ok"]]
        if down:
            raise CommandError("down: " + ", ".join(down))
