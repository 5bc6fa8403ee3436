"""Indicator snapshots, the indicators command, the page and its export (docs/reports.md).

The shared test city (tests/conftest.py): every grid has one building, one unit, one household of two
residents; 东一社区 has grids A and B, 东华街道 two communities, 东城区 one street, 青山市 eight grids.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.core import indicators
from gridgov.core.actors import SystemActor
from gridgov.core.indicators import Indicator
from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.people.models import Household
from gridgov.reports import queries, services, tasks
from gridgov.reports.models import IndicatorSnapshot

SYSTEM = SystemActor("tests.reports")


def _snapshots(period: str = "") -> dict[tuple[str, str], int]:
    rows = IndicatorSnapshot.objects.unscoped("test oracle").filter(period=period)
    return {(r.area_path, r.code): r.value for r in rows}


def _households_by_month():
    """A period indicator over households, placed in a month by their creation time (a datetime field)."""
    return Indicator(
        "t_new_households",
        "新增户",
        "户",
        lambda: Household.objects.unscoped("test indicator").filter(is_active=True),
        "area_path",
        chapter="概况",
        period_field="created_at",
    )


@pytest.mark.django_db
def test_refresh_computes_a_leaf_and_its_ancestors(city):
    written = services.refresh_snapshots(SYSTEM)
    snaps = _snapshots()
    assert written == len(snaps)
    grid_a, east_one, east_street = city.grids[0], city.communities[0], city.streets[0]
    expected_residents = {
        grid_a.path: 2,
        east_one.path: 4,
        east_street.path: 8,
        city.districts[0].path: 8,
        city.city.path: 16,
        city.other_city[0].path: 2,  # the second city, same pass
    }
    for path, value in expected_residents.items():
        assert snaps[(path, "residents")] == value, path
    assert snaps[(grid_a.path, "households")] == 1
    assert snaps[(east_one.path, "households")] == 2
    assert snaps[(city.city.path, "households")] == 8
    assert snaps[(east_one.path, "grids")] == 2
    assert snaps[(east_street.path, "grids")] == 4
    assert snaps[(city.city.path, "grids")] == 8
    assert (grid_a.path, "grids") not in snaps  # a grid's "grids" is not shown
    assert not any(path == city.buildings[0].path for path, _code in snaps)  # grids are the deepest level
    for code, indicator in indicators.REGISTRY.items():  # every registered indicator is there for the city
        if indicator.shown_at(city.city.level):
            assert (city.city.path, code) in snaps, code
    assert AuditEvent.objects.filter(action="reports.refresh_snapshots").count() == 1


@pytest.mark.django_db
def test_refresh_is_idempotent_and_updates_the_time(city):
    services.refresh_snapshots(SYSTEM)
    first = _snapshots()
    old = timezone.now() - dt.timedelta(days=3)
    IndicatorSnapshot.objects.unscoped("test: age the snapshots").update(computed_at=old)
    services.refresh_snapshots(SYSTEM)
    assert _snapshots() == first
    times = set(IndicatorSnapshot.objects.unscoped("test oracle").values_list("computed_at", flat=True))
    assert len(times) == 1 and times.pop() > old
    assert AuditEvent.objects.filter(action="reports.refresh_snapshots").count() == 2


@pytest.mark.django_db
def test_refresh_of_a_subtree_stays_in_it_and_checks_the_actor(city, users):
    street = users["street"]
    services.refresh_snapshots(street, root_path=city.streets[0].path)
    paths = {path for path, _code in _snapshots()}
    assert paths and all(p.startswith(city.streets[0].path) for p in paths)
    from gridgov.core.scope import OutOfScope

    with pytest.raises(OutOfScope):
        services.refresh_snapshots(street, root_path=city.streets[1].path)
    with pytest.raises(ServiceError):
        services.refresh_snapshots(SYSTEM, period="2025-13")


@pytest.mark.django_db
def test_a_period_indicator_counts_only_its_month(city, monkeypatch):
    monkeypatch.setitem(indicators.REGISTRY, "t_new_households", _households_by_month())
    moved = city.households[0]
    march = dt.datetime(2025, 3, 31, 23, 30, tzinfo=timezone.get_current_timezone())  # local month end
    Household.objects.unscoped("test: back-date one household").filter(pk=moved.pk).update(created_at=march)
    services.refresh_snapshots(SYSTEM, period="2025-03")
    services.refresh_snapshots(SYSTEM, period="2025-04")
    services.refresh_snapshots(SYSTEM)
    march_snaps, april_snaps, current = _snapshots("2025-03"), _snapshots("2025-04"), _snapshots()
    grid_a, grid_b = city.grids[0], city.grids[1]
    assert march_snaps[(grid_a.path, "t_new_households")] == 1
    assert march_snaps[(grid_b.path, "t_new_households")] == 0
    assert march_snaps[(city.city.path, "t_new_households")] == 1
    assert april_snaps[(city.city.path, "t_new_households")] == 0
    assert current[(city.city.path, "t_new_households")] == 8
    # a stock figure is the same in every period
    assert march_snaps[(city.city.path, "residents")] == current[(city.city.path, "residents")] == 16
    # live computation agrees with the snapshots
    assert queries.live_values(city.city, "2025-03")["t_new_households"] == 1


def test_period_parsing():
    assert indicators.parse_period("") is None
    assert indicators.parse_period("2024-12") == (dt.date(2024, 12, 1), dt.date(2025, 1, 1))
    for bad in ("2024-13", "2024-1", "0000-01", "abcd-ef", "2024-12-01", " 2024-12"):
        with pytest.raises(ValueError):
            indicators.parse_period(bad)


def test_existing_registrations_carry_the_report_metadata():
    assert indicators.get("pt_volunteer_services").period_field == "service_date"
    assert indicators.get("residents").period_field == ""
    assert indicators.get("wf_secretaries").chapter == "三"
    # Targets only where the report gives one, and every check's is 0 (fewer is better).
    targets = {code: ind.target for code, ind in indicators.REGISTRY.items() if ind.target is not None}
    assert {c: t for c, t in targets.items() if not c.startswith("check_")} == {
        "wf_grid_coverage": 100,
        "wf_qualified_share": 30,
        "service_centre_per_100_households": 30,
        "circle_share": 100,
        "em_readiness": 100,
    }
    checks = [ind for code, ind in indicators.REGISTRY.items() if code.startswith("check_")]
    assert len(checks) >= 10 and all(ind.is_check for ind in checks)


@pytest.mark.django_db
def test_the_task_refreshes_the_current_figures(city):
    assert tasks.refresh_snapshots() > 0
    assert _snapshots()[(city.city.path, "residents")] == 16


# --- the command ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_command_prints_json_computed_live(city):
    out = io.StringIO()
    call_command("indicators", "--area", city.communities[0].code, "--json", stdout=out)
    values = json.loads(out.getvalue())
    assert values["residents"] == 4 and values["households"] == 2 and values["grids"] == 2
    assert IndicatorSnapshot.objects.unscoped("test oracle").count() == 0  # live, no snapshot needed


@pytest.mark.django_db
def test_command_plain_and_period(city):
    out = io.StringIO()
    call_command("indicators", "--area", city.city.code, "--period", "2025-03", stdout=out)
    assert "residents: 16" in out.getvalue()


@pytest.mark.django_db
def test_command_writes_an_xlsx(city, tmp_path):
    target = tmp_path / "out.xlsx"
    call_command("indicators", "--area", city.city.code, "--xlsx", str(target), stdout=io.StringIO())
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("指标代码", "指标", "指标(英文)", "单位", "章节", "数值")
    by_code = {r[0]: r[5] for r in rows[1:]}
    assert by_code["residents"] == 16 and by_code["households"] == 8


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [["--area", "000000"], ["--area", "x' OR 1=1"], ["--area", "3799", "--period", "2025-13"]],
)
def test_command_refuses_bad_input(city, args):
    with pytest.raises(CommandError):
        call_command("indicators", *args, stdout=io.StringIO())


# --- the page ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_page_for_a_street_user_sums_its_breakdown(city, client_for):
    response = client_for("street").get(reverse("reports:index"))
    assert response.status_code == 200
    table = response.context["table"]
    assert table.area == city.streets[0]
    assert table.computed_at is None  # no snapshot yet: computed live
    assert [ch.pk for ch in table.children] == [c.pk for c in city.communities[:2]]
    checked = 0
    for code in table.columns:
        if indicators.get(code).additive_at(table.area.level + 1):
            assert sum(table.child_values[ch.pk][code] for ch in table.children) == table.values[code], code
            checked += 1
    assert checked >= 3
    html = response.content.decode()
    assert "尚无快照" in html and "东一社区" in html
    assert 'data-indicator="residents"' in html


@pytest.mark.django_db
def test_page_reads_the_snapshot_and_says_when_it_is_old(city, client_for):
    services.refresh_snapshots(SYSTEM)
    client = client_for("street")
    response = client.get(reverse("reports:index"))
    assert response.context["table"].computed_at is not None
    assert "计算于" in response.content.decode()
    assert response.context["stale"] is False
    from gridgov.people import services as people_services

    people_services.create_household(SYSTEM, unit=city.units[0], number="999")
    assert client.get(reverse("reports:index")).context["stale"] is True


@pytest.mark.django_db
def test_page_period_and_bad_input(city, client_for):
    client = client_for("street")
    assert client.get(reverse("reports:index"), {"period": "2025-03"}).context["period"] == "2025-03"
    assert client.get(reverse("reports:index"), {"period": "2025-3"}).status_code == 400
    assert client.get(reverse("reports:index"), {"area": "abc"}).status_code == 404
    assert client.get(reverse("reports:index"), {"area": city.streets[1].pk}).status_code == 404
    assert client.get(reverse("reports:export"), {"period": "x"}).status_code == 400


@pytest.mark.django_db
def test_page_permissions(city, client_for):
    assert client_for("grid_worker").get(reverse("reports:index")).status_code == 403
    assert client_for("resident").get(reverse("reports:index")).status_code == 403
    refresh = {"area": city.communities[0].pk}
    response = client_for("community_worker").post(reverse("reports:refresh"), refresh)
    assert response.status_code == 403
    assert IndicatorSnapshot.objects.unscoped("test oracle").count() == 0


@pytest.mark.django_db
def test_page_export_is_the_breakdown(city, client_for):
    response = client_for("street").get(reverse("reports:export"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "东华街道" and [r[0] for r in rows[2:]] == ["东一社区", "东二社区"]
    header = list(rows[0])
    residents = header.index("居民数(人)")
    assert rows[1][residents] == 8 == rows[2][residents] + rows[3][residents]


@pytest.mark.django_db
def test_refresh_button_refreshes_the_subtree(city, client_for):
    client = client_for("street")
    response = client.post(reverse("reports:refresh"), {"area": city.streets[0].pk, "period": ""})
    assert response.status_code == 302
    paths = {path for path, _code in _snapshots()}
    assert city.streets[0].path in paths and city.city.path not in paths
    # another street's area is not found, a bad period changes nothing
    assert client.post(reverse("reports:refresh"), {"area": city.streets[1].pk}).status_code == 404
    before = IndicatorSnapshot.objects.unscoped("test oracle").count()
    client.post(reverse("reports:refresh"), {"area": city.streets[0].pk, "period": "13"})
    assert IndicatorSnapshot.objects.unscoped("test oracle").count() == before


@pytest.mark.django_db
def test_navigation_links_the_page(client_for):
    roles = [("street", True), ("city_admin", True), ("community_secretary", True), ("grid_worker", False)]
    for role, shown in roles:
        home = reverse("web:grid_home" if role == "grid_worker" else "web:area_home")
        html = client_for(role).get(home, follow=True).content.decode()
        assert (f'href="{reverse("reports:index")}"' in html) is shown, role


@pytest.mark.django_db
def test_the_nightly_refresh_keeps_twelve_months_of_periodic_figures(city):
    months = services.last_months(12)
    assert len(months) == 12 and months[-1] == timezone.localdate().strftime("%Y-%m")
    assert services.last_months(3, dt.date(2026, 2, 10)) == ["2025-12", "2026-01", "2026-02"]
    tasks.refresh_snapshots()
    this_month, past = _snapshots(months[-1]), _snapshots(months[0])
    # This month is kept whole (its stock figures become its record); earlier months only where the month
    # matters, and their tables read the stock figures from the current snapshot.
    assert (city.city.path, "residents") in this_month and (city.city.path, "residents") not in past
    assert (city.city.path, "pt_volunteer_services") in past
    assert (city.city.path, "ev_on_time_share") in past  # a share of two periodic counts is periodic
    assert not indicators.get("residents").periodic and indicators.get("ev_on_time_share").periodic
    t = queries.table(city.city, months[0])
    assert t.computed_at is not None  # from snapshots, not live
    assert t.values["residents"] == _snapshots()[(city.city.path, "residents")] == 16


def test_targets_are_written_as_the_report_states_them():
    assert queries.target_text("wf_qualified_share") == "≥30"
    assert queries.target_text("service_centre_per_100_households") == "≥30"
    assert queries.target_text("wf_grid_coverage") == "100"
    assert queries.target_text("check_grids_without_worker") == "0"
    assert queries.target_text("residents") == ""
