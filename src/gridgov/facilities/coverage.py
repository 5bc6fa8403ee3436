"""The 10-minute circle: walking metres from every building to the nearest position of each kind, and the
derived cache (BuildingAccess, CoverageRun) rebuilt from them per city.

Reads and the cache rebuild only; what marks the cache stale and schedules a rebuild after a write is in
`services.recompute`, so this module imports neither the services nor the tasks (tasks.py imports it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit
from gridgov.core import indicators as core_indicators
from gridgov.core.actors import SystemActor
from gridgov.core.scope import subtree_q

from . import network as nw
from .models import (
    ANY,
    ANY_FIELD,
    KIND_FIELDS,
    BuildingAccess,
    CoverageRun,
    Facility,
    FacilityKind,
    NetworkSegment,
    WalkNetwork,
)

CITY_LENGTH = PATH_LENGTH[Level.CITY]
BUILDING_LENGTH = PATH_LENGTH[Level.BUILDING]


# Keyed by id and import time: an id alone can come back for another network (a rolled-back import on
# SQLite reuses it), and the graph of the old one must not be served for it.
_GRAPHS: dict[tuple[int, object], nw.Graph] = {}


def load_graph(network: WalkNetwork) -> nw.Graph:
    """A network's graph, built once per process (segments never change after import)."""
    key = (network.pk, network.created_at)
    graph = _GRAPHS.get(key)
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
        _GRAPHS[key] = graph
    return graph


def active_network(city_path: str) -> WalkNetwork | None:
    return (
        WalkNetwork.objects.unscoped("the city's network serves every area of it")
        .filter(area_path=city_path[:CITY_LENGTH], is_active=True)
        .order_by("-created_at", "-id")
        .first()
    )


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


def compute_coverage(
    city_path: str,
    progress: Callable[[int, int], None] | None = None,
    *,
    actor: SystemActor = SystemActor("facilities.compute_coverage"),  # noqa: B008 - frozen, a constant
) -> CoverageRun:
    """Rebuild the city's BuildingAccess cache (a couple of seconds for ~26,000 buildings). Always a
    platform job over the whole city (a task, the generator): audited as the system actor it is given."""
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
        BuildingAccess.objects.unscoped("the task rebuilds the circle cache of the whole city").filter(
            subtree_q("area_path", city_path)
        ).delete()
        BuildingAccess.objects.bulk_create(rows, batch_size=2000)
        run, _created = CoverageRun.objects.unscoped(
            "the city's one circle run row, rebuilt by the task"
        ).update_or_create(
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
            actor,
            "facilities.compute_coverage",
            run,
            after={"buildings": len(rows), "facilities": len(fac_ids), "method": result.method},
        )
    step(4)
    return run
