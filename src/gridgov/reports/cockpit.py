"""数据大屏 (the city cockpit): everything its one data endpoint returns for an area and a period.

Every figure is read from `queries.table(area, period)` — snapshots when they are complete, else live — and
nothing here counts anything itself, except the month-by-month trends of the periodic indicators, which
come from the month's snapshots where they exist and otherwise from the registry (`indicators.for_area`,
one query per indicator per month at most). What a tile shows and what its breakdown on the map and the
ranking shows are the same table, so an additive figure always equals the sum of its parts; a figure that
is not additive at the children's level carries its counting rule (`counts_by`). See docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.areas.queries import visible_ancestors
from gridgov.core import indicators

from . import queries
from .models import IndicatorSnapshot

# The headline tiles, in this order, as far as the area's level shows them (the report's first figures).
HEADLINE = [
    "streets",
    "communities",
    "grids",
    "residents",
    "households",
    "party_members",
    "party_grid_branches",
    "wf_secretaries",
    "wf_grid_workers",
    "service_centres",
    "pt_volunteer_services",
]
# The map's indicator when none is asked for (or the one asked for does not break down here).
DEFAULT_MAP_CODES = ["residents", "households", "grids"]
TREND_MONTHS = 12
WHERE_LIMIT = 5  # children named under a check that finds problems
POLYGONS = {"Polygon", "MultiPolygon"}


def months_to(period: str, count: int = TREND_MONTHS) -> list[str]:
    """The `count` months ending with `period` ("YYYY-MM"; "" is the current local month), oldest first."""
    if period:
        year, month = int(period[:4]), int(period[5:7])
    else:
        today = timezone.localdate()
        year, month = today.year, today.month
    months = []
    for _i in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def _figure(code: str, value: Any) -> dict[str, Any]:
    ind = indicators.get(code)
    return {
        "code": code,
        "label": str(ind.label),
        "unit": str(ind.unit),
        "value": value,
        "text": indicators.format_value(code, value),
    }


def _area(area: Area) -> dict[str, Any]:
    return {
        "id": area.pk,
        "name": area.name,
        "code": area.code,
        "level": area.level,
        "level_label": str(Level(area.level).label),
    }


def map_code(t: queries.Table, code: str) -> str:
    """The indicator the map and the ranking show: `code` when it breaks down to the children, else a default."""
    if code in t.columns:
        return code
    return next((c for c in DEFAULT_MAP_CODES if c in t.columns), t.columns[0] if t.columns else "")


def geojson(children: list[Area]) -> dict[str, Any]:
    """The children's own polygons (Area.geometry, plane metres), keyed by the child's id."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": str(child.pk), "label": child.name},
            "geometry": child.geometry,
        }
        for child in children
        if isinstance(child.geometry, dict) and child.geometry.get("type") in POLYGONS
    ]
    return {"type": "FeatureCollection", "features": features}


def periodic(code: str) -> bool:
    """Whether the figure depends on the month: its rows have a period field, or one of its parts does."""
    return indicators.get(code).periodic


def trends(user, area: Area, t: queries.Table, months: list[str]) -> dict[str, Any]:
    """Each periodic indicator of the area month by month: the month's snapshot where there is one, else
    computed live (at most one query per indicator per month); the table's own month is the table's value."""
    codes = [c for c in t.codes if periodic(c)]
    found: dict[tuple[str, str], Any] = {}
    if codes:
        found = {
            (period, code): value
            for period, code, value in IndicatorSnapshot.objects.visible_to(user)
            .filter(area=area, period__in=months, code__in=codes)
            .values_list("period", "code", "value")
        }
    if t.period:
        found.update({(t.period, c): t.values[c] for c in codes})
    for month in months:
        missing = [c for c in codes if (month, c) not in found]
        if missing:
            found.update({(month, c): v for c, v in indicators.for_area(area.path, missing, month).items()})
    return {
        "months": months,
        "series": [
            {
                **_figure(code, None),
                "values": [found[(m, code)] for m in months],
                "texts": [indicators.format_value(code, found[(m, code)]) for m in months],
            }
            for code in codes
        ],
    }


