"""The area tree: drill-down pages, breadcrumbs, indicators, and re-zoning (move, retire, rename, create)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from gridgov.areas import queries
from gridgov.areas import services as area_services
from gridgov.areas.models import (
    PATH_LENGTH,
    Area,
    AreaChange,
    ChangeKind,
    Level,
    code_to_path,
    level_of_path,
    path_to_code,
)
from gridgov.core import indicators
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.people.models import Household, Resident

from ..factories import HouseholdFactory, ResidentFactory, make_child

SYSTEM = SystemActor("tests.areas")  # the actor of set-up steps: reaches every area, audited as such


# --- direct counts (the oracle: plain Python over all rows) ------------------------------------------
def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def direct_counts(path: str) -> dict[str, int]:
    today = dt.date.today()
    areas = [a for a in Area.objects.unscoped("test") if a.path.startswith(path) and a.is_active]
    residents = [
        r
        for r in Resident.objects.unscoped("test").prefetch_related("tags")
        if r.area_path.startswith(path) and r.is_active
    ]
    households = [
        h for h in Household.objects.unscoped("test") if h.area_path.startswith(path) and h.is_active
    ]
    return {
        "streets": sum(a.level == Level.STREET for a in areas),
        "communities": sum(a.level == Level.COMMUNITY for a in areas),
        "grids": sum(a.level == Level.GRID for a in areas),
        "buildings": sum(a.level == Level.BUILDING for a in areas),
        "households": len(households),
        "residents": len(residents),
        "elderly_60": sum(_age(r.birth_date, today) >= 60 for r in residents),
        "elderly_80": sum(_age(r.birth_date, today) >= 80 for r in residents),
        "party_members": sum(any(t.code == "party_member" for t in r.tags.all()) for r in residents),
    }


def all_paths():
    return (
        sorted(
            Area.objects.unscoped("test").values_list("pk", "path", "code", "parent_id", "is_active", "name")
        ),
        sorted(Household.objects.unscoped("test").values_list("pk", "area_path")),
        sorted(Resident.objects.unscoped("test").values_list("pk", "area_path")),
        AreaChange.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )


# --- codes and paths ----------------------------------------------------------------------------------
def test_codes_and_paths_of_the_fixture_tree(city):
    for area in Area.objects.unscoped("test"):
        assert level_of_path(area.path) == area.level
        assert area.code == path_to_code(area.path, area.level)
        assert code_to_path(area.code, area.level) == area.path
        if area.parent_id:
            assert area.path.startswith(area.parent.path)
    assert city.communities[0].code == "379901001001"
    assert city.districts[1].code == "379902000000"
    assert city.unit_a.code == "37990100100100100101"


# --- indicators ---------------------------------------------------------------------------------------
def test_indicators_agree_with_direct_counts_everywhere(city):
    codes = [
        "streets",
        "communities",
        "grids",
        "buildings",
        "households",
        "residents",
        "elderly_60",
        "elderly_80",
        "party_members",
    ]
    for area in Area.objects.unscoped("test"):
        assert indicators.for_area(area.path, codes) == direct_counts(area.path), area.name


@pytest.mark.parametrize(
    "code",
    ["grids", "buildings", "households", "residents", "elderly_60", "elderly_80", "party_members"],
)
def test_rollup_agrees_with_direct_counts_at_every_level(code, city):
    lengths = [PATH_LENGTH[level] for level in (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)]
    result = indicators.rollup(indicators.get(code), city.city.path, lengths)
    assert sorted(result) == lengths
    for length in lengths:
        prefixes = {
            a.path
            for a in Area.objects.unscoped("test")
            if len(a.path) == length and a.path.startswith(city.city.path)
        }
        expected = {p: direct_counts(p)[code] for p in prefixes}
        assert {p: n for p, n in expected.items() if n} == result[length], (code, length)


def test_fixture_figures_are_not_trivial(city):
    figures = direct_counts(city.city.path)
    assert figures == {
        "streets": 2,
        "communities": 4,
        "grids": 8,
        "buildings": 8,
        "households": 8,
        "residents": 16,
        "elderly_60": 5,
        "elderly_80": 2,
        "party_members": 4,
    }


def test_indicators_ignore_retired_and_inactive_rows(city):
    Resident.objects.unscoped("test").filter(pk=city.resident_a.pk).update(is_active=False)
    spare = make_child(city.grid_a, "空楼")
    area_services.retire_area(SYSTEM, spare, reason="拆除")
    assert indicators.for_area(city.grid_a.path, ["residents", "buildings"]) == {
        "residents": 1,
        "buildings": 1,
    }
    assert direct_counts(city.grid_a.path)["residents"] == 1


def test_children_figures_are_grouped_in_one_query_per_indicator(city, django_assert_max_num_queries):
    with django_assert_max_num_queries(1 + 4):
        rows = queries.children_with_figures(city.city)
    assert [r.area.name for r in rows] == ["东城区", "西城区"]
    for row in rows:
        expected = direct_counts(row.area.path)
        assert row.figures == {
            code: expected[code] for code in ("grids", "buildings", "households", "residents")
        }


# --- drill-down pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("level_attr", ["city", "district", "street", "community", "grid", "building"])
def test_drilldown_children_counts_equal_actual_counts(level_attr, city, client_for):
    area = {
        "city": city.city,
        "district": city.districts[0],
        "street": city.streets[0],
        "community": city.communities[0],
        "grid": city.grid_a,
        "building": city.building_a,
    }[level_attr]
    response = client_for("city_admin").get(reverse("areas:detail", args=[area.pk]))
    assert response.status_code == 200
    rows = response.context["rows"]
    children = sorted(Area.objects.unscoped("test").filter(parent=area, is_active=True), key=lambda a: a.path)
    assert [r.area.pk for r in rows] == [c.pk for c in children]
    html = response.content.decode()
    table = html[html.index('data-testid="children"') :]
    for row in rows:
        expected = direct_counts(row.area.path)
        assert row.figures, "every level above the unit shows figures for its children"
        assert {c: v for c, v in row.figures.items() if c in expected} == {
            code: expected[code] for code in row.figures if code in expected
        }
        cells = "".join(
            f'<td class="num" data-indicator="{c}"[^>]*>{indicators.format_value(c, v)}</td>'
            for c, v in row.figures.items()
        )
        assert re.search(
            rf"{re.escape(row.area.name)}</a></td><td class=\"hide-phone\"><code>{row.area.code}</code></td>{cells}</tr>",
            table,
        )
    own = direct_counts(area.path)
    assert response.context["figures"]["residents"] == own["residents"]
    assert re.search(rf'data-indicator="residents"[^>]*><span class="value">{own["residents"]}</span>', html)


def test_unit_page_lists_its_households(city, client_for):
    HouseholdFactory(unit=city.unit_a, number="102")
    html = client_for("grid_worker").get(reverse("areas:detail", args=[city.unit_a.pk])).content.decode()
    assert "住户(2)" in html
    assert f'href="{reverse("people:household_detail", args=[city.household_a.pk])}"' in html


def test_the_households_panel_is_contributed_by_people_and_only_on_a_unit(city, client_for):
    """areas imports no people code: people registers the panel (areas.panels) in its ready()."""
    from gridgov.areas import panels

    client = client_for("grid_worker")
    assert (
        'data-panel="households"'
        in client.get(reverse("areas:detail", args=[city.unit_a.pk])).content.decode()
    )
    assert (
        'data-panel="households"'
        not in client.get(reverse("areas:detail", args=[city.grid_a.pk])).content.decode()
    )
    registered = panels._PANELS["households"]
    panels.unregister("households")
    try:
        html = client.get(reverse("areas:detail", args=[city.unit_a.pk])).content.decode()
        assert 'data-panel="households"' not in html and "<h2>住户(" not in html
    finally:
        panels._PANELS["households"] = registered


def test_breadcrumbs_are_cut_at_the_users_area(city, users, client_for):
    unit = city.unit_a
    full = [a.name for a in queries.ancestors(unit)]
    assert full == [
        "青山市",
        "东城区",
        "东华街道",
        "东一社区",
        city.grid_a.name,
        city.building_a.name,
        unit.name,
    ]
    for role, expected in [
        ("city_admin", full),
        ("street", full[2:]),
        ("grid_worker", full[4:]),
        ("property", full[5:]),
    ]:
        response = client_for(role).get(reverse("areas:detail", args=[unit.pk]))
        assert [a.name for a in response.context["crumbs"]] == expected, role
        html = response.content.decode()
        nav = html[html.index('class="crumbs"') : html.index("</nav>", html.index('class="crumbs"'))]
        linked = [int(pk) for pk in re.findall(r'href="/areas/(\d+)/"', nav)]
        assert linked == [a.pk for a in response.context["crumbs"][:-1]], role
        assert f'<span aria-current="page">{unit.name}</span>' in nav


def test_home_redirects_to_the_users_area(city, users, client_for):
    response = client_for("community_worker").get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("areas:detail", args=[city.communities[0].pk])
    # A grid worker lands on the grid's workbench, whose "我的网格" leads to the same drill-down.
    response = client_for("grid_worker").get(reverse("web:home"), follow=True)
    assert reverse("areas:detail", args=[city.grid_a.pk]) in response.content.decode()


def test_search_finds_by_pinyin_initials_and_code(city, client_for):
    client = client_for("street")
    by_initials = client.get(reverse("areas:search"), {"q": "dysq"}).context["results"]
    assert by_initials[0].name == "东一社区"
    assert {a.name for a in by_initials} == {
        a.name for a in Area.objects.unscoped("test") if a.name.startswith("东一社区")
    }
    assert [a.name for a in client.get(reverse("areas:search"), {"q": "xihua"}).context["results"]] == []
    by_code = client.get(reverse("areas:search"), {"q": city.grid_b.code}).context["results"]
    assert [a.pk for a in by_code][:1] == [city.grid_b.pk]
    assert all(a.path.startswith(city.streets[0].path) for a in by_code)


# --- moving -------------------------------------------------------------------------------------------
def test_moving_a_building_moves_its_whole_subtree(city, users):
    street = users["street"]
    building, unit, household = city.building_a, city.unit_a, city.household_a
    residents = [city.residents[0], city.residents[1]]
    old_code = building.code
    target = city.grid_b  # already has building 001
    ResidentFactory(household=HouseholdFactory(unit=city.units[2]))  # an unrelated resident must stay put
    untouched_before = sorted(
        Resident.objects.unscoped("test")
        .exclude(pk__in=[r.pk for r in residents])
        .values_list("pk", "area_path")
    )

    moved = area_services.move_area(street, building, target, reason="网格调整")

    assert moved.parent_id == target.pk
    assert moved.path == target.path + "002"
    assert moved.code == moved.path
    unit.refresh_from_db()
    assert unit.path == moved.path + "01"
    assert unit.code == unit.path
    household.refresh_from_db()
    assert household.area_path == unit.path
    for resident in residents:
        resident.refresh_from_db()
        assert resident.area_path == unit.path
    assert (
        sorted(
            Resident.objects.unscoped("test")
            .exclude(pk__in=[r.pk for r in residents])
            .values_list("pk", "area_path")
        )
        == untouched_before
    )

    change = AreaChange.objects.unscoped("test").get(area=building, kind=ChangeKind.MOVE)
    assert (change.old_code, change.new_code) == (old_code, moved.code)
    assert (change.old_parent_id, change.new_parent_id) == (city.grid_a.pk, target.pk)
    assert change.reason == "网格调整"
    assert change.actor == street
    event = AuditEvent.objects.get(action="areas.move")
    assert event.actor == street
    assert event.before["path"] == old_code
    assert event.after["path"] == moved.path
    assert event.area_path == moved.path

    # Scope follows the new paths.
    assert not Resident.objects.visible_to(users["grid_worker"]).filter(pk=residents[0].pk).exists()
    assert Resident.objects.visible_to(users["grid_worker_b"]).filter(pk=residents[0].pk).exists()
    # Figures follow too.
    assert indicators.for_area(city.grid_a.path, ["residents", "buildings"]) == {
        "residents": 0,
        "buildings": 0,
    }
    assert indicators.for_area(target.path, ["residents", "buildings"]) == {"residents": 4, "buildings": 2}


def test_moving_a_grid_to_another_community(city, users):
    grid = city.grid_b
    target = city.communities[1]
    moved = area_services.move_area(users["street"], grid, target, reason="社区调整")
    assert moved.path == target.path + "003"
    unit = Area.objects.unscoped("test").get(pk=city.units[1].pk)
    assert unit.path == moved.path + "001" + "01"
    assert Household.objects.unscoped("test").get(pk=city.households[1].pk).area_path == unit.path
    worker = type(users["grid_worker_b"]).objects.get(pk=users["grid_worker_b"].pk)
    assert worker.area_path == moved.path  # the user's scope moves with the grid
    assert Resident.objects.visible_to(worker).count() == 2


def test_move_via_api(city, users, api_for):
    response = api_for("district").post(
        reverse("area-move", args=[city.building_a.pk]),
        {"new_parent": city.grid_b.pk, "reason": "调整"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["path"] == city.grid_b.path + "002"
    history = api_for("district").get(reverse("area-history", args=[city.building_a.pk])).json()
    assert [h["kind"] for h in history] == ["move"]
    assert history[0]["old_code"] == city.building_a.code


def test_move_via_page(city, client_for):
    client = client_for("street")
    page = client.get(reverse("areas:detail", args=[city.building_a.pk]))
    candidates = list(page.context["move_form"].fields["new_parent"].queryset)
    assert city.grid_b in candidates and city.grid_a not in candidates
    response = client.post(
        reverse("areas:move", args=[city.building_a.pk]),
        {"new_parent": city.grid_b.pk, "reason": "调整"},
        follow=True,
    )
    assert response.status_code == 200
    assert "已迁移" in response.content.decode()
    assert Area.objects.unscoped("test").get(pk=city.building_a.pk).parent_id == city.grid_b.pk


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unit", "只有网格和楼院可以迁移"),
        ("community", "只有网格和楼院可以迁移"),
        ("building under community", "新上级的层级不正确"),
        ("building under unit", "新上级的层级不正确"),
        ("retired target", "已撤销的区域不能迁移或接收下级"),
        ("retired area", "已撤销的区域不能迁移或接收下级"),
        ("same parent", "新上级与当前上级相同"),
        ("no reason", "请填写调整原因"),
    ],
)
def test_refused_moves_change_nothing(case, message, city, users):
    street = users["street"]
    reason = "调整"
    if case == "unit":
        area, target = city.unit_a, city.buildings[1]
    elif case == "community":
        area, target = city.communities[0], city.streets[0]
    elif case == "building under community":
        area, target = city.building_a, city.communities[1]
    elif case == "building under unit":
        area, target = city.building_a, city.units[1]
    elif case == "retired target":
        target = make_child(city.communities[0], "待撤网格")
        area_services.retire_area(street, target, reason="合并")
        area = city.building_a
    elif case == "retired area":
        area = make_child(city.grid_a, "待撤楼")
        area_services.retire_area(street, area, reason="拆除")
        target = city.grid_b
    elif case == "same parent":
        area, target = city.building_a, city.grid_a
    else:
        area, target, reason = city.building_a, city.grid_b, "  "
    before = all_paths()
    with pytest.raises(ServiceError) as excinfo:
        area_services.move_area(street, area, target, reason=reason)
    assert message in str(excinfo.value)
    assert all_paths() == before


@pytest.mark.parametrize("direction", ["area outside", "target outside"])
def test_out_of_scope_moves_change_nothing(direction, city, users):
    district = users["district"]  # 东城区
    inside, outside_grid = city.building_a, city.grids[4]  # 西城区's first grid
    area, target = (city.buildings[4], city.grid_a) if direction == "area outside" else (inside, outside_grid)
    before = all_paths()
    with pytest.raises(OutOfScope):
        area_services.move_area(district, area, target, reason="越界")
    assert all_paths() == before


def test_a_new_child_after_a_move_away_gets_a_unique_path(city, users):
    area_services.move_area(users["street"], city.building_a, city.grid_b, reason="调整")
    fresh = area_services.create_area(users["street"], parent=city.grid_a, name="新楼")
    assert fresh.path.startswith(city.grid_a.path)
    assert Area.objects.unscoped("test").filter(path=fresh.path).count() == 1
    assert Area.objects.unscoped("test").filter(code=fresh.code).count() == 1


def test_codes_of_moved_away_nodes_are_not_reused(city, users):
    old_code = city.building_a.code
    area_services.move_area(users["street"], city.building_a, city.grid_b, reason="调整")
    fresh = area_services.create_area(users["street"], parent=city.grid_a, name="新楼")
    assert fresh.code != old_code


def test_history_page_of_a_moved_area_keeps_its_earlier_changes(city, users, client_for):
    area_services.rename_area(users["street"], city.building_a, name="改名楼")
    area_services.move_area(users["street"], city.building_a, city.grid_b, reason="调整")
    page = client_for("street").get(reverse("areas:history", args=[city.building_a.pk]))
    kinds = {c.kind for c in page.context["page"]}
    assert {"rename", "move"} <= kinds


# --- retiring -----------------------------------------------------------------------------------------
def test_retire_refused_while_residents_live_there(city, users, api_for):
    before = all_paths()
    with pytest.raises(ServiceError, match="仍有在册"):
        area_services.retire_area(users["street"], city.unit_a, reason="拆除")
    with pytest.raises(ServiceError, match="请先迁移或撤销其下级区域"):
        area_services.retire_area(users["street"], city.building_a, reason="拆除")
    response = api_for("street").post(
        reverse("area-retire", args=[city.unit_a.pk]), {"reason": "拆除"}, format="json"
    )
    assert response.status_code == 400
    assert "仍有在册" in response.json()["detail"]
    assert all_paths() == before


def test_retire_refused_for_an_empty_household(city, users):
    unit = make_child(city.building_a, "空户单元")
    HouseholdFactory(unit=unit)
    with pytest.raises(ServiceError, match="仍有在册的户"):
        area_services.retire_area(users["street"], unit, reason="拆除")


def test_retire_refused_above_grid_level(city, users):
    community = make_child(city.streets[0], "空社区")
    with pytest.raises(ServiceError, match="民政部门"):
        area_services.retire_area(users["street"], community, reason="合并")


def test_retire_empty_unit_and_building(city, users):
    street = users["street"]
    building = make_child(city.grid_a, "空楼")
    unit = make_child(building, "空单元")
    retired_unit = area_services.retire_area(street, unit, reason="拆除")
    assert not retired_unit.is_active and retired_unit.retired_at is not None
    retired_building = area_services.retire_area(street, building, reason="拆除")
    assert not retired_building.is_active
    changes = AreaChange.objects.unscoped("test").filter(kind=ChangeKind.RETIRE).order_by("id")
    assert [(c.area_id, c.reason) for c in changes] == [(unit.pk, "拆除"), (building.pk, "拆除")]
    assert AuditEvent.objects.filter(action="areas.retire", actor=street).count() == 2
    with pytest.raises(ServiceError, match="已撤销"):
        area_services.retire_area(street, unit, reason="再撤")
    # Retired rows stay, and keep their path; the drill-down hides them.
    assert Area.objects.unscoped("test").filter(pk=unit.pk).exists()
    assert building not in [r.area for r in queries.children_with_figures(city.grid_a)]
    assert building in [r.area for r in queries.children_with_figures(city.grid_a, include_retired=True)]


def test_retire_via_page_redirects_to_parent(city, client_for):
    unit = make_child(city.building_a, "空单元")
    response = client_for("street").post(reverse("areas:retire", args=[unit.pk]), {"reason": "拆除"})
    assert response.status_code == 302
    assert response["Location"] == reverse("areas:detail", args=[city.building_a.pk])
    assert not Area.objects.unscoped("test").get(pk=unit.pk).is_active


# --- renaming and creating ----------------------------------------------------------------------------
def test_rename_keeps_history(city, users, api_for, client_for):
    street = users["street"]
    grid = city.grid_a
    old = grid.name
    area_services.rename_area(street, grid, name="幸福网格")
    area_services.rename_area(street, grid, name="和谐网格")
    grid.refresh_from_db()
    assert grid.name == "和谐网格"
    assert grid.name_pinyin == "hexiewangge"
    assert grid.name_initials == "hxwg"
    assert grid.code == city.grid_a.code
    changes = AreaChange.objects.unscoped("test").filter(area=grid, kind=ChangeKind.RENAME).order_by("id")
    assert [(c.old_name, c.new_name) for c in changes] == [(old, "幸福网格"), ("幸福网格", "和谐网格")]
    events = AuditEvent.objects.filter(action="areas.rename").order_by("id")
    assert [(e.before["name"], e.after["name"]) for e in events] == [
        (old, "幸福网格"),
        ("幸福网格", "和谐网格"),
    ]

    history = api_for("grid_worker").get(reverse("area-history", args=[grid.pk])).json()
    assert [(h["old_name"], h["new_name"]) for h in history] == [("幸福网格", "和谐网格"), (old, "幸福网格")]
    page = client_for("grid_worker").get(reverse("areas:history", args=[grid.pk])).content.decode()
    assert f"<td>{old}</td><td>幸福网格</td>" in page
    assert "<td>幸福网格</td><td>和谐网格</td>" in page

    with pytest.raises(ServiceError, match="名称不能为空"):
        area_services.rename_area(street, grid, name="   ")


@pytest.mark.parametrize(
    ("parent_attr", "expected_path", "expected_code"),
    [
        ("districts.0", "379901002", "379901002000"),
        ("streets.0", "379901001003", "379901001003"),
        ("communities.0", "379901001001003", "379901001001003"),
        ("grids.0", "379901001001001002", "379901001001001002"),
        ("buildings.0", "37990100100100100102", "37990100100100100102"),
        ("city", "379903", "379903000000"),
    ],
)
def test_create_area_assigns_the_next_code(parent_attr, expected_path, expected_code, city, users):
    name, _, index = parent_attr.partition(".")
    parent = getattr(city, name)[int(index)] if index else getattr(city, name)
    area = area_services.create_area(users["city_admin"], parent=parent, name="新建区域")
    assert (area.path, area.code, area.level, area.parent_id) == (
        expected_path,
        expected_code,
        parent.level + 1,
        parent.pk,
    )
    assert area.name_pinyin == "xinjianquyu"
    change = AreaChange.objects.unscoped("test").get(area=area)
    assert change.kind == ChangeKind.CREATE and change.new_code == expected_code
    assert AuditEvent.objects.get(action="areas.create").after["code"] == expected_code


def test_create_area_refusals(city, users):
    with pytest.raises(ServiceError, match="单元下不能再建下级区域"):
        area_services.create_area(SYSTEM, parent=city.unit_a, name="x")
    with pytest.raises(ServiceError, match="名称不能为空"):
        area_services.create_area(SYSTEM, parent=city.building_a, name=" ")
    with pytest.raises(ServiceError, match="GeoJSON"):
        area_services.create_area(SYSTEM, parent=city.building_a, name="x", geometry={"type": "Circle"})
    with pytest.raises(OutOfScope):
        area_services.create_area(users["grid_worker"], parent=city.buildings[1], name="x")
    retired = make_child(city.grid_a, "旧楼")
    area_services.retire_area(SYSTEM, retired, reason="拆")
    with pytest.raises(ServiceError, match="上级区域已撤销"):
        area_services.create_area(SYSTEM, parent=retired, name="x")


def test_create_area_via_api_and_page(city, api_for, client_for):
    response = api_for("street").post(
        reverse("area-list"), {"parent": city.building_a.pk, "name": "二单元"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["code"] == city.building_a.path + "02"
    assert response.json()["level"] == Level.UNIT
    page = client_for("street").post(
        reverse("areas:add_child", args=[city.building_a.pk]), {"name": "三单元"}
    )
    created = Area.objects.unscoped("test").get(name="三单元")
    assert page["Location"] == reverse("areas:detail", args=[created.pk])
    assert created.code == city.building_a.path + "03"
