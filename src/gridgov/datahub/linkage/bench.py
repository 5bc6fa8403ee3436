"""Linkage quality and speed on a synthetic city with planted duplicates and namesakes (a known truth)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .evaluate import evaluate, pair_set
from .model import DEFAULT_THRESHOLD, Progress, link

SWEEP = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
DUPLICATE_SOURCES = ["ps_floating", "housing_rental", "ca_subsistence", "ca_disability", "liaison"]


def benchmark(
    n_persons: int,
    n_duplicates: int,
    seed: int = 14,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    n_namesakes: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Generate ``n_persons`` people, ``n_namesakes`` (default a quarter of ``n_duplicates``) different
    people sharing a name, sex and birth year with one of them, and ``n_duplicates`` perturbed copies; link
    them all and score the pairs at ``threshold``. Returns comparisons, seconds, comparisons_per_second,
    recall, precision (and the details: recall per planted error, namesakes merged, stage timings)."""
    from gridgov.datahub import synth

    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    people = synth.make_population(n_persons, rng)
    namesakes = n_duplicates // 4 if n_namesakes is None else n_namesakes
    people, negatives = synth.make_namesakes(people, namesakes, rng)
    records, truth = synth.make_duplicates(people, n_duplicates, rng, sources=DUPLICATE_SOURCES)
    generated = time.perf_counter() - started

    # Link once at the lowest threshold of the sweep; every threshold's pairs are a filter of those.
    sweep = sorted({threshold, *SWEEP})
    result = link(records, threshold=sweep[0], progress=progress, seed=seed)
    pairs = result.pairs
    by_threshold = {}
    for t in sweep:
        s = evaluate(pairs[pairs["match_probability"] >= t], truth)
        by_threshold[t] = {"recall": s["recall"], "precision": s["precision"]}
    kept = pairs[pairs["match_probability"] >= threshold]
    scores = evaluate(kept, truth)
    found = pair_set(kept)
    recall_by_kind = {}
    for kind, group in truth.groupby(truth["kinds"].str.split("+").str[0]):
        recall_by_kind[str(kind)] = len(pair_set(group) & found) / len(group)
    stats = result.stats
    return {
        "persons": n_persons,
        "records": len(records),
        "duplicates": len(truth),
        "namesakes": len(negatives),
        "namesakes_merged": len(pair_set(negatives) & found),
        "comparisons": stats["comparisons"],
        "seconds": stats["seconds"],
        "comparisons_per_second": stats["comparisons_per_second"],
        "recall": scores["recall"],
        "precision": scores["precision"],
        "f1": scores["f1"],
        "false_positives": scores["false_positives"],
        "false_negatives": scores["false_negatives"],
        "threshold": threshold,
        "recall_by_first_error": recall_by_kind,
        "by_threshold": by_threshold,
        "timings": {"generate": generated, **stats["timings"]},
    }