def alerts(t: queries.Table) -> dict[str, list[dict[str, Any]]]:
    """Red: figures that miss the report's target; yellow: checks that find problems (a count above zero).
    A check is only yellow (its target is zero, so it would also be red)."""
    red, yellow = [], []
    for code in t.codes:
        ind, value = indicators.get(code), t.values[code]
        if value is None:
            continue
        if ind.is_check:
            if value > 0:
                where = []
                if code in t.columns:
                    hits = [ch for ch in t.children if (t.child_values[ch.pk][code] or 0) > 0]
                    hits.sort(key=lambda ch: -t.child_values[ch.pk][code])  # stable: by path among equals
                    where = [
                        {"id": ch.pk, "name": ch.name, **_figure(code, t.child_values[ch.pk][code])}
                        for ch in hits[:WHERE_LIMIT]
                    ]
                yellow.append({**_figure(code, value), "target": ind.target, "where": where})
        elif queries.meets_target(code, value) is False:
            red.append(
                {
                    **_figure(code, value),
                    "target": ind.target,
                    "target_text": indicators.format_value(code, ind.target),
                    "higher_is_better": ind.higher_is_better,
                    "where": [],
                }
            )
    return {"red": red, "yellow": yellow}


def _sort_key(item: dict[str, Any]) -> tuple[int, float, str]:
    value = item["value"]
    return (1, 0.0, item["name"]) if value is None else (0, -float(value), item["name"])


def payload(user, area: Area, period: str = "", code: str = "") -> dict[str, Any]:
    """The cockpit of `area` (in the user's scope, checked by the caller) for `period`, the map and the
    ranking showing `code` (a registered code; one that does not break down here falls back to a default)."""
    t = queries.table(area, period)
    shown = map_code(t, code)
    child_level = area.level + 1
    children = []
    for child in t.children:
        value = t.child_values[child.pk][shown] if shown else None
        children.append(
            {
                "id": child.pk,
                "name": child.name,
                "value": value,
                "text": indicators.format_value(shown, value) if shown else "",
                "drill": child.level < Level.GRID,
                "has_geometry": isinstance(child.geometry, dict) and child.geometry.get("type") in POLYGONS,
            }
        )
    ranking = sorted(children, key=_sort_key)
    total: dict[str, Any] | None = None
    if shown:
        ind = indicators.get(shown)
        additive = ind.additive_at(child_level)
        parts: list[Any] = [t.child_values[ch.pk][shown] for ch in t.children]
        parts = [v for v in parts if v is not None]
        parts_sum = sum(parts) if additive and parts else None
        total = {
            **_figure(shown, t.values[shown]),
            "additive": additive,
            "counts_by": "" if additive else str(ind.counts_by),
            "parts_sum": parts_sum,
            "parts_text": indicators.format_value(shown, parts_sum) if additive else "",
        }
    tiles = []
    for c in [c for c in HEADLINE if c in t.codes]:
        ind = indicators.get(c)
        note = ""
        if ind.period_field:
            note = period or _("累计")
        tiles.append({**_figure(c, t.values[c]), "note": note, "breaks_down": c in t.columns})
    computed_at: dt.datetime | None = t.computed_at
    return {
        "area": _area(area),
        "crumbs": [{"id": a.pk, "name": a.name} for a in visible_ancestors(user, area)],
        "period": period,
        "computed_at": computed_at,
        "stale": computed_at is not None and queries.newer_sources(area, computed_at),
        "tiles": tiles,
        "code": shown,
        "indicators": [
            {
                "code": c,
                "label": str(indicators.get(c).label),
                "unit": str(indicators.get(c).unit),
                "additive": indicators.get(c).additive_at(child_level),
            }
            for c in t.columns
        ],
        "child_level_label": str(Level(child_level).label) if t.children else "",
        "total": total,
        "children": ranking,
        "geojson": geojson(t.children),
        "trends": trends(user, area, t, months_to(period)),
        "alerts": alerts(t),
    }
