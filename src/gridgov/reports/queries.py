"""Reads of the reports app shared by the page, the API and the command: the indicator table of an area
(from snapshots when they are complete, else computed live) and its breakdown by child area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import indicators
from gridgov.core.models import AuditEvent
from gridgov.core.scope import subtree_q
from gridgov.core.xlsx import Column, write_sheet

from .models import IndicatorSnapshot

OTHER_CHAPTER = "其他"
# The seed's chapters (the work report's structure); an indicator names its chapter by the key.
CHAPTER_TITLES = {
    "概况": gettext_lazy("概况"),
    "三": gettext_lazy("三、锻造过硬队伍"),
    "四": gettext_lazy("四、激活红色治理"),
    "五": gettext_lazy("五、建强红色阵地"),
    OTHER_CHAPTER: gettext_lazy("其他"),
}


def live_values(area: Area, period: str = "") -> dict[str, Any]:
    """{code: value} of every indicator shown at the area's level, computed now through the registry."""
    return indicators.for_area(area.path, indicators.for_level(area.level), period)


def meets_target(code: str, value: Any) -> bool | None:
    """✓/✗ against the report's target: None where the report gives none or the figure has no value."""
    ind = indicators.get(code)
    if ind.target is None or value is None:
        return None
    if ind.higher_is_better is False:
        return value <= ind.target
    return value >= ind.target


def target_text(code: str) -> str:
    """The target as the report states it: "≥30", "100", "≤0" for a check ("" without one)."""
    ind = indicators.get(code)
    if ind.target is None:
        return ""
    value = indicators.format_value(code, ind.target)
    if ind.is_check or ind.higher_is_better is False:
        return f"≤{value}" if ind.target else value
    return value if ind.target >= 100 and str(ind.unit) == "%" else f"≥{value}"


@dataclass
class Table:
    area: Area
    period: str
    codes: list[str]
    values: dict[str, Any]
    computed_at: dt.datetime | None  # None: computed live (no complete snapshot)
    children: list[Area] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    child_values: dict[int, dict[str, Any]] = field(default_factory=dict)

    def figures(self) -> list[dict[str, Any]]:
        rows = []
        for code in self.codes:
            ind = indicators.get(code)
            rows.append(
                {
                    "code": code,
                    "label": str(ind.label),
                    "label_en": ind.label_en,
                    "unit": str(ind.unit),
                    "chapter": ind.chapter or OTHER_CHAPTER,
                    "value": self.values[code],
                    "target": ind.target,
                    "target_text": target_text(code),
                    "met": meets_target(code, self.values[code]),
                    "computed_at": self.computed_at,
                }
            )
        return rows

    def chapters(self) -> list[tuple[str, list[dict[str, Any]]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in self.figures():
            grouped.setdefault(row["chapter"], []).append(row)
        ordered = sorted(grouped.items(), key=lambda item: _chapter_order(item[0]))
        return [(str(CHAPTER_TITLES.get(key, key)), rows) for key, rows in ordered]

    def breakdown_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "area": child,
                "values": [self.child_values[child.pk][c] for c in self.columns],
                "cells": [(c, self.child_values[child.pk][c]) for c in self.columns],
            }
            for child in self.children
        ]


def _whole(value: float | None) -> Any:
    """A stored figure as it was computed: counts come back from the float column as ints."""
    return int(value) if value is not None and value.is_integer() else value


def _chapter_order(chapter: str) -> tuple[int, str]:
    order = {"概况": 0, "三": 3, "四": 4, "五": 5}
    return (order.get(chapter, 9), chapter)


def _children(area: Area) -> list[Area]:
    if area.level >= Level.GRID:
        return []
    return list(
        Area.objects.unscoped("children of a visible area")
        .filter(parent=area, is_active=True)
        .order_by("path")
    )


def table(area: Area, period: str = "", *, with_children: bool = True) -> Table:
    """The indicator table of `area` (which the caller has checked the reader may see) for `period`.

    Read from snapshots when every figure of the area and of its children has one for the period (a
    stock figure without a snapshot of the month from the current one); otherwise every figure is computed
    live, so the table never mixes snapshots with live figures."""
    codes = indicators.for_level(area.level)
    children = _children(area) if with_children else []
    child_level = area.level + 1
    columns = [c for c in codes if children and indicators.get(c).breaks_down_to(child_level)]
    snaps = (
        IndicatorSnapshot.objects.unscoped("snapshots of a visible area and its children")
        .filter(area__in=[area, *children], period__in={"", period})
        .values_list("area_id", "code", "period", "value", "computed_at")
    )
    found: dict[tuple[int, str], tuple[Any, dt.datetime]] = {}
    for a, c, p, v, t in sorted(snaps, key=lambda row: row[2] == period):  # the period's own last
        if p == period or not indicators.get(c).periodic:
            found[(a, c)] = (_whole(v), t)
    complete = all((area.pk, c) in found for c in codes) and all(
        (child.pk, c) in found for child in children for c in columns
    )
    if complete:
        return Table(
            area=area,
            period=period,
            codes=codes,
            values={c: found[(area.pk, c)][0] for c in codes},
            computed_at=min(found[(area.pk, c)][1] for c in codes) if codes else None,
            children=children,
            columns=columns,
            child_values={ch.pk: {c: found[(ch.pk, c)][0] for c in columns} for ch in children},
        )
    values = indicators.for_area(area.path, codes, period)
    child_values: dict[int, dict[str, Any]] = {ch.pk: {} for ch in children}
    if children:
        length = PATH_LENGTH[child_level]
        for c in columns:
            grouped = indicators.get(c).by_prefix(area.path, length, period)
            for ch in children:
                child_values[ch.pk][c] = grouped.get(ch.path, None if indicators.get(c).derived else 0)
    return Table(
        area=area,
        period=period,
        codes=codes,
        values=values,
        computed_at=None,
        children=children,
        columns=columns,
        child_values=child_values,
    )


def table_sheet(t: Table) -> bytes:
    """The breakdown of a table as an xlsx: the area's row first, then one per child."""
    codes = t.columns or t.codes
    columns = [Column("name", _("区域")), Column("code", _("区划代码"))] + [
        Column(c, f"{indicators.get(c).label}({indicators.get(c).unit})") for c in codes
    ]
    rows: list[dict[str, Any]] = [
        {"name": t.area.name, "code": t.area.code, **{c: t.values[c] for c in codes}}
    ]
    rows += [
        {"name": ch.name, "code": ch.code, **{c: t.child_values[ch.pk][c] for c in codes}}
        for ch in t.children
    ]
    return write_sheet(_("指标总表"), columns, rows)


def newer_sources(area: Area, computed_at: dt.datetime) -> bool:
    """Whether anything under the area was written after the snapshot: every service write leaves an audit
    row with its area path (the generator's bulk steps do not, see docs/reports.md)."""
    # Reads that are audited (logins, exports, unmasking) change no figure.
    reads = Q(action__startswith="reports.") | Q(action="accounts.login")
    reads |= Q(action__contains="export") | Q(action__contains="unmask")
    return (
        AuditEvent.objects.filter(subtree_q("area_path", area.path), created_at__gt=computed_at)
        .exclude(reads)
        .exists()
    )
