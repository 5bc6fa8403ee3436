"""Area lists and pages run a fixed number of queries, whatever the number of rows (no N+1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.areas.models import Level
from gridgov.core import indicators

from ..core.query_counting import Case, add_buildings, add_households, check, html_rows, json_count

API_CASES = {
    "areas": Case(lambda c: reverse("area-list") + "?page_size=500", add_buildings, 4, json_count),
    "area children": Case(
        lambda c: reverse("area-children", args=[c.grid_a.pk]), add_buildings, 6, lambda r: len(r.json())
    ),
}


def indicator_queries(level: int) -> int:
    """At most what the registry spends on one node's figures: one query per count or sum (two for a
    distinct count: its breakdown and its own value), two per derived figure whose parts are not shown."""
    shown = [indicators.REGISTRY[c] for c in indicators.for_level(level)]
    return sum(2 if i.derived or i.kind == "distinct" else 1 for i in shown)


PAGE_CASES = {
    "grid drill-down": Case(
        lambda c: reverse("areas:detail", args=[c.grid_a.pk]),
        add_buildings,
        # the registered indicators shown at a grid, plus one per app panel on the grid page (workers,
        # stations, mutual-aid groups, grid funds)
        indicator_queries(Level.GRID) + 4,
        html_rows("<tr data-area="),
    ),
    "unit page": Case(
        lambda c: reverse("areas:detail", args=[c.unit_a.pk]),
        add_households,
        # the indicators shown at a unit, plus the page's own reads: session and user, the unit and its
        # ancestors, the households, the navigation's "is this login a responder" lookup
        indicator_queries(Level.UNIT) + 7,
        html_rows('href="/people/households/'),
    ),
}


@pytest.mark.parametrize("name", list(API_CASES))
def test_api_list_queries_do_not_grow(name, city, api_for, django_assert_max_num_queries):
    check(API_CASES[name], api_for("community_worker"), city, django_assert_max_num_queries)


@pytest.mark.parametrize("name", list(PAGE_CASES))
def test_page_queries_do_not_grow(name, city, client_for, django_assert_max_num_queries):
    check(PAGE_CASES[name], client_for("community_worker"), city, django_assert_max_num_queries)
