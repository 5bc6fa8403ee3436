"""The walking-network engine against hand-computed graphs, brute force and a per-source loop."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from gridgov.facilities import network as nw

# A 300 m × 100 m ladder:  A(0,0) — B(100,0) — C(200,0) — D(300,0)
#                          |                              |
#                          E(0,100) ———————————————————— F(300,100)
LADDER = [
    (0, 0, 100, 0), (100, 0, 200, 0), (200, 0, 300, 0),
    (0, 0, 0, 100), (300, 0, 300, 100), (0, 100, 300, 100),
]  # fmt: skip


def test_ends_are_merged_and_long_edges_split():
    graph = nw.build_graph(LADDER, tolerance=1.0, max_edge=50.0)
    # 6 corner nodes; 100 m edges get one interior node, the 300 m edge five.
    assert graph.nodes == 6 + 5 * 1 + 5
    assert graph.edges == 5 * 2 + 6
    assert graph.length_m == pytest.approx(800)


def test_ends_within_tolerance_are_one_node():
    graph = nw.build_graph([(0, 0, 100, 0), (100.4, 0.3, 200, 0)], tolerance=1.0, max_edge=0)
    assert graph.nodes == 3
    assert graph.components()[0] == 1


def test_parallel_edges_keep_the_shortest():
    graph = nw.build_graph([(0, 0, 100, 0), (0, 0, 100, 0)], max_edge=0)
    assert graph.csr.nnz == 2
    assert graph.csr.data.max() == pytest.approx(100)


def test_multi_source_distances_by_hand():
    graph = nw.build_graph(LADDER, max_edge=50)
    sources = np.array([[0, 0], [300, 100]])  # at A and at F
    targets = np.array([[200, 0], [0, 100], [150, 100], [100, 10]])
    result = nw.Search(graph, sources, targets).nearest()
    # C: 200 from A, 200 from F (F→D→C) — tie; E: 100 from A; (150,100): 150 from F;
    # (100,10) snaps to B (offset 10): 100 + 10 from A.
    assert result.distance == pytest.approx([200, 100, 150, 110], abs=1e-3)
    assert list(result.source[1:]) == [0, 1, 0]


def test_source_offset_is_walked():
    graph = nw.build_graph(LADDER, max_edge=0)
    # A source 30 m off the network next to B; the target at D: 30 + 200.
    result = nw.Search(graph, np.array([[100, -30]]), np.array([[300, 0]])).nearest()
    assert result.distance[0] == pytest.approx(230, abs=1e-3)


def test_limit_leaves_far_targets_unreached():
    graph = nw.build_graph(LADDER, max_edge=50)
    result = nw.Search(graph, np.array([[0, 0]]), np.array([[100, 0], [300, 0]])).nearest(limit=150)
    assert result.distance[0] == pytest.approx(100, abs=1e-3)
    assert math.isinf(result.distance[1]) and result.source[1] == -1


def test_no_sources_means_nothing_reached():
    graph = nw.build_graph(LADDER)
    result = nw.Search(graph, np.zeros((0, 2)), np.array([[0, 0]])).nearest()
    assert math.isinf(result.distance[0])


def test_from_source_and_reach():
    graph = nw.build_graph(LADDER, max_edge=50)
    search = nw.Search(graph, np.array([[0, 0]]), np.array([[100, 0], [300, 0], [0, 100]]))
    assert search.from_source(0) == pytest.approx([100, 300, 100], abs=1e-3)
    assert list(search.reach([0], 150)[0]) == [0, 2]


@given(st.integers(min_value=0, max_value=10_000))
def test_multi_source_equals_a_loop_over_sources(seed):
    rng = np.random.default_rng(seed)
    n = 30
    points = rng.uniform(0, 1000, (n, 2))
    pairs = {(i, (i + 1) % n) for i in range(n)} | {
        tuple(sorted(rng.choice(n, 2, replace=False))) for _ in range(25)
    }
    segments = [(*points[a], *points[b]) for a, b in pairs if a != b]
    graph = nw.build_graph(segments, max_edge=120)
    sources = rng.uniform(0, 1000, (4, 2))
    targets = rng.uniform(0, 1000, (20, 2))
    search = nw.Search(graph, sources, targets)
    fast = search.nearest()
    loop = np.full(len(targets), np.inf)
    for s in range(len(sources)):
        dist = dijkstra(search.aug, directed=True, indices=graph.nodes + s)
        loop = np.minimum(loop, dist[search.tgt_node] + search.tgt_offset)
    assert np.allclose(fast.distance, loop, atol=1e-6)


def test_straight_fallback_uses_the_detour_factor():
    result = nw.straight_nearest(np.array([[0, 0], [1000, 0]]), np.array([[300, 400], [900, 0]]), 1.3)
    assert result.distance == pytest.approx([650, 130])
    assert list(result.source) == [0, 1]


def test_components_report_fragments():
    segments = np.array([*LADDER, (1000, 1000, 1100, 1000), (5000, 0, 5000, 10)], dtype=float)
    main, fragments = nw.split_components(segments)
    assert main.tolist() == [True] * 6 + [False, False]
    assert [(f.segments, round(f.length_m)) for f in fragments] == [(1, 100), (1, 10)]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "没有要素"),
        (
            {
                "type": "FeatureCollection",
                "features": [{"geometry": {"type": "Point", "coordinates": [0, 0]}}],
            },
            "Point",
        ),
        (
            {"type": "FeatureCollection", "features": [{"geometry": {"type": "Polygon", "coordinates": []}}]},
            "Polygon",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"geometry": {"type": "LineString", "coordinates": [[0, 0], ["a", 1]]}}],
            },
            "不是有效的数值",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"geometry": {"type": "LineString", "coordinates": [[0, 0]]}}],
            },
            "两个点",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"geometry": {"type": "LineString", "coordinates": [[1, 1], [1, 1]]}}],
            },
            "长度大于零",
        ),
    ],
)
def test_bad_geojson_is_refused(data, needle):
    with pytest.raises(nw.NetworkError) as caught:
        nw.segments_from_geojson(data)
    assert any(needle in p for p in caught.value.problems)


def test_multilinestring_is_split_into_segments():
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"highway": "footway"},
             "geometry": {"type": "MultiLineString", "coordinates": [[[0, 0], [10, 0], [10, 10]], [[20, 0], [30, 0]]]}},
        ],
    }  # fmt: skip
    segments, kinds = nw.segments_from_geojson(data)
    assert segments.tolist() == [[0, 0, 10, 0], [10, 0, 10, 10], [20, 0, 30, 0]]
    assert kinds == ["footway"] * 3


# --- maximum coverage --------------------------------------------------------------------------------
def brute_force(sets, weights, k):
    best = 0.0
    for combo in itertools.combinations(range(len(sets)), min(k, len(sets))):
        covered = set().union(*(set(sets[i].tolist()) for i in combo)) if combo else set()
        best = max(best, sum(weights[j] for j in covered))
    return best


def test_greedy_on_a_hand_instance():
    sets = [np.array([0, 1, 2]), np.array([2, 3]), np.array([4]), np.array([0, 4])]
    weights = np.array([1, 1, 1, 5, 2], dtype=float)
    picks = nw.greedy_max_coverage(sets, weights, 2)
    assert picks == [(1, 6.0), (3, 3.0)]  # {2,3} first (6), then {0,4} (1 + 2)
    assert sum(g for _, g in picks) == brute_force(sets, weights, 2)


def test_greedy_stops_when_nothing_more_is_gained():
    sets = [np.array([0]), np.array([0]), np.array([], dtype=np.int64)]
    assert nw.greedy_max_coverage(sets, np.array([3.0]), 3) == [(0, 3.0)]


@given(st.integers(min_value=0, max_value=100_000), st.integers(min_value=1, max_value=4))
def test_greedy_against_brute_force(seed, k):
    rng = np.random.default_rng(seed)
    universe = 12
    sets = [np.unique(rng.choice(universe, rng.integers(0, 6))) for _ in range(7)]
    weights = rng.integers(1, 20, universe).astype(float)
    picks = nw.greedy_max_coverage(sets, weights, k)
    total = sum(g for _, g in picks)
    optimum = brute_force(sets, weights, k)
    assert total <= optimum + 1e-9
    assert total >= (1 - 1 / math.e) * optimum - 1e-9
    # Each pick's gain is what it adds to the ones before it, and gains never increase.
    gains = [g for _, g in picks]
    assert gains == sorted(gains, reverse=True)
    assert len({i for i, _ in picks}) == len(picks)
