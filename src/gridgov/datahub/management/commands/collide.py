"""`manage.py collide [--rules a,b] [--sources x,y]`: one collision run (extracts → rules → linkage →
findings) with a progress bar on stderr, audited as system:datahub.collide."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from gridgov.core import context
from gridgov.core.actors import SystemActor
from gridgov.core.progress import Progress
from gridgov.core.services import ServiceError


def _codes(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


class Command(BaseCommand):
    help = "碰撞比对:对各数据源的当前批次和人口登记运行规则与模糊匹配,保存比对发现"

    def add_arguments(self, parser):
        parser.add_argument(
            "--rules", nargs="*", help="规则代码(逗号或空格分隔;默认全部,含 linkage_duplicate)"
        )
        parser.add_argument("--sources", nargs="*", help="数据源代码(默认全部)")

    def handle(self, *args, **options):
        from gridgov.datahub.services import runs

        actor = SystemActor("datahub.collide")
        with context.acting("cli", label="datahub.collide"):
            try:
                run = runs.create_run(
                    actor, rules=_codes(options["rules"]), sources=_codes(options["sources"])
                )
            except ServiceError as exc:
                raise CommandError(str(exc)) from exc
            bar = Progress("collide", 100, stream=sys.stderr)
            last = {"p": 0}

            def report(stage: str, percent: int) -> None:
                if percent > last["p"]:
                    bar.label = stage[:10]
                    bar.advance(percent - last["p"])
                    last["p"] = percent

            try:
                run = runs.execute(run, report=report)
            except Exception as exc:
                raise CommandError(f"比对失败:{exc}") from exc
            finally:
                bar.close()
        self.stdout.write(
            f"run {run.pk}: {run.findings_new} new, {run.findings_repeated} still open, "
            f"{run.findings_suppressed} suppressed, {run.findings_dispatched} dispatched for verification; "
            f"by rule: {run.counts}"
        )
