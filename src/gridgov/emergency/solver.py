"""Posting responders to group posts: a min-cost flow over sparse, skill-filtered candidate arcs.

The instance is pure numbers so the service, the tests and the benchmark share it:

* *demand nodes*: one per (community, skill) with the headcount its groups need of that skill
  (the split among a community's groups is free of cost and done afterwards, keeping standing posts);
* *responders*: home coordinates, the skills they may be posted for (skills minus health restrictions)
  and, for stability, the demand node of the post they already hold (−1 for none).

Candidate arcs join a responder to the `k` nearest demand nodes of each of their skills within the
maximum distance (one `scipy.spatial.cKDTree` per skill over the communities that need it). The flow
network is source → responder (capacity 1) → demand node (capacity 1, cost) → sink (capacity =
headcount); OR-Tools' `solve_max_flow_with_min_cost` posts as many people as possible and, among those
postings, minimises the total distance. Costs are `distance_m × M + (0 if the arc keeps a standing post
else 1)` with `M` larger than the number of posts, so keeping a post never costs a metre of distance
(lexicographic: distance first, then the fewest moves).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

DEFAULT_NEIGHBOURS = 6


@dataclass
class Instance:
    resp_xy: np.ndarray  # (n, 2) float, metres
    resp_mask: np.ndarray  # (n,) int, usable skill bits
    demand_xy: np.ndarray  # (m, 2)
    demand_skill: np.ndarray  # (m,) int, skill index (bit position)
    demand_count: np.ndarray  # (m,) int
    current: np.ndarray | None = None  # (n,) int, demand node of the standing post or -1

    @property
    def n(self) -> int:
        return len(self.resp_xy)

    @property
    def m(self) -> int:
        return len(self.demand_xy)


@dataclass
class Arcs:
    tail: np.ndarray  # responder index
    head: np.ndarray  # demand node index
    dist: np.ndarray  # integer metres

    def __len__(self) -> int:
        return len(self.tail)


@dataclass
class Solution:
    assign: np.ndarray  # (n,) demand node or -1
    filled: np.ndarray  # (m,) posts filled per demand node
    distance_m: int
    moves: int  # responders posted away from their standing post's node (or newly posted)
    arcs: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def shortage(self) -> np.ndarray:
        return self._count - self.filled

    _count: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)


def candidate_arcs(inst: Instance, max_distance: float, k: int = DEFAULT_NEIGHBOURS) -> Arcs:
    """Each responder to the k nearest demand nodes of each of their skills within max_distance."""
    tails, heads, dists = [], [], []
    for bit in np.unique(inst.demand_skill):
        nodes = np.flatnonzero((inst.demand_skill == bit) & (inst.demand_count > 0))
        if not len(nodes):
            continue
        resp = np.flatnonzero(inst.resp_mask & (1 << int(bit)))
        if not len(resp):
            continue
        kk = min(k, len(nodes))
        d, j = cKDTree(inst.demand_xy[nodes]).query(
            inst.resp_xy[resp], k=kk, distance_upper_bound=max_distance
        )
        if kk == 1:
            d, j = d[:, None], j[:, None]
        ok = np.isfinite(d)
        tails.append(np.broadcast_to(resp[:, None], d.shape)[ok])
        heads.append(nodes[j[ok]])
        dists.append(d[ok])
    if inst.current is not None:
        # a standing post within reach stays a candidate even if k nearer nodes crowd it out
        have = np.flatnonzero(inst.current >= 0)
        if len(have):
            cur = inst.current[have]
            d = np.hypot(*(inst.resp_xy[have] - inst.demand_xy[cur]).T)
            usable = (d <= max_distance) & ((inst.resp_mask[have] >> inst.demand_skill[cur]) & 1 == 1)
            tails.append(have[usable])
            heads.append(cur[usable])
            dists.append(d[usable])
    if not tails:
        empty = np.zeros(0, dtype=np.int64)
        return Arcs(empty, empty.copy(), empty.copy())
    tail = np.concatenate(tails).astype(np.int64)
    head = np.concatenate(heads).astype(np.int64)
    dist = np.rint(np.concatenate(dists)).astype(np.int64)
    # drop duplicates (the standing-post arcs added above may repeat a nearest one)
    key = tail * (inst.m + 1) + head
    _, first = np.unique(key, return_index=True)
    first.sort()
    return Arcs(tail[first], head[first], dist[first])


def arc_costs(inst: Instance, arcs: Arcs) -> tuple[np.ndarray, int]:
    """Integer arc costs (distance × M + 1 unless the arc keeps a standing post) and M."""
    scale = int(inst.demand_count.sum()) + 1
    keep = np.zeros(len(arcs), dtype=bool)
    if inst.current is not None and len(arcs):
        keep = inst.current[arcs.tail] == arcs.head
    return arcs.dist * scale + (~keep).astype(np.int64), scale


def solve(inst: Instance, arcs: Arcs) -> Solution:
    """Max flow at min cost with OR-Tools; arcs added with the vectorised calls."""
    import time

    t0 = time.perf_counter()
    n, m = inst.n, inst.m
    count = inst.demand_count.astype(np.int64)
    cost, _scale = arc_costs(inst, arcs)
    used = np.unique(arcs.tail)  # only responders with a candidate arc become nodes
    local = np.full(n, -1, dtype=np.int64)
    local[used] = np.arange(len(used))
    nu = len(used)
    source, sink = 0, 1 + nu + m
    flow = min_cost_flow.SimpleMinCostFlow()
    resp_nodes = 1 + np.arange(nu, dtype=np.int64)
    demand_nodes = 1 + nu + np.arange(m, dtype=np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.zeros(nu, dtype=np.int64), resp_nodes, np.ones(nu, dtype=np.int64), np.zeros(nu, dtype=np.int64)
    )
    mid = flow.add_arcs_with_capacity_and_unit_cost(
        1 + local[arcs.tail], 1 + nu + arcs.head, np.ones(len(arcs), dtype=np.int64), cost
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        demand_nodes, np.full(m, sink, dtype=np.int64), count, np.zeros(m, dtype=np.int64)
    )
    total = int(count.sum())
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int64), np.array([total, -total], dtype=np.int64)
    )
    t1 = time.perf_counter()
    status = flow.solve_max_flow_with_min_cost() if total and len(arcs) else flow.OPTIMAL
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed: {status}")
    t2 = time.perf_counter()
    assign = np.full(n, -1, dtype=np.int64)
    filled = np.zeros(m, dtype=np.int64)
    if total and len(arcs):
        chosen = flow.flows(mid) > 0
        assign[arcs.tail[chosen]] = arcs.head[chosen]
        np.add.at(filled, arcs.head[chosen], 1)
        distance = int(arcs.dist[chosen].sum())
    else:
        distance = 0
    posted = assign >= 0
    moves = int(posted.sum()) if inst.current is None else int((posted & (assign != inst.current)).sum())
    sol = Solution(assign, filled, distance, moves, len(arcs), {"build": t1 - t0, "solve": t2 - t1})
    sol._count = count
    return sol
