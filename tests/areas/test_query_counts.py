"""Area lists and pages run a fixed number of queries, whatever the number of rows (no N+1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..core.query_counting import Case, add_buildings, add_households, check, html_rows, json_count

API_CASES = {
    "areas": Case(lambda c: reverse("area-list") + "?page_size=500", add_buildings, 4, json_count),
    "area children": Case(
        lambda c: reverse("area-children", args=[c.grid_a.pk]), add_buildings, 6, lambda r: len(r.json())
    ),
}

PAGE_CASES = {
    "grid drill-down": Case(
        lambda c: reverse("areas:detail", args=[c.grid_a.pk]),
        add_buildings,
        # one query per registered indicator shown at a grid (two for a distinct count), plus one per
        # app panel on the grid page (workers, stations, mutual-aid groups, grid funds)
        32,
        html_rows("<tr data-area="),
    ),
    "unit page": Case(
        lambda c: reverse("areas:detail", args=[c.unit_a.pk]),
        add_households,
        17,  # one per indicator shown at a unit, plus the navigation's "is this login a responder" lookup
        html_rows('href="/people/households/'),
    ),
}


@pytest.mark.parametrize("name", list(API_CASES))
def test_api_list_queries_do_not_grow(name, city, api_for, django_assert_max_num_queries):
    check(API_CASES[name], api_for("community_worker"), city, django_assert_max_num_queries)


@pytest.mark.parametrize("name", list(PAGE_CASES))
def test_page_queries_do_not_grow(name, city, client_for, django_assert_max_num_queries):
    check(PAGE_CASES[name], client_for("community_worker"), city, django_assert_max_num_queries)
