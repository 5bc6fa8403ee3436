"""Figures agree with their breakdowns, over a city made by the real generator.

For every registered indicator, at every node from the city down to each grid: where the indicator
breaks down to the children, an additive one sums over them to the parent; a non-additive one (an
object counted in each child it spans, once in the parent) says how it counts and lies between the
largest child and the sum. The coverage checks agree with the figures beside them; the pages show
the same numbers as the definitions (party, workforce and the area drill-down, which shows every
registered indicator relevant to its level), and their exports hold the same numbers as the page.
"""

from __future__ import annotations

import io
import re

import pytest
from django.db.models.functions import Length
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.models import User
from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import indicators
from gridgov.party import queries as party_queries
from tests.helpers import generated_city

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """The demo generator's city (as the browser tests' demo site), in a transaction rolled back after."""
    with generated_city(django_db_blocker, scale=0.008, seed=3):
        yield


@pytest.fixture
def city_user(generated, db) -> User:
    return User.objects.get(username="city")


@pytest.fixture
def as_city(city_user) -> Client:
    client = Client()
    client.force_login(city_user)
    return client


def _nodes(max_level: int = Level.GRID) -> list[Area]:
    return list(
        Area.objects.unscoped("test").filter(is_active=True, level__lte=max_level).order_by("level", "path")
    )


def _children(area: Area) -> list[Area]:
    return list(Area.objects.unscoped("test").filter(parent=area, is_active=True).order_by("path"))


# --- the definitions -----------------------------------------------------------------------------------
def test_every_indicator_says_how_it_breaks_down():
    assert len(indicators.REGISTRY) >= 30
    for code, ind in indicators.REGISTRY.items():
        assert Level.CITY <= ind.deepest_shown <= Level.UNIT, code
        if not ind.additive:
            assert str(ind.counts_by).strip(), f"{code}: non-additive without a counting rule"
            assert ind.distinct or ind.derived, f"{code}: only a distinct count or a ratio can span children"


def test_rows_sit_no_higher_than_the_declared_breakdown(generated):
    """A row kept above `breakdown_to` (a community's secretary) would be missing from a breakdown
    the pages show: the declaration is checked against the data."""
    for code, ind in indicators.REGISTRY.items():
        if ind.derived:
            continue  # no rows of its own: its parts are checked
        shortest = PATH_LENGTH[ind.breakdown_to]
        too_high = ind.rows().annotate(_len=Length(ind.path_field)).filter(_len__lt=shortest)
        assert not too_high.exists(), f"{code}: rows above level {ind.breakdown_to}"


def test_every_indicator_agrees_with_its_breakdown_at_every_level(generated):
    checked = {"additive": 0, "spanning": 0, "derived": 0}
    for node in _nodes():
        children = _children(node)
        if not children:
            continue
        child_level = node.level + 1
        length = PATH_LENGTH[child_level]
        for code, ind in indicators.REGISTRY.items():
            if not ind.shown_at(node.level) or not ind.breaks_down_to(child_level):
                continue
            parent = ind.value(node.path)
            by_child = ind.by_prefix(node.path, length)
            values = [by_child.get(c.path, None if ind.derived else 0) for c in children]
            where = f"{code} at {node.name} ({node.path})"
            if ind.derived:
                # A ratio at each node is its own numerator over its own denominator, never a sum.
                top, bottom = indicators.get(ind.numerator), indicators.get(ind.denominator)
                assert parent == ind.derive(top.value(node.path), bottom.value(node.path)), where
                for child, value in zip(children, values, strict=True):
                    assert value == ind.derive(top.value(child.path), bottom.value(child.path)), where
                checked["derived"] += 1
            elif ind.additive_at(child_level):
                assert sum(values) == parent, f"{where}: children {values} sum to {sum(values)} ≠ {parent}"
                checked["additive"] += 1
            else:
                assert max(values) <= parent <= sum(values), f"{where}: {values} vs distinct {parent}"
                checked["spanning"] += 1
    assert checked["additive"] > 300 and checked["spanning"] > 20 and checked["derived"] > 20, checked


def test_the_page_breakdown_reads_the_same_definitions(generated):
    """`indicators.breakdown` (what every figures page renders) = value() and by_prefix() of each code."""
    community = Area.objects.unscoped("test").filter(level=Level.COMMUNITY).order_by("path").first()
    codes = indicators.for_level(Level.COMMUNITY)
    bd = indicators.breakdown(community.path, community.level, _children(community), codes)
    assert bd.values == indicators.for_area(community.path, codes)
    for child, row in bd.rows:
        for code in bd.columns:
            missing = None if indicators.get(code).derived else 0
            assert row[code] == indicators.get(code).by_prefix(community.path, PATH_LENGTH[Level.GRID]).get(
                child.path, missing
            )
    assert {c for c, _note in bd.notes} == {c for c in bd.columns if not indicators.get(c).additive_at(5)}
    assert "party_grid_branches" in bd.columns and "wf_grid_assigned" in bd.columns
    assert "wf_secretaries" not in bd.columns  # kept at the community, not shown as zeros per grid


