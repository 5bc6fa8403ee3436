"""The workforce figures agree with their breakdowns (issue 10, item 5) and every figures page and list
exports what it shows (item 11): per grid, the secretary's chart counts the workers assigned to each
grid (not zeros beside a headline of 2); staff figures that belong to the community are named as such."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook


def _rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(
        load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )


def test_the_per_grid_chart_counts_the_assigned_workers(city, crew, client_for):
    community = city.grid_a.parent
    response = client_for("community_secretary").get(reverse("workforce:dashboard"), {"area": community.pk})
    context = response.context
    assert context["values"]["wf_grid_workers"] == 2
    assert context["chart"]["values"] == [1, 1]  # one worker assigned to each of the two grids
    assert sum(context["chart"]["values"]) == context["values"]["wf_grid_assigned"]
    html = response.content.decode()
    assert 'data-indicator="wf_grid_assigned" data-additive="1"' in html
    assert 'data-indicator="wf_secretaries" data-additive' not in html  # no column of zeros per grid
    assert 'data-testid="breakdown-kept"' in html and "社区书记" in html


def test_the_dashboard_export_holds_the_figures_and_the_grid_breakdown(city, crew, client_for):
    community = city.grid_a.parent
    rows = _rows(client_for("street").get(reverse("workforce:dashboard_export"), {"area": community.pk}))
    header, total = rows[0], rows[1]
    assert total[:3] == (community.name, community.code, "合计")
    col = header.index("在岗网格员(已配网格)(名)")
    grids = [r for r in rows if r[2] == "下级"]
    assert [r[1] for r in grids] == sorted(g.code for g in city.grids if g.parent_id == community.pk)
    assert sum(r[col] for r in grids) == total[col] == 2
    assert total[header.index("社区书记(名)")] == 1


@pytest.mark.parametrize(
    "name",
    [
        "workforce:checks_export",
        "workforce:grid_history_export",
        "workforce:payroll_list_export",
        "workforce:studio_export",
        "workforce:salon_export",
    ],
)
def test_every_list_exports(name, city, crew, client_for):
    rows = _rows(client_for("city_admin").get(reverse(name)))
    assert rows[0]  # the header row


def test_the_grid_history_export_stays_in_scope(city, crew, client_for):
    rows = _rows(client_for("community_secretary").get(reverse("workforce:grid_history_export")))
    names = {r[2] for r in rows[1:]}
    mine = {w.resident.name for g, w in crew.grid_workers.items() if g in {city.grid_a.pk, city.grid_b.pk}}
    others = {w.resident.name for g, w in crew.grid_workers.items()} - mine
    assert mine <= names and not (others & names)


def test_check_exports_list_every_problem_and_refuse_unknown_checks(city, crew, client_for):
    client = client_for("city_admin")
    overview = _rows(client.get(reverse("workforce:checks_export")))
    assert overview[0] == ("区域", "检查项", "说明", "问题数")
    assert client.get(reverse("workforce:check_export", args=["nope"])).status_code == 404
    assert client.get(reverse("workforce:dashboard_export"), {"area": "x"}).status_code == 404
