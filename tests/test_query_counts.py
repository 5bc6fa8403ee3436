"""Lists and pages must run a fixed number of queries, whatever the number of rows (no N+1).

Each test warms up, adds N rows and counts the queries of one request, then adds 2N more rows (3N in
all) and asserts the same request stays within that count; an absolute ceiling catches a baseline
that was already too high.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .factories import HouseholdFactory, ResidentFactory, make_child

N = 4


def add_residents(city, n: int) -> None:
    for _ in range(n):
        household = HouseholdFactory(unit=city.unit_a)
        ResidentFactory(household=household, tags=["party_member", "veteran"])


def add_households(city, n: int) -> None:
    for _ in range(n):
        ResidentFactory(household=HouseholdFactory(unit=city.unit_a))


def add_buildings(city, n: int) -> None:
    for _ in range(n):
        unit = make_child(make_child(city.grid_a))
        ResidentFactory(household=HouseholdFactory(unit=unit))


@dataclass(frozen=True)
class Case:
    url: Callable[[object], str]
    add: Callable[[object, int], None]
    ceiling: int
    rows: Callable[[object], int]  # how many rows the response shows, to prove the new rows are listed


def _json_count(response) -> int:
    return response.json()["count"]


API_CASES = {
    "areas": Case(lambda c: reverse("area-list") + "?page_size=500", add_buildings, 4, _json_count),
    "households": Case(
        lambda c: reverse("household-list") + "?page_size=500", add_households, 4, _json_count
    ),
    "residents": Case(lambda c: reverse("resident-list") + "?page_size=500", add_residents, 4, _json_count),
    "area children": Case(
        lambda c: reverse("area-children", args=[c.grid_a.pk]), add_buildings, 6, lambda r: len(r.json())
    ),
}


def _html_rows(marker: str) -> Callable[[object], int]:
    return lambda response: response.content.decode().count(marker)


PAGE_CASES = {
    "grid drill-down": Case(
        lambda c: reverse("areas:detail", args=[c.grid_a.pk]),
        add_buildings,
        30,  # one query per registered indicator shown at a grid (two for a distinct count)
        _html_rows("<tr data-area="),
    ),
    "unit page": Case(
        lambda c: reverse("areas:detail", args=[c.unit_a.pk]),
        add_households,
        15,
        _html_rows('href="/people/households/'),
    ),
    "resident list": Case(
        lambda c: reverse("people:resident_list"),
        add_residents,
        10,
        _html_rows('<tr>\n<td><a href="/people/residents/'),
    ),
    "household list": Case(
        lambda c: reverse("people:household_list"),
        add_households,
        9,
        _html_rows('<tr><td><a href="/people/households/'),
    ),
}


def _measure(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def _check(case: Case, client, city, django_assert_max_num_queries) -> None:
    url = case.url(city)
    client.get(url)  # warm caches (content types, permissions of this client's user)
    case.add(city, N)
    response, baseline = _measure(client, url)
    assert baseline <= case.ceiling, f"{baseline} queries for {url}"
    rows_before = case.rows(response)
    case.add(city, 2 * N)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert case.rows(response) >= rows_before + 2 * N


@pytest.mark.parametrize("name", list(API_CASES))
def test_api_list_queries_do_not_grow(name, city, api_for, django_assert_max_num_queries):
    _check(API_CASES[name], api_for("community_worker"), city, django_assert_max_num_queries)


@pytest.mark.parametrize("name", list(PAGE_CASES))
def test_page_queries_do_not_grow(name, city, client_for, django_assert_max_num_queries):
    _check(PAGE_CASES[name], client_for("community_worker"), city, django_assert_max_num_queries)
