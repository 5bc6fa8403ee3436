"""Reads about areas shared by pages, the API and reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from gridgov.core import indicators
from gridgov.core.text import looks_like_pinyin

from .models import PATH_LENGTH, Area, Level

# What the drill-down shows for each child of a node.
CHILD_INDICATORS = ["grids", "buildings", "households", "residents"]


def ancestors(area: Area) -> list[Area]:
    """Root first, the area itself last — one query, by path prefixes."""
    prefixes = [area.path[:length] for level, length in PATH_LENGTH.items() if level <= area.level]
    return list(
        Area.objects.unscoped("breadcrumbs of a visible area").filter(path__in=prefixes).order_by("path")
    )


def visible_ancestors(user, area: Area) -> list[Area]:
    """Breadcrumbs, cut at the user's own area so nobody is shown a link they cannot open."""
    root_path = getattr(user, "area_path", "") or ""
    return [a for a in ancestors(area) if a.path.startswith(root_path)]


@dataclass
class ChildRow:
    area: Area
    figures: dict[str, int]


def children_with_figures(area: Area, *, include_retired: bool = False) -> list[ChildRow]:
    qs = Area.objects.unscoped("children of a visible area").filter(parent=area)
    if not include_retired:
        qs = qs.filter(is_active=True)
    children = list(qs.order_by("path"))
    if not children or area.level >= Level.UNIT:
        return [ChildRow(c, {}) for c in children]
    child_length = PATH_LENGTH[area.level + 1]
    wanted = [code for code in CHILD_INDICATORS if _meaningful(code, area.level + 1)]
    grouped = indicators.for_children(area.path, child_length, wanted)
    return [ChildRow(c, {code: grouped[code].get(c.path, 0) for code in wanted}) for c in children]


def _meaningful(code: str, child_level: int) -> bool:
    # A grid's "grids" count is always 1, a building's "buildings" likewise: leave them out.
    return not (code == "grids" and child_level >= Level.GRID) and not (
        code == "buildings" and child_level >= Level.BUILDING
    )


def area_figures(area: Area) -> dict[str, int]:
    codes = [
        code
        for code in [*CHILD_INDICATORS, "elderly_60", "elderly_80", "party_members"]
        if _meaningful(code, area.level)
    ]
    return indicators.for_area(area.path, codes)


def search(qs: QuerySet[Area], text: str) -> QuerySet[Area]:
    text = (text or "").strip()
    if not text:
        return qs
    if text.isdigit():
        return qs.filter(code__startswith=text)
    if looks_like_pinyin(text):
        lowered = text.lower().replace(" ", "")
        return qs.filter(name_initials__startswith=lowered) | qs.filter(name_pinyin__contains=lowered)
    return qs.filter(name__contains=text)
