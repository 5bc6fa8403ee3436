"""Indicators, each defined once: code, Chinese label, unit and the query that computes it.

Every indicator is a count (or sum) over rows that carry an area path, so it can be computed for
any node — and for all children of a node in one GROUP BY over the path prefix. Pages, the API and
exports read these definitions; nothing else computes the same figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr
from django.utils.functional import Promise

from .scope import subtree_q


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str | Promise
    unit: str | Promise
    # Rows counted, before any area filter; must be a queryset on a model with a path column.
    rows: Callable[[], QuerySet]
    path_field: str
    description: str | Promise = ""

    def value(self, path: str) -> int:
        return self.rows().filter(subtree_q(self.path_field, path)).count()

    def by_prefix(self, path: str, prefix_length: int) -> dict[str, int]:
        """Counts under `path`, grouped by the first `prefix_length` characters of the row's path."""
        qs = (
            self.rows()
            .filter(subtree_q(self.path_field, path))
            .annotate(prefix=Substr(self.path_field, 1, prefix_length))
            .order_by()
            .values("prefix")
            .annotate(n=Count("*"))
        )
        return {row["prefix"]: row["n"] for row in qs}


REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in REGISTRY:
        raise ValueError(f"indicator {indicator.code} defined twice")
    REGISTRY[indicator.code] = indicator
    return indicator


def get(code: str) -> Indicator:
    return REGISTRY[code]


def rollup(indicator: Indicator, path: str, lengths: list[int]) -> dict[int, dict[str, int]]:
    """Counts under `path` for every prefix length in `lengths` (e.g. street, community and grid).

    One grouped scan by the rows' own path — in index order, so no sort — then summed up by prefix.
    """
    qs = (
        indicator.rows()
        .filter(subtree_q(indicator.path_field, path))
        .order_by()
        .values_list(indicator.path_field)
        .annotate(n=Count("*"))
    )
    ordered = sorted(lengths, reverse=True)
    result: dict[int, dict[str, int]] = {}
    # Each row once into the finest level, then each level folded into the next coarser one.
    finest: dict[str, int] = {}
    cut = ordered[0]
    for row_path, n in qs:
        key = row_path[:cut]
        finest[key] = finest.get(key, 0) + n
    result[cut] = finest
    for coarse in ordered[1:]:
        folded: dict[str, int] = {}
        for key, n in result[cut].items():
            folded[key[:coarse]] = folded.get(key[:coarse], 0) + n
        result[coarse], cut = folded, coarse
    return result


def for_area(path: str, codes: list[str]) -> dict[str, int]:
    return {code: REGISTRY[code].value(path) for code in codes}


def for_children(path: str, child_length: int, codes: list[str]) -> dict[str, dict[str, int]]:
    """{indicator code: {child path: value}} — one query per indicator, whatever the number of children."""
    return {code: REGISTRY[code].by_prefix(path, child_length) for code in codes}