def test_coverage_checks_agree_with_the_figures(city_user):
    """Per node: grids without a branch = grids whose branch figure is 0; buildings without a red
    leader = buildings minus buildings with one (a leader of two buildings is one person, two posts)."""
    for node in _nodes():
        grids_without = party_queries.grids_without_branch(city_user, node.path).count()
        if node.level < Level.GRID:
            grids = list(
                Area.objects.unscoped("test").filter(
                    level=Level.GRID, is_active=True, path__startswith=node.path
                )
            )
            branches = indicators.get("party_grid_branches").by_prefix(node.path, PATH_LENGTH[Level.GRID])
            assert grids_without == sum(1 for g in grids if not branches.get(g.path)), node.name
        without_leader = party_queries.buildings_without_leader(city_user, node.path).count()
        buildings = indicators.get("buildings").value(node.path)
        led = indicators.get("party_led_buildings").value(node.path)
        assert buildings - led == without_leader, node.name
    city = Area.objects.unscoped("test").get(level=Level.CITY)
    posts = indicators.get("party_red_leaders").rows().count()
    # The generator lets some leaders lead two neighbouring buildings: fewer people than buildings led.
    assert (
        indicators.get("party_red_leaders").value(city.path)
        < posts
        == indicators.get("party_led_buildings").value(city.path)
    )


# --- the pages -----------------------------------------------------------------------------------------
def _number(text: str) -> float | None:
    """A figure as a page writes it (core.indicators.format_value): "—" where a ratio has no value."""
    return None if text == "—" else float(text)


def _tiles(html: str) -> dict[str, float | None]:
    return {
        code: _number(value)
        for code, value in re.findall(
            r'class="figure" data-indicator="([a-z0-9_]+)"[^>]*><span class="value">([\d.]+|—)</span>', html
        )
    }


def _table(html: str) -> tuple[list[str], list[tuple[str, dict[str, int]]], list[str]]:
    """(column codes, [(child code, {column: value})], additive flags) of the children's table."""
    if 'data-testid="children"' not in html:
        return [], [], []
    table = html[
        html.index('data-testid="children"') : html.index("</table>", html.index('data-testid="children"'))
    ]
    heads = re.findall(r'<th class="num" data-indicator="([a-z0-9_]+)" data-additive="([01])"', table)
    rows = []
    for area_code, cells in re.findall(r'<tr data-area="(\d+)">(.*?)</tr>', table, re.S):
        values = dict(
            re.findall(r'<td class="num" data-indicator="([a-z0-9_]+)"[^>]*>([\d.]+|—)</td>', cells)
        )
        rows.append((area_code, {k: _number(v) for k, v in values.items()}))
    return [c for c, _a in heads], rows, [a for _c, a in heads]


def _assert_tiles_agree_with_table(html: str, where: str) -> None:
    tiles = _tiles(html)
    columns, rows, additive = _table(html)
    for code, flag in zip(columns, additive, strict=True):
        if indicators.get(code).derived:
            assert str(indicators.get(code).counts_by) in html, where  # a ratio per node: no sum to check
            continue
        total = sum(r[code] for _a, r in rows)
        if flag == "1":
            assert total == tiles[code], f"{where} {code}: table {total} ≠ figure {tiles[code]}"
        else:
            assert max(r[code] for _a, r in rows) <= tiles[code] <= total, f"{where} {code}"
            assert "breakdown-notes" in html and str(indicators.get(code).counts_by) in html, where


def test_drilldown_shows_every_indicator_relevant_to_its_level(as_city):
    shown_somewhere: set[str] = set()
    for level in Level.values:
        node = Area.objects.unscoped("test").filter(level=level, is_active=True).order_by("path").first()
        html = as_city.get(reverse("areas:detail", args=[node.pk])).content.decode()
        tiles = _tiles(html)
        expected = set(indicators.for_level(level))
        assert set(tiles) == expected, f"{node.name}: missing {expected - set(tiles)}"
        for code, value in tiles.items():
            shown = indicators.format_value(code, indicators.get(code).value(node.path))
            assert value == _number(shown), (node.name, code)
        _assert_tiles_agree_with_table(html, node.name)
        shown_somewhere |= set(tiles)
    assert shown_somewhere == set(indicators.REGISTRY), "registered but shown nowhere"


