"""python manage.py indicators --area CODE [--period YYYY-MM] [--json | --xlsx PATH]

Every indicator of one area, computed live through the registry (not from snapshots, so it is always
current): `{indicator_code: value}` printed, as JSON, or written as an xlsx."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.areas.models import Area
from gridgov.core import indicators
from gridgov.core.xlsx import Column, write_sheet

from ...queries import live_values


class Command(BaseCommand):
    help = "输出一个区域的全部指标 {指标代码: 数值}(实时计算)。"

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="区划代码(如 3799 或完整 12 位代码)")
        parser.add_argument("--period", default="", help="期间 YYYY-MM(默认:当前)")
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--json", action="store_true", help="以 JSON 输出")
        out.add_argument("--xlsx", metavar="PATH", help="写入 xlsx 文件")

    def handle(self, *args, **options):
        area, period, xlsx = options["area"], options["period"], options["xlsx"]
        try:
            indicators.parse_period(period)
        except ValueError:
            raise CommandError(f"期间格式应为 YYYY-MM:{period!r}") from None
        node = _area(area)
        values = live_values(node, period)
        if options["json"]:
            self.stdout.write(json.dumps(values, ensure_ascii=False, indent=2))
        elif xlsx:
            rows = [
                {
                    "code": code,
                    "label": str(indicators.get(code).label),
                    "label_en": indicators.get(code).label_en,
                    "unit": str(indicators.get(code).unit),
                    "chapter": indicators.get(code).chapter,
                    "value": value,
                }
                for code, value in values.items()
            ]
            columns = [
                Column("code", "指标代码"),
                Column("label", "指标"),
                Column("label_en", "指标(英文)"),
                Column("unit", "单位"),
                Column("chapter", "章节"),
                Column("value", "数值"),
            ]
            Path(xlsx).write_bytes(write_sheet(f"{node.name} {period or '当前'}", columns, rows))
            self.stdout.write(f"已写入 {xlsx}({len(rows)} 项指标)")
        else:
            for code, value in values.items():
                self.stdout.write(f"{code}: {indicators.format_value(code, value)}")


def _area(code: str) -> Area:
    """An area by its division code or path: a command runs for the whole platform (no user)."""
    code = code.strip()
    areas = Area.objects.unscoped("indicators command: an operator names any area").filter(is_active=True)
    found = areas.filter(code=code).first() or areas.filter(path=code).first()
    if found is None:
        raise CommandError(f"没有区划代码为 {code!r} 的区域")
    return found
