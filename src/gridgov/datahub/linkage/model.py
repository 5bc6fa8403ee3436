"""The Splink model: comparisons, blocking rules, training by expectation maximisation, prediction, clusters.

Runs on Splink's DuckDB backend in memory; nothing is fetched from the network. See docs/datahub-linkage.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from . import features

# A pair is a match from this match probability on (a match weight of about +6.6).
DEFAULT_THRESHOLD = 0.99
SEED = 14
# Random pairs Splink scores to estimate u (the chance two different people meet a level); 1/this is
# also the smallest u the model will use (see _smooth).
DEFAULT_U_PAIRS = 2e6
M_FLOOR = 0.002
# Below this many records the model is not trained: the comparisons' prior m and u are used as they are.
MIN_TRAINING_RECORDS = 2000

Progress = Callable[[int, int, str], None]
STEPS = ("准备特征", "训练模型", "计算比对", "聚类", "解释")


@dataclass
class LinkResult:
    """``pairs``: one row per pair at or above the threshold (``record_id_l < record_id_r``) with
    ``match_weight, match_probability, cluster_id, explanation``; ``clusters``: ``record_id, cluster_id,
    cluster_size`` for every record in a cluster of two or more; ``stats``: comparisons, seconds,
    comparisons_per_second and the stage timings; ``parameters``: the trained model, level by level."""

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    stats: dict[str, Any]
    parameters: list[dict[str, Any]] = field(default_factory=list)


# -- the comparisons -----------------------------------------------------------------------------------


def _null(*columns: str) -> str:
    return " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns)


def _swapped(column: str) -> str:
    """Two positions differ and the characters are the same multiset: two digits swapped."""
    return (
        f'hamming("{column}_l", "{column}_r") = 2 AND '
        f"list_sort(string_split(\"{column}_l\", '')) = list_sort(string_split(\"{column}_r\", ''))"
    )


def comparisons() -> list:
    """Levels go from the strictest agreement to none; m and u are priors that training overwrites (they
    stay only where a level never occurs in training, e.g. on a tiny input). IDs and birth dates are
    compared with Hamming distance (both are fixed-width, features.prepare drops other widths): it is
    two orders of magnitude cheaper in DuckDB than Damerau-Levenshtein and says the same for one or two
    wrong digits; a swap of two digits is told apart by comparing the sorted characters."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def level(sql: str, label: str, m: float, u: float) -> Any:
        return cll.CustomLevel(sql, label).configure(m_probability=m, u_probability=u)

    def null(column: str, label: str) -> Any:
        return cll.CustomLevel(_null(column), label).configure(is_null_level=True)

    def other(m: float, u: float) -> Any:
        return cll.ElseLevel().configure(label_for_charts="不同", m_probability=m, u_probability=u)

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="姓名",
        comparison_levels=[
            null("name", "姓名缺失"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True).configure(
                label_for_charts="汉字相同", m_probability=0.85, u_probability=1e-3
            ),
            level('"name_py_l" = "name_py_r"', "拼音相同(同音字)", 0.08, 2e-4),
            level('jaro_winkler_similarity("name_py_l", "name_py_r") >= 0.9', "拼音相近", 0.03, 2e-3),
            level('levenshtein("name_l", "name_r") <= 1', "一字之差", 0.02, 1e-2),
            other(0.02, 0.99),
        ],
    )
    # A typo almost always breaks the check digit (10 times in 11); two *valid* numbers a digit or two
    # apart are usually two people born the same day in the same district (the sequence code differs).
    typo = 'NOT ("id_valid_l" AND "id_valid_r")'
    ident = cl.CustomComparison(
        output_column_name="id",
        comparison_description="身份证号",
        comparison_levels=[
            null("id", "号码缺失"),
            level('"id_l" = "id_r"', "号码相同", 0.8, 1e-8),
            level(f'hamming("id_l", "id_r") = 1 AND {typo}', "一位错(校验位不符)", 0.07, 1e-8),
            level(f"{_swapped('id')} AND {typo}", "两位颠倒(校验位不符)", 0.05, 1e-8),
            level(f'hamming("id_l", "id_r") = 2 AND {typo}', "两位错(校验位不符)", 0.05, 1e-8),
            # Its Bayes factor is pinned at 1: the shared birth date is already counted by birth_date.
            cll.CustomLevel('hamming("id_l", "id_r") <= 2', "均为有效号码,仅差一两位").configure(
                m_probability=0.01, u_probability=0.01, fix_m_probability=True, fix_u_probability=True
            ),
            other(0.03, 1.0),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="出生日期",
        comparison_levels=[
            null("birth_date", "日期缺失"),
            level('"birth_date_l" = "birth_date_r"', "日期相同", 0.9, 4e-5),
            level('hamming("birth_date_l", "birth_date_r") = 1', "一位之差", 0.04, 1e-3),
            level(_swapped("birth_date"), "两位颠倒", 0.03, 1e-4),
            other(0.03, 1.0),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_description="性别",
        comparison_levels=[
            null("sex", "性别缺失"),
            level('"sex_l" = "sex_r"', "性别相同", 0.97, 0.5),
            other(0.03, 0.5),
        ],
    )
    same = '"addr_community_l" = "addr_community_r"'
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="住址",
        comparison_levels=[
            null("addr_community", "住址缺失或无法解析"),
            level('"addr_key_l" = "addr_key_r"', "同一户(社区、楼、单元、室)", 0.7, 1e-5),
            level(
                f'{same} AND "addr_building_l" = "addr_building_r" AND "addr_room_l" = "addr_room_r"',
                "同楼同室",
                0.1,
                1e-5,
            ),
            level(f'{same} AND "addr_building_l" = "addr_building_r"', "同楼", 0.05, 1e-3),
            level(same, "同社区", 0.05, 1e-2),
            other(0.1, 0.99),
        ],
    )
    return [name, ident, birth, sex, address]


def blocking_rules() -> list:
    """Pairs compared: any rule suffices. Keys are precomputed columns (features.prepare)."""
    from splink import block_on

    return [
        block_on("id_head"),  # region + birth date
        block_on("id_tail"),  # birth month/day + sequence + check digit
        block_on("id_ends"),  # region + birth year + sequence + check digit
        block_on("birth_date", "name_initials"),  # homophones share their pinyin initials
        # no usable ID or birth date: a same-sounding name in the same flat (the unit is often left out)
        block_on("name_py", "addr_community", "addr_building", "addr_room"),
    ]


def settings(probability_two_random_records_match: float = 1e-6) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
        em_convergence=0.0001,
        max_iterations=25,
    )


