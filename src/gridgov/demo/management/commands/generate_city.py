"""python manage.py generate_city --scale 1.0 --seed 7 — build the synthetic "XX市".

A run leaves a start and a finish row in the audit log; a city with a start and no finish after it was
interrupted (Ctrl-C, a killed process, a crash in a step: the steps before it committed). A rerun says
so instead of taking it for complete: on the embedded SQLite database of `make demo` (`--if-empty`) it
deletes the file and starts again, if no person has used it yet; with `--restart` it does that in any
case; on PostgreSQL it refuses and says to recreate the database (never dropped by a command).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from gridgov.areas.models import Area
from gridgov.core import audit, context
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.demo.context import CityContext
from gridgov.demo.registry import ordered_steps


class Command(BaseCommand):
    help = "生成合成城市(区域、网格、楼院、居民…),规模 1.0 与报告数字一致:293 个社区、4327 个网格、约 120 万居民。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=0.02, help="规模,1.0 为全市(默认 0.02)")
        parser.add_argument("--seed", type=int, default=7, help="随机种子:同一种子生成相同的城市")
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有区域时跳过")
        parser.add_argument("--quiet", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--restart", action="store_true", help="上次生成被中断时,删除内置 SQLite 数据库后重新生成"
        )

    def handle(self, *args, scale: float, seed: int, if_empty: bool, quiet: bool, restart: bool, **options):
        if not 0 < scale <= 5:
            raise CommandError("--scale 应在 (0, 5] 之间")
        state = city_state()
        if state == "partial":
            self._start_over(restart=restart, if_empty=if_empty)
        elif state == "complete":
            if if_empty:
                self.stdout.write("数据库中已有城市,跳过生成。")
                return
            raise CommandError("数据库中已有区域数据:请使用空数据库,或加 --if-empty 跳过。")
        ctx = CityContext(scale=scale, seed=seed, stdout=self.stdout, quiet=quiet)
        started = time.monotonic()
        actor = SystemActor("generate_city")
        with context.acting("cli", label=f"generate_city --scale {scale} --seed {seed}"):
            with transaction.atomic():
                audit.record(
                    actor, STARTED, None, object_repr="generate_city", after={"scale": scale, "seed": seed}
                )
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
            with transaction.atomic():
                audit.record(
                    actor, FINISHED, None, object_repr="generate_city", after={"scale": scale, "seed": seed}
                )
        _refresh_statistics()
        self.stdout.write(self.style.SUCCESS(f"合成城市已生成,用时 {time.monotonic() - started:.1f}s"))

    def _start_over(self, *, restart: bool, if_empty: bool) -> None:
        """An interrupted city is never kept: the embedded SQLite file is deleted and migrated afresh."""
        database = connection.settings_dict
        name = str(database.get("NAME") or "")
        is_file = connection.vendor == "sqlite" and name not in {"", ":memory:"} and "mode=memory" not in name
        if not is_file:
            raise CommandError(
                "数据库中有一座未生成完的城市(上次生成被中断)。请删除并重新创建数据库,再运行 migrate 和 generate_city。"
            )
        if not (restart or (if_empty and not used_by_people())):
            raise CommandError(
                "数据库中有一座未生成完的城市(上次生成被中断),且已有人使用过。加 --restart 删除该数据库后重新生成。"
            )
        self.stdout.write("上次生成被中断,城市不完整:删除数据库文件后重新迁移、重新生成。")
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        call_command("migrate", interactive=False, verbosity=0)


STARTED, FINISHED = "demo.generate_started", "demo.generate_finished"


def city_state() -> str:
    """ "empty", "complete" or "partial" (the last run started and did not finish). A city loaded before
    the markers existed, or by imports rather than the generator, counts as complete."""
    if not Area.objects.for_generator().exists():
        return "empty"
    last_start = (
        AuditEvent.objects.filter(action=STARTED).order_by("-id").values_list("id", flat=True).first()
    )
    if last_start is None:
        return "complete"
    finished = AuditEvent.objects.filter(action=FINISHED, id__gt=last_start).exists()
    return "complete" if finished else "partial"


def used_by_people() -> bool:
    """Whether anyone has acted in this database (a login, a write): then it is not the generator's alone."""
    return AuditEvent.objects.filter(actor__isnull=False).exists()


def _refresh_statistics() -> None:
    """After a bulk load, planner statistics (and PostgreSQL's visibility map, for index-only scans)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM (which lets index-only scans skip the heap) cannot run inside a transaction,
            # e.g. when the generator is called from a test; ANALYZE can.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