def test_party_page_and_area_page_agree_per_grid(as_city):
    """The 春晖社区 case: each grid of a community shows its branch (by covered grid), the same 党员 as its
    own area page, and the checks' one grid without a branch is the one with 0."""
    for community in Area.objects.unscoped("test").filter(level=Level.COMMUNITY, is_active=True):
        html = as_city.get(reverse("party:dashboard"), {"area": community.pk}).content.decode()
        _assert_tiles_agree_with_table(html, community.name)
        columns, rows, _additive = _table(html)
        assert {"party_grid_branches", "party_members", "party_red_leaders"} <= set(columns)
        without = {
            a.code
            for a in party_queries.grids_without_branch(User.objects.get(username="city"), community.path)
        }
        assert {code for code, r in rows if r["party_grid_branches"] == 0} == without, community.name
        for grid in Area.objects.unscoped("test").filter(parent=community, is_active=True)[:5]:
            area_page = _tiles(as_city.get(reverse("areas:detail", args=[grid.pk])).content.decode())
            party_page = _tiles(as_city.get(reverse("party:dashboard"), {"area": grid.pk}).content.decode())
            row = dict(rows)[grid.code]
            assert area_page["party_members"] == party_page["party_members"] == row["party_members"], (
                grid.name
            )
            assert (
                party_page["party_grid_branches"]
                == row["party_grid_branches"]
                == (0 if grid.code in without else 1)
            )


def test_workforce_page_breaks_grid_workers_down_by_grid(as_city):
    """The secretary's page: the per-grid chart of grid workers is their assignment, not zeros."""
    for community in Area.objects.unscoped("test").filter(level=Level.COMMUNITY, is_active=True):
        response = as_city.get(reverse("workforce:dashboard"), {"area": community.pk})
        html = response.content.decode()
        _assert_tiles_agree_with_table(html, community.name)
        chart = response.context["chart"]
        tiles = _tiles(html)
        assert chart["values"] and sum(chart["values"]) == tiles["wf_grid_assigned"] > 0
        assert tiles["wf_grid_workers"] >= tiles["wf_grid_assigned"]
        assert "breakdown-kept" in html  # the community-level figures are named, not shown as zeros


def _sheet(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response)), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


@pytest.mark.parametrize(
    ("page", "export"),
    [("party:dashboard", "party:dashboard_export"), ("workforce:dashboard", "workforce:dashboard_export")],
)
def test_figures_exports_hold_the_pages_numbers(as_city, page, export):
    street = Area.objects.unscoped("test").filter(level=Level.STREET).order_by("path").first()
    for node in [street, *_children(street)]:
        html = as_city.get(reverse(page), {"area": node.pk}).content.decode()
        tiles = _tiles(html)
        columns, rows, additive = _table(html)
        sheet = _sheet(as_city.get(reverse(export), {"area": node.pk}))
        total = sheet[0]
        assert total["区域"] == node.name and total["行"] == "合计"
        children = [r for r in sheet if r["行"] == "下级"]
        assert [r["区划代码"] for r in children] == [code for code, _r in rows]
        for code, value in tiles.items():
            ind = indicators.get(code)
            header = f"{ind.label}({ind.unit})"
            assert total[header] == value, (node.name, code)
            if code in columns and additive[columns.index(code)] == "1":
                assert sum(r[header] for r in children) == value, (node.name, code)


def test_area_export_and_checks_exports(as_city):
    community = Area.objects.unscoped("test").filter(level=Level.COMMUNITY).order_by("path").first()
    sheet = _sheet(as_city.get(reverse("areas:export", args=[community.pk])))
    assert sheet[0]["区划代码"] == community.code
    assert sum(r["居民数(人)"] for r in sheet if r["行"] == "下级") == sheet[0]["居民数(人)"]
    checks = _sheet(as_city.get(reverse("party:checks_export"), {"area": community.pk}))
    user = User.objects.get(username="city")
    expected = {str(c.label): c.run(user, community.path).count() for c in party_queries.CHECKS.values()}
    assert {r["检查项"]: r["问题数"] for r in checks} == expected
    rows = _sheet(
        as_city.get(reverse("party:check_export", args=["buildings_without_leader"]), {"area": community.pk})
    )
    assert len(rows) == expected[str(party_queries.CHECKS["buildings_without_leader"].label)]
    orgs = _sheet(as_city.get(reverse("party:org_export"), {"area": community.pk}))
    assert orgs and all(r["名称"] for r in orgs)
    for name in [
        "workforce:checks_export",
        "workforce:grid_history_export",
        "workforce:payroll_list_export",
        "workforce:studio_export",
        "workforce:salon_export",
    ]:
        _sheet(as_city.get(reverse(name), {"area": community.pk}))
    assert as_city.get(reverse("party:check_export", args=["nope"])).status_code == 404
    assert as_city.get(reverse("party:dashboard_export"), {"area": "x"}).status_code == 404
    assert as_city.get(reverse("areas:export", args=[999999])).status_code == 404