# -- training and prediction ----------------------------------------------------------------------------


def _level_table(model: dict) -> list[dict[str, Any]]:
    """Every comparison level with its label, gamma value, m, u and the resulting Bayes factor."""
    rows = []
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        gamma = sum(1 for lv in levels if not lv.get("is_null_level")) - 1
        for lv in levels:
            m, u = lv.get("m_probability"), lv.get("u_probability")
            bf = (m / u) if m is not None and u else None
            row = {
                "comparison": comparison["output_column_name"],
                "level": lv.get("label_for_charts") or lv["sql_condition"],
                "gamma": -1 if lv.get("is_null_level") else gamma,
                "m_probability": m,
                "u_probability": u,
                "bayes_factor": None if lv.get("is_null_level") else bf,
                "match_weight": None if lv.get("is_null_level") or not bf else math.log2(bf),
            }
            if not lv.get("is_null_level"):
                gamma -= 1
            rows.append(row)
    return rows


def _train(linker: Any, *, u_pairs: float, seed: int, connection: duckdb.DuckDBPyConnection) -> list[str]:
    """u by random sampling, then m by EM in two sessions blocked on different columns, so every
    comparison is estimated in at least one of them. Returns notes on what could not be estimated."""
    from splink import block_on

    notes: list[str] = []
    try:
        linker.training.estimate_probability_two_random_records_match(
            [
                'l."id" = r."id"',
                'l."name" = r."name" AND l."birth_date" = r."birth_date" AND l."addr_key" = r."addr_key"',
            ],
            recall=0.8,
        )
    except Exception as exc:  # too few records to count any deterministic match: keep the prior
        notes.append(f"probability_two_random_records_match: {exc}")
    # Sampling with a seed is reproducible only on one thread.
    threads = connection.execute("SELECT current_setting('threads')").fetchall()[0][0]
    connection.execute("SET threads = 1").fetchall()
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    finally:
        connection.execute(f"SET threads = {int(threads)}").fetchall()
    # Session 1 (same birth date and initials) trains name, id, sex and address; session 2 (same-sounding
    # name in the same community) trains id, birth date and sex. Neither block is dominated by pairs
    # that agree on everything but are different people, which would pull EM's "match" class apart.
    for rule in (block_on("birth_date", "name_initials"), block_on("name_py", "addr_community")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except Exception as exc:  # no pairs in this block (tiny inputs): the other session and the priors
            notes.append(f"EM {rule}: {exc}")
    return notes


def _smooth(model: dict[str, Any], *, u_floor: float) -> dict[str, Any]:
    """EM on planted or clean data drives some m probabilities to ~0 (1e-20 and below): one disagreement
    would then veto any match with a weight of -65 or worse. A floor of M_FLOOR on every m (then
    renormalised) caps what one field can say against a match at about log2(M_FLOOR / u). Likewise a level
    never seen among the sampled random pairs gets u = 1 / (pairs sampled), the resolution of the sample,
    not a near-zero that would outweigh an exact ID match."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        free = [lv for lv in levels if not lv.get("fix_m_probability")]
        pinned = sum(float(lv["m_probability"]) for lv in levels if lv.get("fix_m_probability"))
        ms = [max(float(lv.get("m_probability") or 0.0), M_FLOOR) for lv in free]
        total = sum(ms) / (1.0 - pinned)
        for lv, m in zip(free, ms, strict=True):
            lv["m_probability"] = m / total
        for lv in levels:
            if not lv.get("fix_u_probability"):
                lv["u_probability"] = max(float(lv.get("u_probability") or 0.0), u_floor)
    return model


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB's own default takes 80 % of the machine's memory, on top of the pandas frames this process
    already holds: at 3 million persons that ended in the kernel killing the run (24 GB). Bounded here
    (GRIDGOV_DATAHUB_DUCKDB_MEMORY, default a third of the memory, at least 1 GB), DuckDB spills the
    prediction's joins to a temporary folder (GRIDGOV_DATAHUB_WORKDIR or the system's) instead."""
    import os
    import tempfile

    limit = os.environ.get("GRIDGOV_DATAHUB_DUCKDB_MEMORY", "")
    if not limit:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 6 * 2**30
        limit = f"{max(1, total // 3 // 2**30)}GB"
    spill = os.environ.get("GRIDGOV_DATAHUB_WORKDIR") or tempfile.gettempdir()
    # (insertion order stays preserved: the seeded sampling of u reads the rows in order)
    return {"memory_limit": limit, "temp_directory": os.path.join(spill, "duckdb-linkage-spill")}


def _sane_prior(model: dict[str, Any], records: pd.DataFrame, notes: list[str]) -> None:
    """On a small input the deterministic estimate of λ (the chance that two random records are one person)
    can come out 0 (no exact match counted) or absurd; it is then taken as: at most one match for each
    record outside the registry, among all pairs."""
    lam = float(model.get("probability_two_random_records_match") or 0.0)
    if 0.0 < lam < 0.5:
        return
    n = len(records)
    outside = int((records["source"] != "residents").sum()) if "source" in records else n
    fallback = min(0.5, max(1, outside) / max(1.0, n * (n - 1) / 2))
    model["probability_two_random_records_match"] = fallback
    notes.append(f"probability_two_random_records_match: estimated {lam:g}, taken as {fallback:g}")


def _explain(rows: pd.DataFrame, levels: list[dict[str, Any]], prior: float) -> list[list[dict[str, Any]]]:
    """Per pair: the prior and one term per comparison (plus the name's frequency adjustment); the terms'
    weights add up to the pair's match weight."""
    labels = {(lv["comparison"], lv["gamma"]): lv["level"] for lv in levels}
    prior_term = {"term": "prior", "level": "先验", "bayes_factor": prior, "weight": math.log2(prior)}
    columns: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    for name in dict.fromkeys(lv["comparison"] for lv in levels):
        bf = rows[f"bf_{name}"].to_numpy(dtype=float)
        columns.append((name, rows[f"gamma_{name}"].to_numpy(), bf, np.log2(bf)))
        if f"bf_tf_adj_{name}" in rows:
            tf = rows[f"bf_tf_adj_{name}"].to_numpy(dtype=float)
            columns.append((f"{name}_tf", rows[f"gamma_{name}"].to_numpy(), tf, np.log2(tf)))
    out = []
    for i in range(len(rows)):
        terms = [prior_term]
        for name, gamma, bf, weight in columns:
            if name.endswith("_tf"):
                if bf[i] == 1.0:
                    continue  # no adjustment applies at this level
                level = "姓名常见程度调整"
            else:
                level = labels.get((name, int(gamma[i])), str(gamma[i]))
            terms.append(
                {"term": name, "level": level, "bayes_factor": float(bf[i]), "weight": float(weight[i])}
            )
        out.append(terms)
    return out


def link(
    records: pd.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_pairs: float | None = None,
    progress: Progress | None = None,
    seed: int = SEED,
) -> LinkResult:
    """Find the pairs of records that are the same person, and the clusters they form.

    ``records``: ``record_id`` (unique), ``source``, ``name``, ``id_number`` (clear, in memory only; may be
    empty or wrong), ``birth_date``, ``sex``, ``address``. ``threshold``: the match probability from which
    a pair counts (0 < threshold < 1). ``max_pairs``: how many random pairs estimate the u probabilities
    (default 2 million, fewer for small inputs). ``progress(done, total, label)`` is called after each stage.
    """
    if not 0 < threshold < 1:
        raise ValueError("threshold is a match probability, strictly between 0 and 1")
    from splink import DuckDBAPI, Linker

    def step(i: int) -> None:
        if progress:
            progress(i, len(STEPS), STEPS[i - 1])

    started = time.perf_counter()
    timings: dict[str, float] = {}
    feats = features.prepare(records)
    timings["features"] = time.perf_counter() - started
    step(1)
    if len(feats) < 2:
        return _empty(len(feats), started, timings)

    connection = duckdb.connect(config=duckdb_config())
    try:
        linker = Linker(
            feats, settings(), db_api=DuckDBAPI(connection=connection), set_up_basic_logging=False
        )
        t = time.perf_counter()
        n = len(feats)
        u_pairs = float(max_pairs) if max_pairs else min(DEFAULT_U_PAIRS, n * (n - 1) / 2)
        if n >= MIN_TRAINING_RECORDS:
            notes = _train(linker, u_pairs=u_pairs, seed=seed, connection=connection)
            model = _smooth(linker.misc.save_model_to_json(), u_floor=1.0 / u_pairs)
        else:  # EM on a handful of records learns noise (a homophone came out as evidence *against*)
            notes = [f"{n} records (< {MIN_TRAINING_RECORDS}): the comparisons' prior m and u, untrained"]
            model = linker.misc.save_model_to_json()
            model["probability_two_random_records_match"] = 0.0  # λ from the input, below
        _sane_prior(model, records, notes)
        linker = Linker(feats, model, db_api=DuckDBAPI(connection=connection), set_up_basic_logging=False)
        timings["training"] = time.perf_counter() - t
        step(2)

        t = time.perf_counter()
        predictions = linker.inference.predict()
        table = predictions.physical_name
        comparisons = connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608
        timings["predict"] = time.perf_counter() - t
        step(3)

        t = time.perf_counter()
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        ).as_pandas_dataframe()
        timings["cluster"] = time.perf_counter() - t
        step(4)

        t = time.perf_counter()
        pairs = connection.execute(
            f"SELECT * FROM {table} WHERE match_probability >= ? ORDER BY unique_id_l, unique_id_r",  # noqa: S608
            [threshold],
        ).df()
        model = linker.misc.save_model_to_json()
    finally:
        connection.close()

    levels = _level_table(model)
    lam = float(model["probability_two_random_records_match"])
    prior = lam / (1 - lam)
    clusters = clustered.rename(columns={"unique_id": "record_id"})[["record_id", "cluster_id"]]
    clusters["cluster_size"] = clusters.groupby("cluster_id")["record_id"].transform("size")
    clusters = (
        clusters[clusters["cluster_size"] > 1].sort_values(["cluster_id", "record_id"]).reset_index(drop=True)
    )
    cluster_of = dict(zip(clusters["record_id"], clusters["cluster_id"], strict=True))
    result = pd.DataFrame(
        {
            "record_id_l": pairs["unique_id_l"].astype(str),
            "record_id_r": pairs["unique_id_r"].astype(str),
            "match_weight": pairs["match_weight"].astype(float),
            "match_probability": pairs["match_probability"].astype(float),
        }
    )
    result["cluster_id"] = result["record_id_l"].map(cluster_of)
    result["explanation"] = _explain(pairs, levels, prior)
    timings["explain"] = time.perf_counter() - t
    step(5)

    seconds = time.perf_counter() - started
    stats = {
        "records": len(feats),
        "comparisons": int(comparisons),
        "pairs": len(result),
        "clusters": int(clusters["cluster_id"].nunique()),
        "seconds": seconds,
        "comparisons_per_second": comparisons / timings["predict"] if timings["predict"] else 0.0,
        "timings": timings,
        "threshold": threshold,
        "probability_two_random_records_match": lam,
        "training_notes": notes,
    }
    return LinkResult(pairs=result, clusters=clusters, stats=stats, parameters=levels)


def _empty(n: int, started: float, timings: dict[str, float]) -> LinkResult:
    pairs = pd.DataFrame(
        columns=[
            "record_id_l",
            "record_id_r",
            "match_weight",
            "match_probability",
            "cluster_id",
            "explanation",
        ]
    )
    clusters = pd.DataFrame(columns=["record_id", "cluster_id", "cluster_size"])
    seconds = time.perf_counter() - started
    stats = {
        "records": n,
        "comparisons": 0,
        "pairs": 0,
        "clusters": 0,
        "seconds": seconds,
        "comparisons_per_second": 0.0,
        "timings": timings,
    }
    return LinkResult(pairs=pairs, clusters=clusters, stats=stats)
