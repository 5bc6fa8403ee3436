"""Reads about areas shared by pages, the API and reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

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


def breakdown_for(area: Area, codes: list[str] | None = None, *, link=None) -> dict:
    """A node's figures and its children's table, as every figures page shows and exports them.

    `codes` defaults to every registered indicator shown at the node's level (the drill-down shows
    them all). Columns are the figures that break down to the children; non-additive ones are marked
    and their counting rule is listed in `notes` — the page prints it under the table.
    """
    from django.urls import reverse

    codes = indicators.for_level(area.level) if codes is None else codes
    children = (
        list(
            Area.objects.unscoped("children of a visible area")
            .filter(parent=area, is_active=True)
            .order_by("path")
        )
        if area.level < Level.UNIT
        else []
    )
    bd = indicators.breakdown(area.path, area.level, children, codes)
    child_level = area.level + 1
    link = link or (lambda a: reverse("areas:detail", args=[a.pk]))

    def info(code: str) -> dict:
        ind = indicators.get(code)
        additive = ind.additive_at(child_level)
        return {
            "code": code,
            "label": ind.label,
            "unit": ind.unit,
            "description": ind.description,
            "additive": additive,
            "counts_by": "" if additive else ind.counts_by,
        }

    columns = [info(c) for c in bd.columns]
    additive = {c["code"]: c["additive"] for c in columns}
    figures = [{**info(c), "value": bd.values[c]} for c in bd.codes]
    rows = [
        {
            "area": child,
            "name": child.name,
            "code": child.code,
            "url": link(child),
            "values": [{"code": c, "value": values[c], "additive": additive[c]} for c in bd.columns],
            "by_code": values,
        }
        for child, values in bd.rows
    ]
    return {
        "area": area,
        "codes": bd.codes,
        "values": bd.values,
        "figures": figures,
        "columns": columns,
        "column_codes": list(bd.columns),
        "rows": rows,
        "total": [
            {"code": c["code"], "value": bd.values[c["code"]], "additive": c["additive"]} for c in columns
        ],
        "notes": [str(note) for _code, note in bd.notes],
        # Figures kept at this level: their records belong to the node itself (a community's secretary).
        "kept": [f["label"] for f in figures if f["code"] not in bd.columns] if rows else [],
        "child_level": Level(child_level).label if area.level < Level.UNIT else "",
        "titles": {
            c["code"]: str(c["label"]) if c["additive"] else f"{c['label']}({_('各下级分别计,合计去重')})"
            for c in columns
        },
    }


def breakdown_sheet(title: str, table: dict) -> bytes:
    """The figures of a node and its children as an xlsx: the node's row first, then one per child,
    then the counting rule of each non-additive column."""
    from gridgov.core.xlsx import Column, write_sheet

    area = table["area"]
    figures = table["figures"]
    columns = [
        Column("name", str(_("区域"))),
        Column("code", str(_("区划代码"))),
        Column("row", str(_("行"))),
    ]
    columns += [Column(f["code"], f"{f['label']}({f['unit']})") for f in figures]
    out = [{"name": area.name, "code": area.code, "row": str(_("合计")), **table["values"]}]
    out += [
        {"name": r["name"], "code": r["code"], "row": str(_("下级")), **r["by_code"]} for r in table["rows"]
    ]
    out += [{"row": str(_("说明")), "name": note} for note in table["notes"]]
    return write_sheet(title, columns, out)


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
