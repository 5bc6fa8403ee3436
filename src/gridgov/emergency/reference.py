"""The same posting problem solved by general tools, to check OR-Tools' answer (tests, benchmark).

Both solve *max flow, then min cost* on the given arcs and costs, through one shortage arc per demand
node priced above any possible saving, so a solution that posts one more person always wins.
Returns (posted, cost) with cost summed over the arcs used (the shortage arcs excluded).
"""

from __future__ import annotations

import numpy as np


def _penalty(cost: np.ndarray, total: int) -> int:
    return int((int(cost.max(initial=0)) + 1) * (total + 1))


def solve_linprog(n: int, m: int, tail, head, cost, count) -> tuple[int, int]:
    """Arc variables x (0..1, cost c) and one shortage variable per demand node (cost = penalty):
    per responder sum x <= 1, per node sum x + shortage = headcount. The penalty sits on m columns only,
    so the arc costs keep their scale (HiGHS stays fast and exact); the matrix is a network matrix plus
    slacks, so the LP optimum is integral."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack, identity

    tail, head, cost = np.asarray(tail), np.asarray(head), np.asarray(cost, dtype=np.float64)
    a = len(tail)
    if not a:
        return 0, 0
    counts = np.asarray(count, dtype=np.float64)
    penalty = float(_penalty(cost, int(counts.sum())))
    ones = np.ones(a)
    per_resp = coo_matrix((ones, (tail, np.arange(a))), shape=(n, a))
    per_node = coo_matrix((ones, (head, np.arange(a))), shape=(m, a))
    res = linprog(
        np.concatenate([cost, np.full(m, penalty)]),
        A_ub=hstack([per_resp, coo_matrix((n, m))]).tocsr(),
        b_ub=np.ones(n),
        A_eq=hstack([per_node, identity(m, format="coo")]).tocsr(),
        b_eq=counts,
        bounds=[(0, 1)] * a + [(0, None)] * m,
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(res.message)
    x = np.rint(res.x[:a])
    return int(x.sum()), round(float(cost @ x))


def solve_networkx(n: int, m: int, tail, head, cost, count) -> tuple[int, int]:
    import networkx as nx

    tail, head, cost = np.asarray(tail), np.asarray(head), np.asarray(cost)
    total = int(np.sum(count))
    penalty = _penalty(cost, total)
    g = nx.DiGraph()
    g.add_node("s", demand=-total)
    g.add_node("t", demand=total)
    g.add_edges_from(("s", ("r", i), {"capacity": 1, "weight": 0}) for i in np.unique(tail).tolist())
    g.add_edges_from(
        (("r", t), ("d", h), {"capacity": 1, "weight": c})
        for t, h, c in zip(tail.tolist(), head.tolist(), cost.tolist(), strict=True)
    )
    for j in range(m):
        g.add_edge(("d", j), "t", capacity=int(count[j]), weight=0)
        g.add_edge("s", ("x", j), capacity=int(count[j]), weight=penalty)  # shortage of node j
        g.add_edge(("x", j), "t", capacity=int(count[j]), weight=0)
    _, flows = nx.network_simplex(g)
    posted, spent = 0, 0
    for t, h, c in zip(tail.tolist(), head.tolist(), cost.tolist(), strict=True):
        if flows[("r", t)].get(("d", h), 0):
            posted += 1
            spent += c
    return posted, spent
