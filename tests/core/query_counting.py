"""Counting a request's queries as rows are added (tests/areas/test_query_counts.py, tests/people/...).

Each check warms up, adds N rows and counts the queries of one request, then adds 2N more rows (3N in
all) and asserts the same request stays within that count; an absolute ceiling catches a baseline
that was already too high.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..factories import HouseholdFactory, ResidentFactory, make_child

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


def json_count(response) -> int:
    return response.json()["count"]


def html_rows(marker: str) -> Callable[[object], int]:
    return lambda response: response.content.decode().count(marker)


def _measure(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def check(case: Case, client, city, django_assert_max_num_queries) -> None:
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
