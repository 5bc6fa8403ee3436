"""The party figures agree with their breakdowns when objects span several children (issue 10, item 5):
a joint branch is counted in each grid it covers and once in the community; a red leader of two
buildings is one person and two led buildings; a grid's 党员 is the same figure on its area page and
its /party/ page; the page says how a spanning column counts, and the export holds the same numbers."""

from __future__ import annotations

import io
import re

from django.urls import reverse
from openpyxl import load_workbook

from gridgov.party import queries, services

from ..factories import make_child


def _tiles(html: str) -> dict[str, int]:
    pattern = r'class="figure" data-indicator="([a-z0-9_]+)"[^>]*><span class="value">(\d+)</span>'
    return {code: int(v) for code, v in re.findall(pattern, html)}


def _cells(html: str, area_code: str) -> dict[str, int]:
    row = re.search(rf'<tr data-area="{area_code}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {area_code}"
    return {c: int(v) for c, v in re.findall(r'data-indicator="([a-z0-9_]+)"[^>]*>(\d+)</td>', row.group(1))}


def test_a_joint_branch_counts_in_each_grid_it_covers_and_once_in_the_community(
    city, users, network, client_for
):
    community = city.grid_a.parent
    kept = network.branches[city.grid_a.pk]
    services.merge_orgs(users["city_admin"], network.branches[city.grid_b.pk], kept, reason="联合支部")
    kept.refresh_from_db()
    assert kept.area_path == community.path  # stored on the community, as the demo's joint branches

    html = client_for("city_admin").get(reverse("party:dashboard"), {"area": community.pk}).content.decode()
    assert _tiles(html)["party_grid_branches"] == 1
    assert _cells(html, city.grid_a.code)["party_grid_branches"] == 1
    assert _cells(html, city.grid_b.code)["party_grid_branches"] == 1
    assert 'data-indicator="party_grid_branches" data-additive="0"' in html
    assert "联合支部在其覆盖的每个网格各计 1 个,合计按支部去重" in html
    assert queries.grids_without_branch(users["city_admin"], community.path).count() == 0

    grid_page = client_for("city_admin").get(reverse("areas:detail", args=[city.grid_b.pk])).content.decode()
    assert _tiles(grid_page)["party_grid_branches"] == 1


def test_a_leader_of_two_buildings_is_one_person_and_two_led_buildings(city, users, network, client_for):
    second = make_child(city.grid_a, name="2号楼")
    head = network.leaders[city.building_a.pk].resident
    services.appoint_leader(users["city_admin"], area=second, resident=head)
    html = client_for("city_admin").get(reverse("areas:detail", args=[city.grid_a.pk])).content.decode()
    tiles = _tiles(html)
    assert tiles["party_red_leaders"] == 1
    assert tiles["buildings"] == tiles["party_led_buildings"] == 2
    assert _cells(html, city.building_a.code)["party_red_leaders"] == 1
    assert _cells(html, second.code)["party_red_leaders"] == 1  # counted where they lead, not where they live
    assert "一人兼任多个楼院时在每处各计 1 名,合计按人去重" in html
    assert queries.buildings_without_leader(users["city_admin"], city.grid_a.path).count() == 0


def test_a_grids_party_members_are_the_same_on_its_area_page_and_party_page(city, network, client_for):
    client = client_for("city_admin")
    for grid in [city.grid_a, city.grid_b]:
        area_page = _tiles(client.get(reverse("areas:detail", args=[grid.pk])).content.decode())
        party_page = _tiles(client.get(reverse("party:dashboard"), {"area": grid.pk}).content.decode())
        assert area_page["party_members"] == party_page["party_members"] == 1
    community = client.get(reverse("party:dashboard"), {"area": city.grid_a.parent_id}).content.decode()
    assert _cells(community, city.grid_a.code)["party_members"] == 1


def test_the_dashboard_export_holds_the_pages_figures(city, network, client_for):
    client = client_for("street")
    community = city.grid_a.parent
    html = client.get(reverse("party:dashboard"), {"area": community.pk}).content.decode()
    response = client.get(reverse("party:dashboard_export"), {"area": community.pk})
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    header, total = rows[0], rows[1]
    assert total[:3] == (community.name, community.code, "合计")
    assert total[header.index("网格党支部(个)")] == _tiles(html)["party_grid_branches"]
    children = [r for r in rows if r[2] == "下级"]
    assert sum(r[header.index("党员(人)")] for r in children) == total[header.index("党员(人)")]


def test_exports_refuse_bad_input_and_stay_in_scope(city, network, client_for):
    client = client_for("grid_worker")
    assert client.get(reverse("party:dashboard_export"), {"area": "abc"}).status_code == 404
    assert client.get(reverse("party:dashboard_export"), {"area": city.grid_b.pk}).status_code == 404
    assert client.get(reverse("party:check_export", args=["nope"])).status_code == 404
    assert client_for("anon").get(reverse("party:org_export")).status_code == 302
    orgs = client.get(reverse("party:org_export"))
    names = [
        r[0]
        for r in load_workbook(io.BytesIO(orgs.content), read_only=True)
        .worksheets[0]
        .iter_rows(values_only=True)
    ]
    assert network.branches[city.grid_a.pk].name in names
    assert network.branches[city.grid_b.pk].name not in names
