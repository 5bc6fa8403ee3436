"""The walking-network engine: pure numpy/scipy, no database.

A network is a set of straight segments (x1, y1, x2, y2) in the city's plane coordinates (metres, the
same plane as Area.x/Area.y). `build_graph` merges segment ends closer than a tolerance into one node
(so lines that meet at a crossing share it), splits long segments so that no edge is longer than
`max_edge` metres (a point then snaps to within max_edge/2 of where it really joins the street) and
returns a symmetric sparse graph whose weights are lengths in metres.

Points (buildings, facilities, candidate rooms) are snapped to their nearest node with a KD-tree; the
straight leg from the point to that node is walked too (its length is the "offset").

`nearest` answers, for every target point, the network distance to the nearest source of each group
with ONE multi-source Dijkstra per group: every source becomes a virtual node joined to its snapped
node by an edge as long as its offset, and scipy's `dijkstra(min_only=True)` grows all of them at once
and says which source reached each node first. A per-source loop (bench/circle.py) gives the same
numbers, one search per source.

Without a network the fallback is the straight-line distance times a detour factor (`straight_nearest`).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

# Virtual edges of zero length would vanish from a sparse matrix; a micrometre is nothing.
_EPS = 1e-6


class NetworkError(ValueError):
    """A network file or segment list that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Graph:
    xy: np.ndarray  # (n, 2) node coordinates
    csr: csr_matrix  # (n, n) symmetric, weights in metres
    segments: int  # input segments used
    length_m: float  # total length of the network
    _tree: cKDTree | None = field(default=None, repr=False)

    @property
    def nodes(self) -> int:
        return int(self.xy.shape[0])

    @property
    def edges(self) -> int:
        return int(self.csr.nnz // 2)

    @property
    def tree(self) -> cKDTree:
        if self._tree is None:
            self._tree = cKDTree(self.xy)
        return self._tree

    def snap(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nearest node index, straight distance to it) for each point."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        if len(points) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        offset, node = self.tree.query(points)
        return np.asarray(node, dtype=np.int64), np.asarray(offset, dtype=float)

    def components(self) -> tuple[int, np.ndarray]:
        n, labels = connected_components(self.csr, directed=False)
        return int(n), labels


def build_graph(segments: np.ndarray | Sequence, tolerance: float = 1.0, max_edge: float = 50.0) -> Graph:
    """A symmetric graph of the segments: ends within `tolerance` merged, edges split to <= max_edge."""
    seg = np.asarray(segments, dtype=float).reshape(-1, 4)
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    seg, length = seg[length > 0], length[length > 0]
    m = len(seg)
    if m == 0:
        raise NetworkError(["路网中没有长度大于零的线段"])
    ends = seg.reshape(-1, 2)
    keys = np.round(ends / tolerance).astype(np.int64)
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    n0 = len(uniq)
    a, b = inverse[0::2], inverse[1::2]

    if max_edge > 0:
        pieces = np.maximum(1, np.ceil(length / max_edge - 1e-9)).astype(np.int64)
    else:
        pieces = np.ones(m, dtype=np.int64)
    interior = pieces - 1
    base = n0 + np.concatenate(([0], np.cumsum(interior)[:-1]))
    total = int(pieces.sum())
    seg_of = np.repeat(np.arange(m), pieces)
    piece_no = np.arange(total) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    start = np.where(piece_no == 0, a[seg_of], base[seg_of] + piece_no - 1)
    end = np.where(piece_no == pieces[seg_of] - 1, b[seg_of], base[seg_of] + piece_no)
    weight = length[seg_of] / pieces[seg_of]

    # Coordinates: merged ends, then the interior points of split segments.
    n_interior = int(interior.sum())
    xy = np.empty((n0 + n_interior, 2))
    xy[:n0] = ends[first]
    if n_interior:
        owner = np.repeat(np.arange(m), interior)
        k = np.arange(n_interior) - np.repeat(np.cumsum(interior) - interior, interior) + 1
        t = (k / pieces[owner])[:, None]
        xy[n0:] = seg[owner, :2] + t * (seg[owner, 2:] - seg[owner, :2])

    keep = start != end  # a segment shorter than the tolerance collapses onto one node
    start, end, weight = start[keep], end[keep], weight[keep]
    rows = np.concatenate((start, end))
    cols = np.concatenate((end, start))
    data = np.concatenate((weight, weight))
    rows, cols, data = _dedupe_min(rows, cols, data, len(xy))
    csr = csr_matrix((data, (rows, cols)), shape=(len(xy), len(xy)))
    return Graph(xy=xy, csr=csr, segments=m, length_m=float(length.sum()))


def _dedupe_min(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, n: int):
    """Keep the shortest of parallel edges (a sparse matrix would add them up)."""
    key = rows.astype(np.int64) * n + cols
    order = np.lexsort((data, key))
    key, rows, cols, data = key[order], rows[order], cols[order], data[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return rows[first], cols[first], np.maximum(data[first], _EPS)


@dataclass
class Fragment:
    """A piece of network not connected to the largest piece."""

    segments: int
    length_m: float
    x: float
    y: float


def split_components(segments: np.ndarray, tolerance: float = 1.0) -> tuple[np.ndarray, list[Fragment]]:
    """(mask of segments in the largest connected piece, every other piece largest first).

    Ends closer than `tolerance` are the same node, exactly as in build_graph.
    """
    seg = np.asarray(segments, dtype=float).reshape(-1, 4)
    if len(seg) == 0:
        return np.zeros(0, dtype=bool), []
    keys = np.round(seg.reshape(-1, 2) / tolerance).astype(np.int64)
    _uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    a, b = inverse[0::2], inverse[1::2]
    n = int(inverse.max()) + 1
    adjacency = csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    count, labels = connected_components(adjacency, directed=False)
    seg_label = labels[a]
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    seg_count = np.bincount(seg_label, minlength=count)
    seg_length = np.bincount(seg_label, weights=length, minlength=count)
    # The "main" piece is the longest one (a long network of few segments beats many tiny ones).
    main_label = int(np.argmax(seg_length))
    out: list[Fragment] = []
    for label in np.argsort(-seg_length, kind="stable"):
        if label == main_label or seg_count[label] == 0:
            continue
        first = int(np.flatnonzero(seg_label == label)[0])
        out.append(
            Fragment(
                segments=int(seg_count[label]),
                length_m=float(seg_length[label]),
                x=float(seg[first, 0]),
                y=float(seg[first, 1]),
            )
        )
    return seg_label == main_label, out


# --- GeoJSON ------------------------------------------------------------------------------------------
def segments_from_geojson(data: object, max_problems: int = 20) -> tuple[np.ndarray, list[str]]:
    """(segments (m, 4), kinds per segment) from a FeatureCollection of LineString/MultiLineString.

    Raises NetworkError listing every problem (up to max_problems); nothing is partially accepted.
    """
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise NetworkError(["文件不是 GeoJSON FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise NetworkError(["FeatureCollection 中没有要素(features)"])
    out: list[tuple[float, float, float, float]] = []
    kinds: list[str] = []
    for number, feature in enumerate(features, start=1):
        if len(problems) >= max_problems:
            problems.append(f"……错误过多,仅列出前 {max_problems} 处")
            break
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if gtype == "LineString":
            lines = [geometry.get("coordinates")]  # type: ignore[union-attr]
        elif gtype == "MultiLineString":
            lines = geometry.get("coordinates")  # type: ignore[union-attr]
            if not isinstance(lines, list):
                problems.append(f"第 {number} 个要素:坐标不是数组")
                continue
        else:
            problems.append(
                f"第 {number} 个要素:几何类型为 {gtype or '空'},只接受 LineString 或 MultiLineString"
            )
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        kind = str((props or {}).get("kind") or (props or {}).get("highway") or "")
        ok = True
        parsed: list[list[tuple[float, float]]] = []
        for line in lines:
            if not isinstance(line, list) or len(line) < 2:
                ok = False
                problems.append(f"第 {number} 个要素:一条线至少需要两个点")
                break
            points = []
            for point in line:
                if (
                    not isinstance(point, list | tuple)
                    or len(point) < 2
                    or not all(
                        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                        for v in point[:2]
                    )
                ):
                    ok = False
                    problems.append(f"第 {number} 个要素:坐标 {str(point)[:40]} 不是有效的数值")
                    break
                points.append((float(point[0]), float(point[1])))
            if not ok:
                break
            parsed.append(points)
        if not ok:
            continue
        for points in parsed:
            for (x1, y1), (x2, y2) in itertools.pairwise(points):
                out.append((x1, y1, x2, y2))
                kinds.append(kind)
    if problems:
        raise NetworkError(problems)
    arr = np.asarray(out, dtype=float).reshape(-1, 4)
    if not len(arr) or not np.any(np.hypot(arr[:, 2] - arr[:, 0], arr[:, 3] - arr[:, 1]) > 0):
        raise NetworkError(["路网中没有长度大于零的线段"])
    return arr, kinds


# --- nearest sources ----------------------------------------------------------------------------------
@dataclass
class Nearest:
    distance: np.ndarray  # (targets,) metres; inf where no source is reachable
    source: np.ndarray  # (targets,) index into the sources; -1 where none


def _augmented(graph: Graph, src_node: np.ndarray, src_offset: np.ndarray) -> csr_matrix:
    """The graph plus one virtual node per source, joined (one way) to its snapped node."""
    n, k = graph.nodes, len(src_node)
    coo = graph.csr.tocoo()
    rows = np.concatenate((coo.row, n + np.arange(k)))
    cols = np.concatenate((coo.col, src_node))
    data = np.concatenate((coo.data, np.maximum(src_offset, _EPS)))
    return csr_matrix((data, (rows, cols)), shape=(n + k, n + k))


class Search:
    """Snap sources and targets once; then answer nearest-source queries for any subset of sources."""

    def __init__(self, graph: Graph, sources_xy: np.ndarray, targets_xy: np.ndarray) -> None:
        self.graph = graph
        self.src_node, self.src_offset = graph.snap(sources_xy)
        self.tgt_node, self.tgt_offset = graph.snap(targets_xy)
        self.aug = _augmented(graph, self.src_node, self.src_offset)

    def nearest(self, which: np.ndarray | Iterable[int] | None = None, limit: float = np.inf) -> Nearest:
        """Network distance from every target to the nearest of the chosen sources (all if None)."""
        n = self.graph.nodes
        chosen = np.arange(len(self.src_node)) if which is None else np.asarray(list(which), dtype=np.int64)
        t = len(self.tgt_node)
        if len(chosen) == 0 or t == 0:
            return Nearest(np.full(t, np.inf), np.full(t, -1, dtype=np.int64))
        dist, _pred, sources = dijkstra(
            self.aug,
            directed=True,
            indices=n + chosen,
            min_only=True,
            return_predecessors=True,
            limit=limit,
        )
        d = dist[self.tgt_node] + self.tgt_offset
        src = np.asarray(sources[self.tgt_node], dtype=np.int64)
        reached = np.isfinite(d) & (src >= 0)
        if np.isfinite(limit):
            reached &= d <= limit
        return Nearest(np.where(reached, d, np.inf), np.where(reached, src - n, -1))

    def from_source(self, source: int, limit: float = np.inf) -> np.ndarray:
        """Network distance from one source to every target (inf beyond `limit`)."""
        dist = dijkstra(self.aug, directed=True, indices=self.graph.nodes + int(source), limit=limit)
        d = dist[self.tgt_node] + self.tgt_offset
        return np.where(d <= limit, d, np.inf)

    def reach(self, sources: Sequence[int], cutoff: float, chunk_cells: int = 4_000_000) -> list[np.ndarray]:
        """For each chosen source, the targets within `cutoff` metres (one bounded search per source)."""
        n = self.graph.nodes
        size = n + len(self.src_node)
        chunk = max(1, chunk_cells // size)
        out: list[np.ndarray] = []
        sources = list(sources)
        for i in range(0, len(sources), chunk):
            idx = n + np.asarray(sources[i : i + chunk], dtype=np.int64)
            dist = dijkstra(self.aug, directed=True, indices=idx, limit=cutoff)
            d = dist[:, self.tgt_node] + self.tgt_offset[None, :]
            out.extend(np.flatnonzero(row <= cutoff) for row in d)
        return out


def straight_nearest(sources_xy: np.ndarray, targets_xy: np.ndarray, detour: float) -> Nearest:
    """The fallback without a network: straight-line distance times the detour factor."""
    sources_xy = np.asarray(sources_xy, dtype=float).reshape(-1, 2)
    targets_xy = np.asarray(targets_xy, dtype=float).reshape(-1, 2)
    t = len(targets_xy)
    if len(sources_xy) == 0 or t == 0:
        return Nearest(np.full(t, np.inf), np.full(t, -1, dtype=np.int64))
    dist, idx = cKDTree(sources_xy).query(targets_xy)
    return Nearest(np.asarray(dist) * detour, np.asarray(idx, dtype=np.int64))


def straight_reach(sources_xy: np.ndarray, targets_xy: np.ndarray, cutoff: float, detour: float):
    targets_xy = np.asarray(targets_xy, dtype=float).reshape(-1, 2)
    if len(targets_xy) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(sources_xy))]
    tree = cKDTree(targets_xy)
    return [
        np.asarray(sorted(hits), dtype=np.int64)
        for hits in tree.query_ball_point(np.asarray(sources_xy, dtype=float).reshape(-1, 2), cutoff / detour)
    ]


# --- maximum coverage ---------------------------------------------------------------------------------
def greedy_max_coverage(sets: Sequence[np.ndarray], weights: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Choose up to k sets covering the most weight: [(set index, marginal gain)], in order chosen.

    Lazy greedy: a set's gain can only shrink as others are chosen, so a stale heap entry is re-scored
    only when it reaches the top. The result is the plain greedy choice (ties: lower index), which
    covers at least (1 - 1/e) ≈ 63% of the best possible k sets (Nemhauser, Wolsey & Fisher 1978).
    """
    weights = np.asarray(weights, dtype=float)
    covered = np.zeros(len(weights), dtype=bool)
    heap = [(-float(weights[s].sum()), i) for i, s in enumerate(sets)]
    heapq.heapify(heap)
    picks: list[tuple[int, float]] = []
    while heap and len(picks) < k:
        _bound, i = heapq.heappop(heap)
        members = sets[i]
        gain = float(weights[members[~covered[members]]].sum())
        if gain <= 0:
            continue
        if heap and (gain < -heap[0][0] - 1e-9 or (abs(gain + heap[0][0]) <= 1e-9 and heap[0][1] < i)):
            # Another set may do better (or as well with a lower index): re-queue with the true gain.
            heapq.heappush(heap, (-gain, i))
            continue
        picks.append((i, gain))
        covered[members] = True
    return picks
