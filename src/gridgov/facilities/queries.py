"""Reads shared by pages, API, exports and the benchmark: standards, circle coverage, map, siting, nearby."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import indicators as core_indicators
from gridgov.core.scope import subtree_q
from gridgov.core.services import ServiceError

from . import network as nw
from .coverage import CITY_LENGTH, active_network, load_graph, walk_metres
from .models import (
    ANY,
    ANY_FIELD,
    KIND_FIELDS,
    BuildingAccess,
    CandidateSite,
    CoverageRun,
    Facility,
    FacilityKind,
    HostType,
    Service,
)

COMMUNITY_LENGTH = PATH_LENGTH[Level.COMMUNITY]
BUILDING_LENGTH = PATH_LENGTH[Level.BUILDING]
# Figures the report gives, shown next to the platform's own counts.
REPORT_FIGURES: dict[str, str] = {FacilityKind.RED_STATION: "902", FacilityKind.OUTDOOR_STATION: "380+"}


def kind_field(kind: str | None) -> str:
    if not kind or kind == ANY:
        return ANY_FIELD
    if kind not in KIND_FIELDS:
        raise ServiceError(_("阵地类型“%(v)s”无效") % {"v": kind})
    return KIND_FIELDS[FacilityKind(kind)]


def coverage_run(path: str) -> CoverageRun | None:
    return (
        CoverageRun.objects.unscoped("the city's circle status (date, stale flag), shown in any area of it")
        .filter(area_path=path[:CITY_LENGTH])
        .first()
    )


# --- standards -------------------------------------------------------------------------------------------
@dataclass
class CommunityStandard:
    area: Area
    households: int
    centre_area: Decimal
    centres: int
    required: Decimal
    shortfall: Decimal

    @property
    def status(self) -> str:
        if self.centres == 0:
            return "missing"
        return "below" if self.shortfall > 0 else "ok"


@dataclass
class Standards:
    per_100: float
    communities: list[CommunityStandard]
    counts: dict[str, int]
    compounds: int
    compounds_without_station: int
    communities_without_red_station: list[Area] = field(default_factory=list)

    @property
    def missing(self) -> list[CommunityStandard]:
        return [c for c in self.communities if c.status == "missing"]

    @property
    def below(self) -> list[CommunityStandard]:
        return [c for c in self.communities if c.status == "below"]

    @property
    def meeting(self) -> int:
        return sum(1 for c in self.communities if c.status == "ok")


def standards(user, area: Area) -> Standards:
    """Each community's centre area against the standard, communities without a centre, compounds
    (楼院) without a red station, and the counts the report gives."""
    per_100 = settings.GRIDGOV_CENTRE_M2_PER_100_HOUSEHOLDS
    communities = list(
        Area.objects.visible_to(user)
        .filter(subtree_q("path", area.path), level=Level.COMMUNITY, is_active=True)
        .order_by("path")
    )
    households = core_indicators.rollup(
        core_indicators.get("households"), area.path, [COMMUNITY_LENGTH, BUILDING_LENGTH]
    )
    facilities = Facility.objects.visible_to(user).in_area(area.path).filter(is_active=True)
    centre_rows = list(
        facilities.filter(kind=FacilityKind.SERVICE_CENTRE).values_list("area_path", "floor_area")
    )
    centre_area: dict[str, Decimal] = {}
    centre_count: dict[str, int] = {}
    for path, floor in centre_rows:
        if len(path) != COMMUNITY_LENGTH:
            continue  # a street's centre serves the street, not one community
        centre_area[path] = centre_area.get(path, Decimal(0)) + (floor or Decimal(0))
        centre_count[path] = centre_count.get(path, 0) + 1
    rows = []
    for community in communities:
        n = households[COMMUNITY_LENGTH].get(community.path, 0)
        required = (Decimal(n) * Decimal(str(per_100)) / 100).quantize(Decimal("0.1"))
        have = centre_area.get(community.path, Decimal(0))
        rows.append(
            CommunityStandard(
                community,
                n,
                have,
                centre_count.get(community.path, 0),
                required,
                max(Decimal(0), required - have),
            )
        )
    counts = dict(facilities.order_by().values_list("kind").annotate(n=Count("*")).values_list("kind", "n"))
    counts["street_centres"] = sum(
        1 for path, _floor in centre_rows if len(path) == PATH_LENGTH[Level.STREET]
    )
    counts["unified_sign"] = facilities.filter(kind=FacilityKind.OUTDOOR_STATION, unified_sign=True).count()
    station_paths = {
        p[:BUILDING_LENGTH]
        for p in facilities.filter(kind=FacilityKind.RED_STATION).values_list("area_path", flat=True)
        if len(p) >= BUILDING_LENGTH
    }
    station_communities = {
        p[:COMMUNITY_LENGTH]
        for p in facilities.filter(kind=FacilityKind.RED_STATION).values_list("area_path", flat=True)
        if len(p) >= COMMUNITY_LENGTH
    }
    compounds = (
        Area.objects.visible_to(user)
        .filter(subtree_q("path", area.path), level=Level.BUILDING, is_active=True)
        .count()
    )
    return Standards(
        per_100=per_100,
        communities=rows,
        counts=counts,
        compounds=compounds,
        compounds_without_station=compounds - len(station_paths),
        communities_without_red_station=[c for c in communities if c.path not in station_communities],
    )


def compounds_without_station(user, area: Area):
    """Buildings (楼院) with no red station registered to them, most households first."""
    stations = (
        Facility.objects.visible_to(user)
        .in_area(area.path)
        .filter(kind=FacilityKind.RED_STATION, is_active=True)
        .values_list("area_path", flat=True)
    )
    with_station = {p[:BUILDING_LENGTH] for p in stations if len(p) >= BUILDING_LENGTH}
    households = core_indicators.rollup(core_indicators.get("households"), area.path, [BUILDING_LENGTH])[
        BUILDING_LENGTH
    ]
    buildings = (
        Area.objects.visible_to(user)
        .filter(subtree_q("path", area.path), level=Level.BUILDING, is_active=True)
        .select_related("parent")
        .order_by("path")
    )
    out = [b for b in buildings if b.path not in with_station]
    for b in out:
        b.household_count = households.get(b.path, 0)  # type: ignore[attr-defined]
    out.sort(key=lambda b: (-b.household_count, b.path))  # type: ignore[attr-defined]
    return out


# --- coverage --------------------------------------------------------------------------------------------
def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def coverage_summary(user, area: Area) -> dict[str, Any]:
    """Buildings, households and residents within the circle, overall and per kind, for one area."""
    cutoff = settings.GRIDGOV_CIRCLE_MINUTES
    qs = BuildingAccess.objects.visible_to(user).in_area(area.path)
    fields = {ANY: ANY_FIELD, **{str(k): f for k, f in KIND_FIELDS.items()}}
    aggregates: dict[str, Any] = {
        "n_buildings": Count("id"),
        "n_households": Sum("households"),
        "n_residents": Sum("residents"),
    }
    for kind, f in fields.items():
        within = Q(**{f"{f}__lte": cutoff})
        aggregates[f"{kind}_buildings"] = Count("id", filter=within)
        aggregates[f"{kind}_households"] = Sum("households", filter=within)
        aggregates[f"{kind}_residents"] = Sum("residents", filter=within)
    row = qs.aggregate(**aggregates)
    total_h, total_r, total_b = row["n_households"] or 0, row["n_residents"] or 0, row["n_buildings"] or 0
    per_kind = {}
    labels = {ANY: _("任一阵地"), **{str(k): str(v) for k, v in FacilityKind.choices}}
    for kind in fields:
        b, h, r = row[f"{kind}_buildings"] or 0, row[f"{kind}_households"] or 0, row[f"{kind}_residents"] or 0
        per_kind[kind] = {
            "label": labels[kind],
            "buildings": b,
            "households": h,
            "residents": r,
            "building_share": _share(b, total_b),
            "household_share": _share(h, total_h),
            "resident_share": _share(r, total_r),
        }
    run = coverage_run(area.path)
    return {
        "area": {"id": area.pk, "name": area.name, "path": area.path},
        "minutes": cutoff,
        "walk_speed_m_per_min": settings.GRIDGOV_WALK_SPEED_M_PER_MIN,
        "walk_metres": walk_metres(),
        "method": run.method if run else None,
        "fallback": bool(run and run.method == "straight"),
        "detour_factor": run.detour_factor if run else settings.GRIDGOV_DETOUR_FACTOR,
        "computed_at": run.computed_at.isoformat() if run else None,
        "stale": bool(run and run.is_stale),
        "buildings": total_b,
        "households": total_h,
        "residents": total_r,
        "covered": per_kind[ANY],
        "kinds": per_kind,
    }


def uncovered(user, area: Area, kind: str | None = None):
    f = kind_field(kind)
    cutoff = settings.GRIDGOV_CIRCLE_MINUTES
    return (
        BuildingAccess.objects.visible_to(user)
        .in_area(area.path)
        .filter(Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gt": cutoff}))
        .select_related("building__parent")
        .order_by("-households", "area_path")
    )


MAP_POLYGON_LIMIT = 1500


def map_data(user, area: Area) -> dict[str, Any]:
    """Everything the coverage map draws: area polygons, buildings (covered or not), positions."""
    cutoff = settings.GRIDGOV_CIRCLE_MINUTES
    areas = Area.objects.visible_to(user).filter(subtree_q("path", area.path), is_active=True)
    polygon_level = Level.GRID
    if areas.filter(level=Level.GRID).count() > MAP_POLYGON_LIMIT:
        polygon_level = Level.COMMUNITY
    features = []
    for pk, name, geometry in areas.filter(level=polygon_level, geometry__isnull=False).values_list(
        "pk", "name", "geometry"
    ):
        if isinstance(geometry, dict) and geometry.get("type") in {"Polygon", "MultiPolygon"}:
            features.append({"type": "Feature", "properties": {"name": name, "id": pk}, "geometry": geometry})
    buildings = list(
        BuildingAccess.objects.visible_to(user)
        .in_area(area.path)
        .values_list("x", "y", ANY_FIELD, "building__name", "households")
    )
    covered = [[x, y, m, n, h] for x, y, m, n, h in buildings if m is not None and m <= cutoff]
    uncovered_points = [[x, y, m, n, h] for x, y, m, n, h in buildings if m is None or m > cutoff]
    xs = [b[0] for b in buildings] + [p[0][0] for f in features for p in _first_ring(f)]
    ys = [b[1] for b in buildings] + [p[0][1] for f in features for p in _first_ring(f)]
    margin = walk_metres()
    facilities: dict[str, list] = {str(k): [] for k in FacilityKind.values}
    if xs:
        box = (min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin)
        # Positions just outside the user's area still serve its buildings: shown, public fields only.
        rows = (
            Facility.objects.unscoped("public positions near the user's area, name and kind only")
            .filter(subtree_q("area_path", area.path[:CITY_LENGTH]), is_active=True)
            .filter(x__gte=box[0], x__lte=box[2], y__gte=box[1], y__lte=box[3])
            .values_list("kind", "x", "y", "name")
        )
        for kind, x, y, name in rows:
            facilities[kind].append([x, y, name])
    run = coverage_run(area.path)
    return {
        "geojson": {"type": "FeatureCollection", "features": features},
        "covered": covered,
        "uncovered": uncovered_points,
        "facilities": facilities,
        "kinds": {str(k): str(v) for k, v in FacilityKind.choices},
        "minutes": cutoff,
        "fallback": bool(run and run.method == "straight"),
    }


def _first_ring(feature: dict) -> list:
    geometry = feature["geometry"]
    coords = geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
    return [coords[0][:1]] if coords and coords[0] else []


# --- siting ----------------------------------------------------------------------------------------------
@dataclass
class Pick:
    site: CandidateSite
    households: int
    residents: int
    buildings: int
    cumulative_households: int


@dataclass
class Siting:
    picks: list[Pick]
    uncovered_households: int
    uncovered_buildings: int
    candidates: int
    method: str
    kind: str


def suggest_sites(user, area: Area, k: int, kind: str | None = None) -> Siting:
    """The k candidate rooms that bring the most uncovered households into the circle (greedy)."""
    if k < 1 or k > 200:
        raise ServiceError(_("选址数量应在 1 到 200 之间"))
    if coverage_run(area.path) is None:
        raise ServiceError(_("尚未计算生活圈,请先重新计算"))
    targets = list(uncovered(user, area, kind).values_list("x", "y", "households", "residents"))
    candidates = list(
        CandidateSite.objects.visible_to(user)
        .in_area(area.path)
        .filter(is_available=True)
        .order_by("area_path", "id")
    )
    cutoff = walk_metres()
    network = active_network(area.path)
    method = "network" if network is not None else "straight"
    target_xy = np.asarray([(t[0], t[1]) for t in targets], dtype=float).reshape(-1, 2)
    cand_xy = np.asarray([(c.x, c.y) for c in candidates], dtype=float).reshape(-1, 2)
    weights = np.asarray([t[2] for t in targets], dtype=float)
    residents = np.asarray([t[3] for t in targets], dtype=float)
    sets: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(candidates)
    if len(targets) and len(candidates):
        # A room can only reach buildings within the cutoff in a straight line: skip the others.
        near = nw.straight_reach(cand_xy, target_xy, cutoff, 1.0)
        useful = [i for i, hits in enumerate(near) if len(hits)]
        if network is not None:
            search = nw.Search(load_graph(network), cand_xy, target_xy)
            reached = search.reach(useful, cutoff)
        else:
            reached = nw.straight_reach(cand_xy[useful], target_xy, cutoff, settings.GRIDGOV_DETOUR_FACTOR)
        for i, hits in zip(useful, reached, strict=True):
            sets[i] = hits
    picks = []
    covered = np.zeros(len(targets), dtype=bool)
    cumulative = 0
    for index, gain in nw.greedy_max_coverage(sets, weights, k):
        new = sets[index][~covered[sets[index]]]
        covered[new] = True
        cumulative += int(gain)
        picks.append(Pick(candidates[index], int(gain), int(residents[new].sum()), len(new), cumulative))
    return Siting(
        picks=picks,
        uncovered_households=int(weights.sum()),
        uncovered_buildings=len(targets),
        candidates=len(candidates),
        method=method,
        kind=kind or ANY,
    )


# --- nearby (the resident's phone page) -----------------------------------------------------------------
@dataclass
class Nearby:
    facility: Facility
    minutes: float
    metres: float

    @property
    def within(self) -> bool:
        return self.minutes <= settings.GRIDGOV_CIRCLE_MINUTES


NEARBY_MAX_MINUTES = 30


def nearby(origin: Area, limit: int = 8) -> tuple[list[Nearby], str]:
    """The nearest positions to a building by walking time, wherever they are registered (public)."""
    if origin.x is None or origin.y is None:
        return [], "none"
    speed = settings.GRIDGOV_WALK_SPEED_M_PER_MIN
    reach = NEARBY_MAX_MINUTES * speed
    rows = list(
        Facility.objects.unscoped("public positions: the nearest ones, wherever they are registered")
        .filter(subtree_q("area_path", origin.path[:CITY_LENGTH]), is_active=True)
        .filter(
            x__gte=origin.x - reach, x__lte=origin.x + reach, y__gte=origin.y - reach, y__lte=origin.y + reach
        )
    )
    if not rows:
        return [], "none"
    xy = np.asarray([(f.x, f.y) for f in rows], dtype=float)
    network = active_network(origin.path)
    if network is not None:
        search = nw.Search(load_graph(network), np.asarray([[origin.x, origin.y]]), xy)
        metres = search.from_source(0, limit=reach)
        method = "network"
    else:
        metres = np.hypot(xy[:, 0] - origin.x, xy[:, 1] - origin.y) * settings.GRIDGOV_DETOUR_FACTOR
        metres = np.where(metres <= reach, metres, np.inf)
        method = "straight"
    order = np.argsort(metres, kind="stable")
    out = [
        Nearby(rows[i], round(float(metres[i]) / speed, 1), round(float(metres[i])))
        for i in order[:limit]
        if math.isfinite(metres[i])
    ]
    return out, method


# --- export ----------------------------------------------------------------------------------------------
def export_rows(qs) -> Iterator[dict[str, Any]]:
    kinds = dict(FacilityKind.choices)
    hosts = dict(HostType.choices)
    services = dict(Service.choices)
    for f in qs.select_related("area").order_by("area_path", "kind", "id").iterator(chunk_size=2000):
        yield {
            "kind": str(kinds.get(f.kind, f.kind)),
            "name": f.name,
            "area_code": f.area.code,
            "x": round(f.x, 1),
            "y": round(f.y, 1),
            "floor_area": float(f.floor_area) if f.floor_area is not None else "",
            "host_type": str(hosts.get(f.host_type, f.host_type)),
            "host_name": f.host_name,
            "services": "、".join(str(services.get(s, s)) for s in f.services),
            "opening_hours": f.opening_hours,
            "unified_sign": "是" if f.unified_sign else "否",
            "shared_use": "是" if f.shared_use else "否",
            "shared_with": f.shared_with,
            "contact_phone": f.contact_phone,
            "address": f.address,
            "note": f.note,
            "area_name": f.area.name,
            "is_active": "是" if f.is_active else "否",
        }
