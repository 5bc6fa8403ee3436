"""Score predicted pairs against a known truth (the planted duplicates)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import pandas as pd

Pairs: TypeAlias = pd.DataFrame | Iterable[tuple[str, str]]


def pair_set(pairs: Pairs) -> set[tuple[str, str]]:
    """Unordered pairs as (smaller id, larger id); a frame needs ``record_id_l`` and ``record_id_r``."""
    if isinstance(pairs, pd.DataFrame):
        items: Iterable[tuple[Any, Any]] = zip(pairs["record_id_l"], pairs["record_id_r"], strict=True)
    else:
        items = pairs
    out = set()
    for a, b in items:
        a, b = str(a), str(b)
        if a == b:
            raise ValueError(f"a record cannot pair with itself: {a}")
        out.add((a, b) if a < b else (b, a))
    return out


def evaluate(pairs: Pairs, truth_pairs: Pairs) -> dict[str, Any]:
    """Recall, precision and F1 of ``pairs`` against ``truth_pairs`` (both unordered; order ignored).

    With nothing predicted precision is 1.0 (no false alarm was raised); with no truth recall is 1.0.
    """
    predicted, truth = pair_set(pairs), pair_set(truth_pairs)
    tp = len(predicted & truth)
    fp, fn = len(predicted) - tp, len(truth) - tp
    recall = tp / len(truth) if truth else 1.0
    precision = tp / len(predicted) if predicted else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "recall": recall,
        "precision": precision,
        "f1": f1,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "predicted": len(predicted),
        "truth": len(truth),
    }
