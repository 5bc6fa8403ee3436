"""Household and resident lists and pages run a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..core.query_counting import Case, add_households, add_residents, check, html_rows, json_count

API_CASES = {
    "households": Case(lambda c: reverse("household-list") + "?page_size=500", add_households, 4, json_count),
    "residents": Case(lambda c: reverse("resident-list") + "?page_size=500", add_residents, 4, json_count),
}

PAGE_CASES = {
    "resident list": Case(
        lambda c: reverse("people:resident_list"),
        add_residents,
        10,
        html_rows('<tr>\n<td><a href="/people/residents/'),
    ),
    "household list": Case(
        lambda c: reverse("people:household_list"),
        add_households,
        9,
        html_rows('<tr><td><a href="/people/households/'),
    ),
}


@pytest.mark.parametrize("name", list(API_CASES))
def test_api_list_queries_do_not_grow(name, city, api_for, django_assert_max_num_queries):
    check(API_CASES[name], api_for("community_worker"), city, django_assert_max_num_queries)


@pytest.mark.parametrize("name", list(PAGE_CASES))
def test_page_queries_do_not_grow(name, city, client_for, django_assert_max_num_queries):
    check(PAGE_CASES[name], client_for("community_worker"), city, django_assert_max_num_queries)
