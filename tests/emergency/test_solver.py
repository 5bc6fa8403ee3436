"""The solver against scipy's HiGHS (linprog) and networkx, constraints under hypothesis, stability, shortages."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.emergency import reference, solver


def _instance(seed: int, n: int, m: int, skills: int = 3, current: bool = True) -> solver.Instance:
    rng = np.random.default_rng(seed)
    return solver.Instance(
        resp_xy=rng.uniform(0, 4000, (n, 2)),
        resp_mask=rng.integers(0, 1 << skills, n),
        demand_xy=rng.uniform(0, 4000, (m, 2)),
        demand_skill=rng.integers(0, skills, m),
        demand_count=rng.integers(0, 6, m),
        current=rng.integers(-1, m, n) if current else None,
    )


def _cost_of(inst, arcs, sol) -> int:
    cost, _ = solver.arc_costs(inst, arcs)
    return int(cost[sol.assign[arcs.tail] == arcs.head].sum())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 40), m=st.integers(1, 8), dist=st.integers(300, 5000))
def test_constraints_and_optimality_match_linprog(seed, n, m, dist):
    inst = _instance(seed, n, m)
    arcs = solver.candidate_arcs(inst, dist, k=m)  # k = m: every reachable node, so the optimum is global
    sol = solver.solve(inst, arcs)
    posted = np.flatnonzero(sol.assign >= 0)
    # headcount never exceeded, and filled counts agree with the assignment
    assert (sol.filled <= inst.demand_count).all()
    assert np.array_equal(np.bincount(sol.assign[posted], minlength=m), sol.filled)
    for i in posted:
        node = sol.assign[i]
        assert inst.resp_mask[i] >> inst.demand_skill[node] & 1, "posted without the skill"
        assert np.hypot(*(inst.resp_xy[i] - inst.demand_xy[node])) <= dist + 0.5, "beyond max distance"
    cost, _ = solver.arc_costs(inst, arcs)
    lp_posted, lp_cost = reference.solve_linprog(n, m, arcs.tail, arcs.head, cost, inst.demand_count)
    assert (len(posted), _cost_of(inst, arcs, sol)) == (lp_posted, lp_cost)


def test_agrees_with_networkx():
    for seed in range(5):
        inst = _instance(seed, 60, 10)
        arcs = solver.candidate_arcs(inst, 2500, k=10)
        sol = solver.solve(inst, arcs)
        cost, _ = solver.arc_costs(inst, arcs)
        nx = reference.solve_networkx(inst.n, inst.m, arcs.tail, arcs.head, cost, inst.demand_count)
        assert nx == (int((sol.assign >= 0).sum()), _cost_of(inst, arcs, sol))


def test_every_responder_skill_distance_is_minimal_total():
    # two responders, two posts: the crossing assignment would be longer
    inst = solver.Instance(
        np.array([[0.0, 0.0], [1000.0, 0.0]]),
        np.array([1, 1]),
        np.array([[100.0, 0.0], [900.0, 0.0]]),
        np.array([0, 0]),
        np.array([1, 1]),
    )
    sol = solver.solve(inst, solver.candidate_arcs(inst, 5000))
    assert sol.assign.tolist() == [0, 1]
    assert sol.distance_m == 200


def test_stability_keeps_standing_posts_when_free():
    # both responders are equally far from both nodes: keep whoever already holds which
    inst = solver.Instance(
        np.array([[0.0, 0.0], [0.0, 0.0]]),
        np.array([1, 1]),
        np.array([[0.0, 500.0], [0.0, -500.0]]),
        np.array([0, 0]),
        np.array([1, 1]),
        current=np.array([1, 0]),
    )
    sol = solver.solve(inst, solver.candidate_arcs(inst, 5000))
    assert sol.assign.tolist() == [1, 0]
    assert sol.moves == 0
    swapped = solver.Instance(
        inst.resp_xy,
        inst.resp_mask,
        inst.demand_xy,
        inst.demand_skill,
        inst.demand_count,
        current=np.array([0, 1]),
    )
    assert solver.solve(swapped, solver.candidate_arcs(swapped, 5000)).assign.tolist() == [0, 1]


def test_stability_never_costs_distance():
    # keeping the standing post would cost 1,800 m more: distance wins
    inst = solver.Instance(
        np.array([[0.0, 0.0], [1000.0, 0.0]]),
        np.array([1, 1]),
        np.array([[100.0, 0.0], [900.0, 0.0]]),
        np.array([0, 0]),
        np.array([1, 1]),
        current=np.array([1, 0]),
    )
    sol = solver.solve(inst, solver.candidate_arcs(inst, 5000))
    assert sol.assign.tolist() == [0, 1]
    assert sol.moves == 2


def test_infeasible_reports_exact_shortage():
    # node 0 needs 3 medics (skill 1): only one medic in reach; node 1 needs 2 drivers (skill 2): none at all
    inst = solver.Instance(
        np.array([[0.0, 0.0], [50.0, 0.0], [9000.0, 0.0]]),
        np.array([0b010, 0b001, 0b010]),
        np.array([[0.0, 0.0], [10.0, 0.0]]),
        np.array([1, 2]),
        np.array([3, 2]),
    )
    sol = solver.solve(inst, solver.candidate_arcs(inst, 3000))
    assert sol.shortage.tolist() == [2, 2]
    assert sol.assign.tolist() == [0, -1, -1]


def test_empty_instance():
    inst = solver.Instance(
        np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.array([[0.0, 0.0]]), np.array([0]), np.array([2])
    )
    sol = solver.solve(inst, solver.candidate_arcs(inst, 1000))
    assert sol.shortage.tolist() == [2]
