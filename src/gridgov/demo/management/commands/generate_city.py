"""python manage.py generate_city --scale 1.0 --seed 7 — build the synthetic "XX市"."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from gridgov.areas.models import Area
from gridgov.core import audit, context
from gridgov.core.actors import SystemActor
from gridgov.demo.context import CityContext
from gridgov.demo.registry import ordered_steps


class Command(BaseCommand):
    help = "生成合成城市(区域、网格、楼院、居民…),规模 1.0 与报告数字一致:293 个社区、4327 个网格、约 120 万居民。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=0.02, help="规模,1.0 为全市(默认 0.02)")
        parser.add_argument("--seed", type=int, default=7, help="随机种子:同一种子生成相同的城市")
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有区域时跳过")
        parser.add_argument("--quiet", action="store_true", help="不显示进度条")

    def handle(self, *args, scale: float, seed: int, if_empty: bool, quiet: bool, **options):
        if not 0 < scale <= 5:
            raise CommandError("--scale 应在 (0, 5] 之间")
        if Area.objects.for_generator().exists():
            if if_empty:
                self.stdout.write("数据库中已有城市,跳过生成。")
                return
            raise CommandError("数据库中已有区域数据:请使用空数据库,或加 --if-empty 跳过。")
        ctx = CityContext(scale=scale, seed=seed, stdout=self.stdout, quiet=quiet)
        started = time.monotonic()
        with context.acting("cli", label=f"generate_city --scale {scale} --seed {seed}"):
            for step in ordered_steps():
                t0 = time.monotonic()
                result = step.func(ctx)
                with transaction.atomic():
                    audit.record(
                        SystemActor("generate_city"),
                        "demo.generate",
                        None,
                        object_repr=step.name,
                        after={"result": result, "scale": scale, "seed": seed},
                    )
                self.stdout.write(f"  {step.name}:{result}({time.monotonic() - t0:.1f}s)")
        _refresh_statistics()
        self.stdout.write(self.style.SUCCESS(f"合成城市已生成,用时 {time.monotonic() - started:.1f}s"))


def _refresh_statistics() -> None:
    """After a bulk load, planner statistics (and PostgreSQL's visibility map, for index-only scans)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM (which lets index-only scans skip the heap) cannot run inside a transaction,
            # e.g. when the generator is called from a test; ANALYZE can.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
