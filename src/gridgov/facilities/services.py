"""Writes about positions, candidate rooms and walking networks, and the circle's (derived) cache.

Every write is one transaction with its audit row. A facility's location must lie inside an area the
actor may see (its polygon, or the nearest ancestor's polygon); negative areas, unknown kinds and
services, and locations outside every area are refused with a Chinese message and nothing is written.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit
from gridgov.core import indicators as core_indicators
from gridgov.core.models import Job
from gridgov.core.scope import check_path, subtree_q
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.xlsx import read_sheet

from . import network as nw
from .columns import FACILITY_COLUMNS
from .location import Locator, contains, polygon_owner
from .models import (
    ANY,
    ANY_FIELD,
    KIND_FIELDS,
    BuildingAccess,
    CandidateSite,
    CoverageRun,
    Facility,
    FacilityKind,
    FacilityPhoto,
    HostType,
    NetworkSegment,
    Service,
    WalkNetwork,
)

CITY_LENGTH = PATH_LENGTH[Level.CITY]
BUILDING_LENGTH = PATH_LENGTH[Level.BUILDING]
KIND_BY_LABEL = {str(label): value for value, label in FacilityKind.choices}
HOST_BY_LABEL = {str(label): value for value, label in HostType.choices}
SERVICE_BY_LABEL = {str(label): value for value, label in Service.choices}
PHOTO_TYPES = {".jpg", ".jpeg", ".png", ".webp"}
PHOTO_MAX_BYTES = 10 * 2**20


# --- validation (shared by forms, API and import) -----------------------------------------------------
def clean_kind(value: str) -> str:
    value = (value or "").strip()
    if value in FacilityKind.values:
        return value
    if value in KIND_BY_LABEL:
        return KIND_BY_LABEL[value]
    raise ServiceError(_("阵地类型“%(v)s”无效") % {"v": value})


def clean_host_type(value: str) -> str:
    value = (value or "").strip() or HostType.PUBLIC
    if value in HostType.values:
        return value
    if value in HOST_BY_LABEL:
        return HOST_BY_LABEL[value]
    raise ServiceError(_("用房类型“%(v)s”无效") % {"v": value})


def clean_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(_("名称不能为空"))
    if len(value) > 100:
        raise ServiceError(_("名称不能超过 100 个字"))
    return value


def clean_floor_area(value: Any, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise ServiceError(_("党群服务中心必须填写面积"))
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("面积“%(v)s”不是数字") % {"v": value}) from None
    if not number.is_finite():
        raise ServiceError(_("面积“%(v)s”不是数字") % {"v": value})
    if number < 0:
        raise ServiceError(_("面积不能为负数(%(v)s)") % {"v": value})
    if number == 0:
        raise ServiceError(_("面积必须大于零"))
    if number >= Decimal("100000000"):
        raise ServiceError(_("面积过大(%(v)s)") % {"v": value})
    return number.quantize(Decimal("0.1"))


def clean_coordinate(value: Any, label: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(_("%(l)s“%(v)s”不是数字") % {"l": label, "v": value}) from None
    if not math.isfinite(number):
        raise ServiceError(_("%(l)s“%(v)s”不是数字") % {"l": label, "v": value})
    return number


def clean_services(values: Iterable[str] | str) -> list[str]:
    if isinstance(values, str):
        for sep in ",,;;/ ":
            values = values.replace(sep, "、")
        values = values.split("、")
    out: list[str] = []
    for raw in values:
        value = str(raw).strip()
        if not value:
            continue
        code = value if value in Service.values else SERVICE_BY_LABEL.get(value)
        if code is None:
            raise ServiceError(_("未知服务内容“%(v)s”") % {"v": value})
        if code not in out:
            out.append(code)
    return out


# --- location ------------------------------------------------------------------------------------------
def resolve_location(
    actor,
    *,
    kind: str,
    area: Area | None,
    x: float | None,
    y: float | None,
    locator: Locator | None = None,
) -> tuple[Area, float, float]:
    """The area a position is registered to, and its coordinates; ServiceError when it is outside.

    With an area: it must be in scope, and the point (the area's own point if none is given) must lie
    in its polygon or its nearest ancestor's. Without: the deepest visible area containing the point.
    A service centre is registered to a street or community; other kinds to a community or below.
    """
    if area is not None:
        if actor is not None:
            check_path(actor, area.path)
        if not area.is_active:
            raise ServiceError(_("区域“%(a)s”已撤销") % {"a": area.name})
        if x is None or y is None:
            if area.x is None or area.y is None:
                raise ServiceError(_("请填写坐标:区域“%(a)s”没有坐标") % {"a": area.name})
            x, y = area.x, area.y
        owner = polygon_owner(area)
        if owner is not None and not contains(owner.geometry, x, y):
            raise ServiceError(
                _("位置 (%(x).0f, %(y).0f) 不在区域“%(a)s”的范围内") % {"x": x, "y": y, "a": owner.name}
            )
    else:
        if x is None or y is None:
            raise ServiceError(_("请填写坐标或所属区域"))
        locator = locator or (Locator.for_user(actor) if actor is not None else Locator(_all_areas()))
        area = locator.locate(x, y)
        if area is None:
            raise ServiceError(_("位置 (%(x).0f, %(y).0f) 不在您管辖的任何区域内") % {"x": x, "y": y})
        if kind == FacilityKind.SERVICE_CENTRE and area.level > Level.COMMUNITY:
            area = Area.objects.unscoped("the grid's own community").get(
                path=area.path[: PATH_LENGTH[Level.COMMUNITY]]
            )
    if kind == FacilityKind.SERVICE_CENTRE and area.level not in (Level.STREET, Level.COMMUNITY):
        raise ServiceError(_("党群服务中心应登记在街道或社区"))
    if kind != FacilityKind.SERVICE_CENTRE and area.level < Level.COMMUNITY:
        raise ServiceError(_("位置不在任何社区内"))
    return area, float(x), float(y)


def _all_areas():
    return Area.objects.unscoped("locating a point for a system task")


# --- facilities ------------------------------------------------------------------------------------------
EDITABLE = (
    "name",
    "address",
    "floor_area",
    "host_type",
    "host_name",
    "services",
    "opening_hours",
    "unified_sign",
    "shared_use",
    "shared_with",
    "contact_phone",
    "note",
)


def _clean_fields(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = clean_name(data["name"])
    if "floor_area" in data:
        out["floor_area"] = clean_floor_area(data["floor_area"], required=kind == FacilityKind.SERVICE_CENTRE)
    if "host_type" in data:
        out["host_type"] = clean_host_type(data["host_type"])
    if "services" in data:
        out["services"] = clean_services(data["services"] or [])
    for key in ("address", "host_name", "opening_hours", "shared_with", "contact_phone", "note"):
        if key in data:
            out[key] = str(data[key] or "").strip()
    for key in ("unified_sign", "shared_use"):
        if key in data:
            out[key] = bool(data[key])
    return out


@transaction.atomic
def create_facility(
    actor,
    *,
    kind: str,
    name: str,
    area: Area | None = None,
    x: Any = None,
    y: Any = None,
    locator: Locator | None = None,
    **fields: Any,
) -> Facility:
    kind = clean_kind(kind)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    cleaned = _clean_fields(kind, {"name": name, "floor_area": fields.pop("floor_area", None), **fields})
    if area is not None:
        area = Area.objects.unscoped("lock inside a service").select_for_update().get(pk=area.pk)
    area, fx, fy = resolve_location(
        actor, kind=kind, area=area, x=clean_coordinate(x, "X"), y=clean_coordinate(y, "Y"), locator=locator
    )
    facility = Facility.objects.create(kind=kind, area=area, area_path=area.path, x=fx, y=fy, **cleaned)
    audit.record(actor, "facilities.create", facility, after=audit.snapshot(facility))
    invalidate_coverage(area.path)
    return facility


def _lock_facility(actor, facility: Facility) -> Facility:
    facility = Facility.objects.unscoped("lock inside a service").select_for_update().get(pk=facility.pk)
    if actor is not None:
        check_path(actor, facility.area_path)
    return facility


@transaction.atomic
def update_facility(
    actor, facility: Facility, *, area: Area | None = None, x: Any = None, y: Any = None, **fields: Any
) -> Facility:
    facility = _lock_facility(actor, facility)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    before = audit.snapshot(facility)
    for key, value in _clean_fields(facility.kind, fields).items():
        setattr(facility, key, value)
    fx, fy = clean_coordinate(x, "X"), clean_coordinate(y, "Y")
    if area is not None or fx is not None or fy is not None:
        # A new area without coordinates takes the area's own point; new coordinates alone must stay
        # inside the current area.
        keep = area is None
        new_area, nx, ny = resolve_location(
            actor,
            kind=facility.kind,
            area=area or facility.area,
            x=fx if fx is not None else (facility.x if keep or fy is not None else None),
            y=fy if fy is not None else (facility.y if keep or fx is not None else None),
        )
        facility.area, facility.area_path, facility.x, facility.y = new_area, new_area.path, nx, ny
    facility.save()
    after = audit.snapshot(facility)
    audit.record(actor, "facilities.update", facility, before=before, after=after)
    invalidate_coverage(facility.area_path)
    return facility


@transaction.atomic
def set_facility_active(actor, facility: Facility, active: bool, reason: str = "") -> Facility:
    facility = _lock_facility(actor, facility)
    if facility.is_active == active:
        return facility
    before = audit.snapshot(facility, ["is_active"])
    facility.is_active = active
    facility.save(update_fields=["is_active", "updated_at"])
    audit.record(
        actor,
        "facilities.reopen" if active else "facilities.close",
        facility,
        before=before,
        after={"is_active": active, "reason": reason},
    )
    invalidate_coverage(facility.area_path)
    return facility


@transaction.atomic
def add_photo(actor, facility: Facility, upload, caption: str = "") -> FacilityPhoto:
    facility = _lock_facility(actor, facility)
    name = str(getattr(upload, "name", "") or "")
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in PHOTO_TYPES:
        raise ServiceError(_("照片须为 JPG、PNG 或 WebP 格式"))
    if getattr(upload, "size", 0) > PHOTO_MAX_BYTES:
        raise ServiceError(_("照片不能超过 10 MB"))
    photo = FacilityPhoto(facility=facility, caption=(caption or "").strip()[:100])
    photo.image.save(f"facility-{facility.pk}{suffix}", upload, save=False)
    photo.save()
    audit.record(
        actor, "facilities.add_photo", facility, after={"photo": photo.image.name, "caption": photo.caption}
    )
    return photo


# --- candidate rooms -------------------------------------------------------------------------------------
@transaction.atomic
def create_candidate(
    actor,
    *,
    name: str,
    room_type: str = HostType.IDLE,
    area: Area | None = None,
    x: Any = None,
    y: Any = None,
    floor_area: Any = None,
    host_name: str = "",
    address: str = "",
) -> CandidateSite:
    if area is not None:
        area = Area.objects.unscoped("lock inside a service").select_for_update().get(pk=area.pk)
    area, fx, fy = resolve_location(
        actor,
        kind=FacilityKind.RED_STATION,
        area=area,
        x=clean_coordinate(x, "X"),
        y=clean_coordinate(y, "Y"),
    )
    site = CandidateSite.objects.create(
        name=clean_name(name),
        room_type=clean_host_type(room_type),
        area=area,
        area_path=area.path,
        x=fx,
        y=fy,
        floor_area=clean_floor_area(floor_area),
        host_name=(host_name or "").strip(),
        address=(address or "").strip(),
    )
    audit.record(actor, "facilities.create_candidate", site, after=audit.snapshot(site))
    return site


@transaction.atomic
def set_candidate_available(actor, site: CandidateSite, available: bool) -> CandidateSite:
    site = CandidateSite.objects.unscoped("lock inside a service").select_for_update().get(pk=site.pk)
    if actor is not None:
        check_path(actor, site.area_path)
    before = audit.snapshot(site, ["is_available"])
    site.is_available = available
    site.save(update_fields=["is_available", "updated_at"])
    audit.record(actor, "facilities.update_candidate", site, before=before, after={"is_available": available})
    return site


# --- walking network -------------------------------------------------------------------------------------
@dataclass
class NetworkCheck:
    segments: np.ndarray
    kinds: list[str]
    graph: nw.Graph
    fragments: list[nw.Fragment]
    warnings: list[str]


def _city_of(area: Area) -> Area:
    if area.level == Level.CITY:
        return area
    return Area.objects.unscoped("the city of a visible area").get(path=area.path[:CITY_LENGTH])


def _city_extent(city: Area) -> tuple[float, float, float, float] | None:
    from .location import bbox

    box = bbox(city.geometry)
    if box is not None:
        return box
    rows = Area.objects.unscoped("extent of a city").filter(
        subtree_q("path", city.path), x__isnull=False, y__isnull=False
    )
    xs = list(rows.values_list("x", "y"))
    if not xs:
        return None
    arr = np.asarray(xs, dtype=float)
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 0].max()), float(arr[:, 1].max())


def check_network(data: bytes | str | dict, city: Area, drop_fragments: bool = False) -> NetworkCheck:
    """Parse and validate a network file; raises ImportRejected listing every problem."""
    if isinstance(data, bytes | str):
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise ImportRejected([RowError(0, _("文件不是有效的 JSON(GeoJSON)"))]) from None
    else:
        parsed = data
    try:
        segments, kinds = nw.segments_from_geojson(parsed)
    except nw.NetworkError as exc:
        raise ImportRejected([RowError(0, _translate_network_problem(p)) for p in exc.problems]) from None
    warnings: list[str] = []
    xs, ys = segments[:, [0, 2]], segments[:, [1, 3]]
    if (
        np.abs(xs).max() <= 180
        and np.abs(ys).max() <= 90
        and xs.max() - xs.min() < 5
        and ys.max() - ys.min() < 5
    ):
        raise ImportRejected([RowError(0, _("坐标看起来是经纬度:请先把经纬度投影到本市平面坐标(米)"))])
    extent = _city_extent(city)
    if extent is not None:
        minx, miny, maxx, maxy = extent
        margin = 1000.0
        inside = (xs >= minx - margin) & (xs <= maxx + margin) & (ys >= miny - margin) & (ys <= maxy + margin)
        if not inside.any():
            raise ImportRejected(
                [
                    RowError(
                        0,
                        _(
                            "路网坐标与“%(c)s”的范围(X %(x0).0f–%(x1).0f,Y %(y0).0f–%(y1).0f 米)不重叠:"
                            "请先把经纬度投影到本市平面坐标(米)"
                        )
                        % {"c": city.name, "x0": minx, "x1": maxx, "y0": miny, "y1": maxy},
                    )
                ]
            )
    tolerance = settings.GRIDGOV_NETWORK_TOLERANCE_M
    main, fragments = nw.split_components(segments, tolerance)
    if fragments:
        if not drop_fragments:
            errors = [
                RowError(
                    0,
                    _("路网有 %(n)d 处与主路网不连通的碎片,未导入任何数据;请连接或删除它们,或选择“丢弃碎片”")
                    % {"n": len(fragments)},
                )
            ]
            errors += [
                RowError(
                    0,
                    _("碎片:%(s)d 条线段,长 %(l).0f 米,起点约 (%(x).0f, %(y).0f)")
                    % {"s": f.segments, "l": f.length_m, "x": f.x, "y": f.y},
                )
                for f in fragments[:20]
            ]
            raise ImportRejected(errors)
        warnings.append(
            _("已丢弃 %(n)d 处与主路网不连通的碎片(共 %(s)d 条线段)")
            % {"n": len(fragments), "s": sum(f.segments for f in fragments)}
        )
        segments = segments[main]
        kinds = [k for k, keep in zip(kinds, main, strict=True) if keep]
    graph = nw.build_graph(segments, tolerance, settings.GRIDGOV_NETWORK_MAX_EDGE_M)
    return NetworkCheck(segments, kinds, graph, fragments, warnings)


def _translate_network_problem(problem: str) -> str:
    # The engine reports in Chinese already; kept as a hook for the English catalogue.
    return problem


@transaction.atomic
def import_network(
    actor, *, area: Area, data: bytes | str | dict, name: str = "", drop_fragments: bool = False
) -> WalkNetwork:
    """Replace a city's walking network. All or nothing: a bad file changes nothing."""
    if actor is not None:
        check_path(actor, area.path)
    if area.level != Level.CITY:
        raise ServiceError(_("步行路网按城市导入:请选择市级区域"))
    city = area
    checked = check_network(data, city, drop_fragments=drop_fragments)
    WalkNetwork.objects.unscoped("replacing the city's network").filter(
        area_path=city.path, is_active=True
    ).update(is_active=False)
    network = WalkNetwork.objects.create(
        area=city,
        area_path=city.path,
        name=(name or "").strip()[:200] or _("步行路网 %(d)s") % {"d": timezone.localdate().isoformat()},
        segments=len(checked.segments),
        nodes=checked.graph.nodes,
        edges=checked.graph.edges,
        length_km=round(checked.graph.length_m / 1000, 2),
        dropped_fragments=len(checked.fragments) if drop_fragments else 0,
        warnings=checked.warnings,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    NetworkSegment.objects.bulk_create(
        (
            NetworkSegment(network=network, x1=s[0], y1=s[1], x2=s[2], y2=s[3], kind=k[:32])
            for s, k in zip(checked.segments.tolist(), checked.kinds, strict=True)
        ),
        batch_size=5000,
    )
    audit.record(
        actor,
        "facilities.import_network",
        network,
        after={
            "segments": network.segments,
            "nodes": network.nodes,
            "length_km": network.length_km,
            "dropped_fragments": network.dropped_fragments,
        },
    )
    invalidate_coverage(city.path)
    return network


_GRAPHS: dict[int, nw.Graph] = {}


def load_graph(network: WalkNetwork) -> nw.Graph:
    """A network's graph, built once per process (segments never change after import)."""
    graph = _GRAPHS.get(network.pk)
    if graph is None:
        rows = NetworkSegment.objects.filter(network_id=network.pk).values_list("x1", "y1", "x2", "y2")
        segments = np.fromiter(
            (v for row in rows.iterator(chunk_size=20000) for v in row), dtype=float
        ).reshape(-1, 4)
        graph = nw.build_graph(
            segments, settings.GRIDGOV_NETWORK_TOLERANCE_M, settings.GRIDGOV_NETWORK_MAX_EDGE_M
        )
        if len(_GRAPHS) >= 2:
            _GRAPHS.clear()
        _GRAPHS[network.pk] = graph
    return graph


def active_network(city_path: str) -> WalkNetwork | None:
    return (
        WalkNetwork.objects.unscoped("the city's network serves every area of it")
        .filter(area_path=city_path[:CITY_LENGTH], is_active=True)
        .order_by("-created_at", "-id")
        .first()
    )


# --- the circle (derived cache) ------------------------------------------------------------------------
def invalidate_coverage(path: str) -> None:
    """Mark the city's results stale and (by default) recompute them after this transaction commits."""
    city_path = path[:CITY_LENGTH]
    CoverageRun.objects.unscoped("derived cache").filter(area_path=city_path).update(is_stale=True)
    if settings.GRIDGOV_CIRCLE_AUTO_RECOMPUTE:
        from .tasks import recompute_coverage

        transaction.on_commit(lambda: recompute_coverage.delay(city_path))


def walk_metres(minutes: float | None = None) -> float:
    return (
        settings.GRIDGOV_CIRCLE_MINUTES if minutes is None else minutes
    ) * settings.GRIDGOV_WALK_SPEED_M_PER_MIN


@dataclass
class CircleInputs:
    building_ids: np.ndarray
    building_paths: list[str]
    building_xy: np.ndarray
    facility_ids: np.ndarray
    facility_kinds: np.ndarray
    facility_xy: np.ndarray


def circle_inputs(city_path: str) -> CircleInputs:
    buildings = list(
        Area.objects.unscoped("the circle covers the whole city")
        .filter(
            subtree_q("path", city_path),
            level=Level.BUILDING,
            is_active=True,
            x__isnull=False,
            y__isnull=False,
        )
        .order_by("path")
        .values_list("id", "path", "x", "y")
    )
    facilities = list(
        Facility.objects.unscoped("every position of the city counts, whoever may see it")
        .filter(subtree_q("area_path", city_path), is_active=True)
        .order_by("id")
        .values_list("id", "kind", "x", "y")
    )
    return CircleInputs(
        building_ids=np.asarray([b[0] for b in buildings], dtype=np.int64),
        building_paths=[b[1] for b in buildings],
        building_xy=np.asarray([(b[2], b[3]) for b in buildings], dtype=float).reshape(-1, 2),
        facility_ids=np.asarray([f[0] for f in facilities], dtype=np.int64),
        facility_kinds=np.asarray([f[1] for f in facilities], dtype=object),
        facility_xy=np.asarray([(f[2], f[3]) for f in facilities], dtype=float).reshape(-1, 2),
    )


@dataclass
class CircleResult:
    metres: dict[str, np.ndarray]  # kind (and "any") -> (buildings,) metres, inf where unreachable
    nearest: dict[str, np.ndarray]  # kind -> facility index into inputs (-1 none)
    snap_m: np.ndarray | None
    method: str


def walk_times(inputs: CircleInputs, graph: nw.Graph | None) -> CircleResult:
    """Metres from every building to the nearest position of each kind: network or straight fallback."""
    groups: dict[str, np.ndarray] = {
        kind: np.flatnonzero(inputs.facility_kinds == kind) for kind in FacilityKind.values
    }
    groups[ANY] = np.arange(len(inputs.facility_ids))
    metres: dict[str, np.ndarray] = {}
    nearest: dict[str, np.ndarray] = {}
    if graph is not None:
        search = nw.Search(graph, inputs.facility_xy, inputs.building_xy)
        for kind, members in groups.items():
            result = search.nearest(members)
            metres[kind], nearest[kind] = result.distance, result.source
        return CircleResult(metres, nearest, search.tgt_offset, "network")
    detour = settings.GRIDGOV_DETOUR_FACTOR
    for kind, members in groups.items():
        result = nw.straight_nearest(inputs.facility_xy[members], inputs.building_xy, detour)
        metres[kind] = result.distance
        nearest[kind] = (
            np.where(result.source >= 0, members[np.maximum(result.source, 0)], -1)
            if len(members)
            else result.source
        )
    return CircleResult(metres, nearest, None, "straight")


def compute_coverage(city_path: str, progress: Callable[[int, int], None] | None = None) -> CoverageRun:
    """Rebuild the city's BuildingAccess cache (a couple of seconds for ~26,000 buildings)."""
    started = time.perf_counter()
    city_path = city_path[:CITY_LENGTH]
    steps = 4

    def step(n: int) -> None:
        if progress is not None:
            progress(n, steps)

    network = active_network(city_path)
    graph = load_graph(network) if network is not None else None
    inputs = circle_inputs(city_path)
    step(1)
    result = walk_times(inputs, graph)
    step(2)
    households = core_indicators.rollup(core_indicators.get("households"), city_path, [BUILDING_LENGTH])[
        BUILDING_LENGTH
    ]
    residents = core_indicators.rollup(core_indicators.get("residents"), city_path, [BUILDING_LENGTH])[
        BUILDING_LENGTH
    ]
    step(3)
    speed = settings.GRIDGOV_WALK_SPEED_M_PER_MIN
    minutes = {k: np.round(v / speed, 2) for k, v in result.metres.items()}
    fields = {**{str(k): f for k, f in KIND_FIELDS.items()}, ANY: ANY_FIELD}
    rows = []
    fac_ids = inputs.facility_ids.tolist()
    for i, (bid, path) in enumerate(zip(inputs.building_ids.tolist(), inputs.building_paths, strict=True)):
        values: dict[str, Any] = {}
        near: dict[str, int] = {}
        for kind, field_name in fields.items():
            m = float(minutes[kind][i])
            values[field_name] = m if math.isfinite(m) else None
            j = int(result.nearest[kind][i])
            if j >= 0:
                near[kind] = fac_ids[j]
        rows.append(
            BuildingAccess(
                building_id=bid,
                area_path=path,
                x=float(inputs.building_xy[i, 0]),
                y=float(inputs.building_xy[i, 1]),
                households=households.get(path, 0),
                residents=residents.get(path, 0),
                snap_m=round(float(result.snap_m[i]), 1) if result.snap_m is not None else None,
                nearest=near,
                **values,
            )
        )
    with transaction.atomic():
        BuildingAccess.objects.unscoped("rebuilding the derived cache").filter(
            subtree_q("area_path", city_path)
        ).delete()
        BuildingAccess.objects.bulk_create(rows, batch_size=2000)
        run, _created = CoverageRun.objects.unscoped("derived cache").update_or_create(
            area_path=city_path,
            defaults={
                "computed_at": timezone.now(),
                "method": result.method,
                "network": network,
                "walk_speed": speed,
                "detour_factor": settings.GRIDGOV_DETOUR_FACTOR,
                "minutes": settings.GRIDGOV_CIRCLE_MINUTES,
                "buildings": len(rows),
                "facilities": len(fac_ids),
                "seconds": round(time.perf_counter() - started, 3),
                "is_stale": False,
            },
        )
        audit.record(
            None,
            "facilities.compute_coverage",
            run,
            after={"buildings": len(rows), "facilities": len(fac_ids), "method": result.method},
        )
    step(4)
    return run


def start_recompute_job(actor, area: Area) -> Job:
    """Recompute the circle for the actor's city as a background job with progress."""
    if actor is not None:
        check_path(actor, area.path)
    from .tasks import recompute_job

    with transaction.atomic():
        job = Job.objects.create(
            kind="facilities.recompute", owner=actor, params={"city_path": area.path[:CITY_LENGTH]}
        )
        audit.record(actor, "facilities.recompute", job, after={"city_path": area.path[:CITY_LENGTH]})
        transaction.on_commit(lambda: recompute_job.delay(job.pk))
    return job


# --- facility import -------------------------------------------------------------------------------------
def import_facilities(actor, upload: IO[bytes]) -> int:
    """All rows or nothing: every bad row (bad kind, negative area, outside every area …) is listed."""
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for line, values in read_sheet(upload, FACILITY_COLUMNS):
        row: dict[str, Any] = {}
        row_errors: list[RowError] = []

        checks: list[tuple[str, str, Callable[[], Any]]] = [
            ("kind", "类型", partial(clean_kind, values.get("kind", ""))),
            ("name", "名称", partial(clean_name, values.get("name", ""))),
            ("x", "X", partial(clean_coordinate, values.get("x"), "X")),
            ("y", "Y", partial(clean_coordinate, values.get("y"), "Y")),
            ("host_type", "用房类型", partial(clean_host_type, values.get("host_type", ""))),
            ("services", "服务内容", partial(clean_services, values.get("services", ""))),
        ]
        for field, header, check in checks:
            try:
                row[field] = check()
            except ServiceError as exc:
                row_errors.append(RowError(line, str(exc), header))
        try:
            row["floor_area"] = clean_floor_area(
                values.get("floor_area"), required=row.get("kind") == FacilityKind.SERVICE_CENTRE
            )
        except ServiceError as exc:
            row_errors.append(RowError(line, str(exc), "面积"))
        for key in ("address", "host_name", "opening_hours", "shared_with", "contact_phone", "note"):
            row[key] = values.get(key, "")
        row["unified_sign"] = values.get("unified_sign", "") in {"是", "1", "true", "TRUE", "Y", "y"}
        row["shared_use"] = values.get("shared_use", "") in {"是", "1", "true", "TRUE", "Y", "y"}
        row["area_code"] = values.get("area_code", "")
        if row_errors:
            errors.extend(row_errors)
        else:
            parsed.append((line, row))
    if not parsed and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    with transaction.atomic():
        areas = {
            a.code: a
            for a in Area.objects.visible_to(actor).filter(
                code__in={r["area_code"] for _l, r in parsed if r["area_code"]}
            )
        }
        locator = Locator.for_user(actor) if actor is not None else Locator(_all_areas())
        created: list[Facility] = []
        for line, row in parsed:
            area = None
            if row["area_code"]:
                area = areas.get(row["area_code"])
                if area is None:
                    errors.append(
                        RowError(
                            line,
                            _("区域编码“%(c)s”不存在或不在您的管辖范围内") % {"c": row["area_code"]},
                            "区域编码",
                        )
                    )
                    continue
            try:
                area, fx, fy = resolve_location(
                    actor, kind=row["kind"], area=area, x=row["x"], y=row["y"], locator=locator
                )
            except ServiceError as exc:
                errors.append(RowError(line, str(exc), "X"))
                continue
            fields = {k: row[k] for k in EDITABLE if k in row}
            created.append(Facility(kind=row["kind"], area=area, area_path=area.path, x=fx, y=fy, **fields))
        if errors:
            errors.sort(key=lambda e: e.line)
            raise ImportRejected(errors)
        Facility.objects.bulk_create(created, batch_size=2000)
        audit.record_many(actor, "facilities.import", created)
        for city_path in {f.area_path[:CITY_LENGTH] for f in created}:
            invalidate_coverage(city_path)
    return len(created)
