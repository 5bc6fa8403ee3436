"""Probabilistic record linkage of person records (Splink on DuckDB), pinyin-aware.

``link(records, threshold=…)`` finds the pairs of records that are the same person even when the ID number
has a typo or is missing and the name is written with a homophone; ``evaluate(pairs, truth_pairs)`` scores
them against a known truth; ``benchmark(n_persons, n_duplicates, seed)`` measures both on synthetic data.
Splink itself is imported only when linkage runs, so importing this package (or synth) stays cheap.
"""

from __future__ import annotations

from .bench import benchmark
from .evaluate import evaluate
from .model import DEFAULT_THRESHOLD, LinkResult, link

__all__ = ["DEFAULT_THRESHOLD", "LinkResult", "benchmark", "evaluate", "link"]
