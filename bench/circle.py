"""The 10-minute circle at scale 1.0: walking time from every building to the nearest position of each kind.

ours : the engine (gridgov.facilities.network) — build the graph from the segments, snap buildings and
       positions with a KD-tree, then ONE multi-source Dijkstra per kind (5 searches: 4 kinds + any).
peer : a per-station loop on the same graph and snapping — one full single-source Dijkstra per
       position, keeping the minimum per building and kind (what the same output costs one station
       at a time). Also reported, not in the ratio: the loop bounded at the circle radius, which only
       answers "covered or not" (no walking time beyond 10 minutes).

Both run in the same process on the same arrays; walking times must agree (covered/uncovered for the
bounded loop) for at least 99.9% of buildings. Uses a scale-1.0 city in var/ (copies
var/bench-city-1.0-7.sqlite3 when bench/rollup.py made one, otherwise generates it — a few minutes)
and adds the facilities step if missing. Last line: `ratio: N`.

    python bench/circle.py [--runs 3] [--loop-sample 0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DB = ROOT / "var" / "bench-circle-1.0-7.sqlite3"
CITY_DB = ROOT / "var" / "bench-city-1.0-7.sqlite3"


def setup_django() -> None:
    if not DB.exists() and CITY_DB.exists():
        shutil.copyfile(CITY_DB, DB)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ["GRIDGOV_CIRCLE_AUTO_RECOMPUTE"] = "0"
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()

    import numpy as np
    from django.conf import settings
    from django.core.management import call_command
    from scipy.sparse.csgraph import dijkstra

    from gridgov.areas.models import Area
    from gridgov.core import context
    from gridgov.facilities import coverage
    from gridgov.facilities import network as nw
    from gridgov.facilities.demo import context_from_db, generate_facilities
    from gridgov.facilities.models import Facility, FacilityKind, NetworkSegment

    call_command("migrate", verbosity=0)
    if not Area.objects.unscoped("benchmark").exists():
        print("generating the scale-1.0 city …", file=sys.stderr)
        call_command("generate_city", scale=1.0, seed=7, quiet=True)
    if not Facility.objects.unscoped("benchmark").exists():
        print("adding the facilities step …", file=sys.stderr)
        with context.acting("cli", label="bench/circle.py"):
            generate_facilities(context_from_db(1.0, 7))

    city_path = (
        Area.objects.unscoped("benchmark").filter(level=1).order_by("path").values_list("path", flat=True)[0]
    )
    network = coverage.active_network(city_path)
    assert network is not None
    segments = np.asarray(
        list(NetworkSegment.objects.filter(network=network).values_list("x1", "y1", "x2", "y2")), dtype=float
    )
    inputs = coverage.circle_inputs(city_path)
    kinds = [*FacilityKind.values, "any"]
    groups = {k: np.flatnonzero(inputs.facility_kinds == k) for k in FacilityKind.values}
    groups["any"] = np.arange(len(inputs.facility_ids))
    tolerance, max_edge = settings.GRIDGOV_NETWORK_TOLERANCE_M, settings.GRIDGOV_NETWORK_MAX_EDGE_M
    cutoff = coverage.walk_metres()

    def ours() -> dict[str, np.ndarray]:
        graph = nw.build_graph(segments, tolerance, max_edge)
        search = nw.Search(graph, inputs.facility_xy, inputs.building_xy)
        return {k: search.nearest(groups[k]).distance for k in kinds}

    # Same graph and snapping for the loop (built outside its timing: it only pays for the searches).
    graph = nw.build_graph(segments, tolerance, max_edge)
    search = nw.Search(graph, inputs.facility_xy, inputs.building_xy)
    n = graph.nodes
    kind_of = inputs.facility_kinds

    def loop(limit: float = np.inf) -> dict[str, np.ndarray]:
        best = {k: np.full(len(inputs.building_ids), np.inf) for k in kinds}
        for f in range(len(inputs.facility_ids)):
            dist = dijkstra(search.aug, directed=True, indices=n + f, limit=limit)
            d = dist[search.tgt_node] + search.tgt_offset
            np.minimum(best[kind_of[f]], d, out=best[kind_of[f]])
            np.minimum(best["any"], d, out=best["any"])
        return best

    ours_t = []
    for _ in range(args.runs):
        t = time.perf_counter()
        mine = ours()
        ours_t.append(time.perf_counter() - t)
    searches_t = []
    for _ in range(args.runs):
        t = time.perf_counter()
        for k in kinds:
            search.nearest(groups[k])
        searches_t.append(time.perf_counter() - t)
    t = time.perf_counter()
    peer = loop()
    loop_t = time.perf_counter() - t
    t = time.perf_counter()
    bounded = loop(limit=cutoff)
    bounded_t = time.perf_counter() - t

    buildings = len(inputs.building_ids)
    same = np.ones(buildings, dtype=bool)
    same_cover = np.ones(buildings, dtype=bool)
    for k in kinds:
        a, b = mine[k], peer[k]
        both_inf = np.isinf(a) & np.isinf(b)
        same &= both_inf | (np.abs(np.where(both_inf, 0, a - b)) <= 1e-6)
        same_cover &= (a <= cutoff) == (bounded[k] <= cutoff)
    agreement = same.mean()
    cover_agreement = same_cover.mean()

    t = time.perf_counter()
    coverage._GRAPHS.clear()
    run = coverage.compute_coverage(city_path)
    service_t = time.perf_counter() - t

    ours_median = statistics.median(ours_t)
    covered = float((mine["any"] <= cutoff).mean()) * 100
    print(
        f"{buildings} buildings, {len(inputs.facility_ids)} positions, network {len(segments)} segments "
        f"→ {graph.nodes} nodes / {graph.edges} edges; {covered:.1f}% of buildings within "
        f"{settings.GRIDGOV_CIRCLE_MINUTES:g} min ({cutoff:g} m)"
    )
    print(
        f"ours (graph + KD-tree snapping + 5 multi-source Dijkstra): median {ours_median * 1000:.0f} ms of {args.runs}"
    )
    print(
        f"ours, the 5 searches alone (graph and snapping done):        {statistics.median(searches_t) * 1000:.0f} ms"
    )
    print(f"per-station loop, full searches (same output):            {loop_t * 1000:.0f} ms")
    print(
        f"per-station loop bounded at {cutoff:g} m (coverage only):      {bounded_t * 1000:.0f} ms "
        f"({bounded_t / ours_median:.1f}x ours)"
    )
    print(
        f"agreement: walking times {agreement * 100:.3f}% of buildings, coverage (bounded loop) {cover_agreement * 100:.3f}%"
    )
    print(f"service compute_coverage incl. database read/write: {service_t:.2f} s ({run.buildings} rows)")
    if agreement < 0.999 or cover_agreement < 0.999:
        raise SystemExit("agreement below 99.9%")
    print(f"ratio: {loop_t / ours_median:.1f}")


if __name__ == "__main__":
    main()
