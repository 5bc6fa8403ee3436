"""Services: locations, bad input (nothing written), network import, the circle, standards, siting, import."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from openpyxl import Workbook

from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ImportRejected, ServiceError
from gridgov.facilities import queries, services
from gridgov.facilities.models import (
    BuildingAccess,
    CandidateSite,
    CoverageRun,
    Facility,
    FacilityKind,
    NetworkSegment,
    WalkNetwork,
)

from .conftest import SYSTEM, layout


def lines(*coords_list) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": coords}}
            for coords in coords_list
        ],
    }


# Streets along y = 500 and y = 1500 and up every community's middle (x = 500, 1500, 2500, 3500);
# crossings are shared vertices, as in OpenStreetMap.
XS = (500, 1500, 2500, 3500)
STREETS = lines(
    [[0, 500], *[[x, 500] for x in XS], [4000, 500]],
    [[0, 1500], *[[x, 1500] for x in XS], [4000, 1500]],
    *[[[x, 0], [x, 500], [x, 1500], [x, 2000]] for x in XS],
)


@pytest.fixture
def plane_city(city, settings):
    settings.GRIDGOV_CIRCLE_AUTO_RECOMPUTE = False
    layout(city)
    return city


def nothing_written(before_facilities: int, before_audit: int) -> bool:
    return (
        Facility.objects.unscoped("test").count() == before_facilities
        and AuditEvent.objects.count() == before_audit
    )


# --- locations and bad input ---------------------------------------------------------------------------
def test_point_is_registered_to_the_grid_containing_it(plane_city, users):
    f = services.create_facility(users["street"], kind="outdoor_station", name="驿站", x=800, y=1200)
    assert f.area == plane_city.grid_b
    assert AuditEvent.objects.filter(action="facilities.create", object_id=str(f.pk)).exists()


def test_a_centre_is_registered_to_the_community(plane_city, users):
    f = services.create_facility(users["street"], kind="centre", name="中心", x=300, y=300, floor_area="120")
    assert f.area == plane_city.communities[0]
    assert f.floor_area == Decimal("120.0")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": 50_000, "y": 50_000}, "不在您管辖的任何区域内"),
        ({"x": 300, "y": 300, "floor_area": "-5"}, "面积不能为负数"),
        ({"x": 300, "y": 300, "floor_area": "abc"}, "不是数字"),
        ({"x": "东边", "y": 300}, "不是数字"),
        ({"x": 300, "y": 300, "services": ["飞行"]}, "未知服务内容"),
        ({}, "请填写坐标"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(plane_city, users, kwargs, message):
    before = Facility.objects.unscoped("test").count(), AuditEvent.objects.count()
    with pytest.raises(ServiceError, match=message):
        services.create_facility(users["city_admin"], kind="red_station", name="驿站", **kwargs)
    assert nothing_written(*before)


def test_a_point_outside_the_chosen_area_is_refused(plane_city, users):
    with pytest.raises(ServiceError, match="不在区域"):
        services.create_facility(
            users["city_admin"], kind="red_station", name="驿站", area=plane_city.building_a, x=3500, y=500
        )


def test_a_centre_needs_a_floor_area(plane_city, users):
    with pytest.raises(ServiceError, match="必须填写面积"):
        services.create_facility(users["city_admin"], kind="centre", name="中心", x=300, y=300)


def test_outside_the_users_area_is_out_of_scope(plane_city, users):
    with pytest.raises(OutOfScope):
        services.create_facility(
            users["grid_worker"], kind="red_station", name="驿站", area=plane_city.buildings[3]
        )
    # By coordinates, another grid is simply "outside every area you may see".
    with pytest.raises(ServiceError, match="不在您管辖的任何区域内"):
        services.create_facility(users["grid_worker"], kind="red_station", name="驿站", x=3500, y=500)


def test_moving_keeps_the_area_and_checks_the_point(plane_city, users):
    f = services.create_facility(SYSTEM, kind="red_station", name="驿站", area=plane_city.building_a)
    f = services.update_facility(users["community_worker"], f, x=600, y=450, name="新名")
    assert (f.x, f.y, f.name, f.area_id) == (600, 450, "新名", plane_city.building_a.pk)
    with pytest.raises(ServiceError):
        services.update_facility(users["community_worker"], f, x=3600, y=450)


def test_close_and_reopen_are_audited(plane_city, users):
    f = services.create_facility(SYSTEM, kind="square", name="广场", x=300, y=300)
    services.set_facility_active(users["street"], f, False, "装修")
    services.set_facility_active(users["street"], f, True)
    actions = list(AuditEvent.objects.filter(object_id=str(f.pk)).values_list("action", flat=True))
    assert "facilities.close" in actions and "facilities.reopen" in actions


# --- network import ------------------------------------------------------------------------------------
def test_network_import(plane_city, users):
    network = services.import_network(
        users["city_admin"], area=plane_city.city, data=json.dumps(STREETS), name="路网"
    )
    assert network.is_active and network.segments == 22
    assert NetworkSegment.objects.filter(network=network).count() == 22
    assert network.length_km == pytest.approx(16.0)
    assert AuditEvent.objects.filter(action="facilities.import_network").count() == 1


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"not json", "JSON"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"geometry": {"type": "Point", "coordinates": [1, 2]}}],
                }
            ),
            "LineString",
        ),
        (json.dumps(lines([[0, 0], [0, "x"]])), "数值"),
        (json.dumps(lines([[116.3, 39.9], [116.4, 39.91]])), "经纬度"),
        (json.dumps(lines([[-9000, -9000], [-8000, -9000]])), "不重叠"),
        (json.dumps(lines([[0, 500], [4000, 500]], [[100, 1800], [300, 1800]])), "不连通"),
    ],
)
def test_bad_network_imports_nothing(plane_city, users, data, needle):
    before = WalkNetwork.objects.unscoped("test").count(), AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as caught:
        services.import_network(users["city_admin"], area=plane_city.city, data=data)
    assert any(needle in e.reason for e in caught.value.errors), caught.value.errors
    assert (WalkNetwork.objects.unscoped("test").count(), AuditEvent.objects.count()) == before
    assert NetworkSegment.objects.count() == 0


def test_fragments_can_be_dropped_with_a_warning(plane_city, users):
    data = json.dumps(lines([[0, 500], [4000, 500]], [[100, 1800], [300, 1800]]))
    network = services.import_network(
        users["city_admin"], area=plane_city.city, data=data, drop_fragments=True
    )
    assert network.segments == 1 and network.dropped_fragments == 1
    assert "碎片" in network.warnings[0]


def test_only_a_city_gets_a_network(plane_city, users):
    with pytest.raises(ServiceError, match="按城市导入"):
        services.import_network(users["district"], area=plane_city.districts[0], data=json.dumps(STREETS))


# --- the circle ----------------------------------------------------------------------------------------
def centre_at_community_0(city):
    return services.create_facility(SYSTEM, kind="centre", name="东一中心", x=500, y=1000, floor_area="10")


@pytest.mark.parametrize("with_network", [True, False])
def test_coverage_shares(plane_city, users, with_network):
    if with_network:
        services.import_network(SYSTEM, area=plane_city.city, data=json.dumps(STREETS))
    centre_at_community_0(plane_city)
    run = services.compute_coverage(plane_city.city.path)
    assert run.method == ("network" if with_network else "straight")
    a = BuildingAccess.objects.unscoped("test").get(building=plane_city.building_a)
    # 500 m along x = 500 (network) or 500 m × 1.3 in a straight line, at 75 m/min.
    assert a.minutes_centre == pytest.approx(500 / 75 if with_network else 650 / 75, abs=0.01)
    assert a.minutes_any == a.minutes_centre and a.minutes_red_station is None
    far = BuildingAccess.objects.unscoped("test").get(building=plane_city.buildings[2])
    assert far.minutes_any > 10
    city_summary = queries.coverage_summary(users["city_admin"], plane_city.city)
    assert city_summary["households"] == 8 and city_summary["residents"] == 16  # not the other city's
    assert city_summary["covered"]["households"] == 2
    district = queries.coverage_summary(users["district"], plane_city.districts[0])
    assert (district["covered"]["household_share"], district["covered"]["resident_share"]) == (50.0, 50.0)
    assert district["fallback"] is (not with_network)
    uncovered = {b.building_id for b in queries.uncovered(users["district"], plane_city.districts[0])}
    assert uncovered == {plane_city.buildings[2].pk, plane_city.buildings[3].pk}


def test_changes_mark_the_results_stale_and_recompute(
    plane_city, settings, django_capture_on_commit_callbacks
):
    services.compute_coverage(plane_city.city.path)
    settings.GRIDGOV_CIRCLE_AUTO_RECOMPUTE = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        centre_at_community_0(plane_city)
    assert CoverageRun.objects.unscoped("test").get().is_stale
    for callback in callbacks:
        callback()
    run = CoverageRun.objects.unscoped("test").get()
    assert not run.is_stale and run.facilities == 1


def test_recompute_job(plane_city, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_recompute_job(users["city_admin"], plane_city.city)
    job.refresh_from_db()
    assert job.status == "done"
    assert BuildingAccess.objects.unscoped("test").count() == 8  # the job's city only


# --- standards -----------------------------------------------------------------------------------------
def test_standards_check(plane_city, users):
    centre_at_community_0(plane_city)  # 10 m² for 2 households: fine
    services.create_facility(
        SYSTEM, kind="centre", name="东二中心", x=1500, y=1000, floor_area="0.5"
    )  # needs 0.6
    services.create_facility(
        SYSTEM, kind="centre", name="东华街道中心", area=plane_city.streets[0], floor_area="900"
    )
    services.create_facility(SYSTEM, kind="red_station", name="驿站", area=plane_city.building_a)
    result = queries.standards(users["city_admin"], plane_city.city)
    status = {c.area.name: (c.status, c.shortfall) for c in result.communities}
    assert status == {
        "东一社区": ("ok", Decimal("0")),
        "东二社区": ("below", Decimal("0.1")),
        "西一社区": ("missing", Decimal("0.6")),
        "西二社区": ("missing", Decimal("0.6")),
    }
    assert result.counts[FacilityKind.SERVICE_CENTRE] == 3 and result.counts["street_centres"] == 1
    assert result.counts[FacilityKind.RED_STATION] == 1
    assert (result.compounds, result.compounds_without_station) == (8, 7)
    assert [a.name for a in result.communities_without_red_station] == ["东二社区", "西一社区", "西二社区"]
    # A community secretary sees only their own community.
    own = queries.standards(users["community_secretary"], plane_city.communities[0])
    assert [c.area.name for c in own.communities] == ["东一社区"]


# --- siting --------------------------------------------------------------------------------------------
def test_siting_picks_the_room_covering_most_uncovered_households(plane_city, users):
    services.import_network(SYSTEM, area=plane_city.city, data=json.dumps(STREETS))
    centre_at_community_0(plane_city)
    services.compute_coverage(plane_city.city.path)
    # Uncovered: the buildings of 东二 (x = 1500), 西一 (2500) and 西二 (3500) and the other city's.
    # A room between 西一's two buildings covers both; one next to 西二's lower building covers that one.
    both = services.create_candidate(SYSTEM, name="西一闲置用房", x=2500, y=1000)
    one = services.create_candidate(SYSTEM, name="西二商户", x=3500, y=600, room_type="merchant")
    services.create_candidate(
        SYSTEM, name="东一物业", x=500, y=600, room_type="property"
    )  # covers nothing new
    result = queries.suggest_sites(users["city_admin"], plane_city.city, 3)
    assert [(p.site, p.households, p.buildings) for p in result.picks] == [(both, 2, 2), (one, 1, 1)]
    assert [p.cumulative_households for p in result.picks] == [2, 3]
    assert result.uncovered_households == 6 and result.method == "network"
    with pytest.raises(ServiceError):
        queries.suggest_sites(users["city_admin"], plane_city.city, 0)


def test_siting_needs_a_computed_circle(plane_city, users):
    with pytest.raises(ServiceError, match="尚未计算"):
        queries.suggest_sites(users["city_admin"], plane_city.city, 3)


# --- nearby --------------------------------------------------------------------------------------------
def test_nearby_lists_positions_by_walking_time(plane_city):
    services.import_network(SYSTEM, area=plane_city.city, data=json.dumps(STREETS))
    near = services.create_facility(SYSTEM, kind="red_station", name="近", area=plane_city.building_a)
    far = centre_at_community_0(plane_city)
    services.create_facility(SYSTEM, kind="red_station", name="关闭", x=520, y=520)
    Facility.objects.unscoped("test").filter(name="关闭").update(is_active=False)
    found, method = queries.nearby(plane_city.building_a)
    assert method == "network"
    assert [n.facility for n in found] == [near, far]
    assert found[1].minutes == pytest.approx(round(500 / 75, 1))


# --- xlsx import ---------------------------------------------------------------------------------------
def sheet(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["类型", "名称", "区域编码", "X", "Y", "面积", "用房类型", "服务内容", "统一标识"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_import_rejects_every_bad_row_and_imports_nothing(plane_city, users):
    upload = sheet(
        [
            ["红色驿站", "好驿站", "", 300, 300, 40, "物业服务用房", "公用维修工具、议事协商", "是"],
            ["红色驿站", "负面积", "", 300, 300, -3, "", "", ""],
            ["户外劳动者驿站", "城外", "", 90000, 300, "", "", "", ""],
            ["飞船", "坏类型", "", 300, 300, "", "", "", ""],
            ["党群服务中心", "没面积", "", 300, 300, "", "", "", ""],
        ]
    )
    before = Facility.objects.unscoped("test").count(), AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as caught:
        services.import_facilities(users["street"], upload)
    assert sorted({e.line for e in caught.value.errors}) == [3, 4, 5, 6]
    assert nothing_written(*before)


def test_import_and_export_round_trip(plane_city, users):
    upload = sheet(
        [
            [
                "红色驿站",
                "好驿站",
                plane_city.building_a.code,
                "",
                "",
                40,
                "物业服务用房",
                "公用维修工具、议事协商",
                "是",
            ],
            ["党建广场", "广场", "", 1200, 300, 800, "户外场地", "党员活动", ""],
        ]
    )
    assert services.import_facilities(users["street"], upload) == 2
    assert AuditEvent.objects.filter(action="facilities.import").count() == 2
    station = Facility.objects.unscoped("test").get(name="好驿站")
    assert (
        station.area == plane_city.building_a
        and station.services == ["tools", "meeting"]
        and station.unified_sign
    )
    rows = list(queries.export_rows(Facility.objects.visible_to(users["street"])))
    assert {r["name"] for r in rows} == {"好驿站", "广场"}
    assert rows[0]["kind"] in {"红色驿站", "党建广场"}
    assert CandidateSite.objects.unscoped("test").count() == 0
