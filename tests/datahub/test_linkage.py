"""Probabilistic linkage: planted homophone and typo duplicates found, namesakes kept apart, weights explained."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gridgov.core import idcard
from gridgov.datahub import synth
from gridgov.datahub.linkage import address as addr
from gridgov.datahub.linkage import benchmark, evaluate, features, link
from gridgov.datahub.linkage.evaluate import pair_set

COLUMNS = ["record_id", "source", "name", "id_number", "birth_date", "sex", "address"]
FLAT = "城东区和平街道春晖社区3号楼2单元502室"
ZHANG = idcard.build("379901", pd.Timestamp("1985-03-07").date(), 123)
LI = idcard.build("379902", pd.Timestamp("1990-11-21").date(), 246)
WANG = idcard.build("379903", pd.Timestamp("1960-05-02").date(), 457)


def _hand_made() -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Named cases on top of the synthetic city: each planted error, and a person recorded three times."""
    swapped = LI[:8] + LI[9] + LI[8] + LI[10:]
    rows = [
        ("h-zhang-1", "ps_household", "张伟", ZHANG, "1985-03-07", "M", FLAT),
        # homophone surname, one wrong digit, address written by another department, no birth date
        (
            "h-zhang-2",
            "ps_floating",
            "章伟",
            ZHANG[:15] + str((int(ZHANG[15]) + 3) % 10) + ZHANG[16:],
            "",
            "",
            "春晖社区 3-2-502",
        ),
        ("h-li-1", "ps_household", "李娜", LI, "1990-11-21", "F", "城西区人民街道丽景社区12号楼1单元301"),
        # homophone given name and two digits swapped
        ("h-li-2", "ca_subsistence", "李纳", swapped, "1990/11/21", "女", "人民街道丽景社区12栋1单元301"),
        # the same person a third time, ID left out
        ("h-li-3", "housing_rental", "李娜", "", "19901121", "F", "城西区，丽景社区，十二号楼一单元301号"),
        ("h-wang-1", "ps_household", "王强", WANG, "1960-05-02", "M", "高新区胜利街道翠苑社区7号楼3单元101"),
        # a 15-digit first-generation number of the same person
        ("h-wang-2", "vehicle", "王强", WANG[:6] + WANG[8:17], "", "M", ""),
    ]
    truth = {
        ("h-zhang-1", "h-zhang-2"),
        ("h-li-1", "h-li-2"),
        ("h-li-1", "h-li-3"),
        ("h-li-2", "h-li-3"),
        ("h-wang-1", "h-wang-2"),
    }
    return pd.DataFrame(rows, columns=COLUMNS), truth


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(2024)
    people = synth.make_population(3000, rng)
    people, namesakes = synth.make_namesakes(people, 150, rng)
    records, truth = synth.make_duplicates(people, 300, rng, sources=["ps_floating", "ca_subsistence"])
    hand, hand_truth = _hand_made()
    records = pd.concat([records, hand], ignore_index=True)
    result = link(records)
    return records, truth, namesakes, hand_truth, result


def test_finds_planted_homophone_and_typo_duplicates(world):
    _records, truth, _namesakes, hand_truth, result = world
    found = pair_set(result.pairs)
    assert hand_truth <= found
    scores = evaluate(result.pairs.loc[~result.pairs["record_id_l"].str.startswith("h-")], truth)
    assert scores["recall"] >= 0.95 and scores["precision"] >= 0.99, scores
    for kind in ("homophone", "id_digit", "id_digits", "id_transpose"):
        planted = truth[truth["kinds"].str.contains(kind)]
        assert len(planted) >= 10
        assert len(pair_set(planted) & found) / len(planted) >= 0.95, kind


def test_namesakes_are_not_merged(world):
    records, _truth, namesakes, _hand_truth, result = world
    assert len(namesakes) >= 140
    assert not pair_set(namesakes) & pair_set(result.pairs)
    cluster = dict(zip(result.clusters["record_id"], result.clusters["cluster_id"], strict=True))
    together = [(a, b) for a, b in pair_set(namesakes) if a in cluster and cluster.get(a) == cluster.get(b)]
    assert together == []
    # the namesakes do share a common name and the birth year with their counterparts
    by_id = records.set_index("record_id")
    a, b = next(iter(pair_set(namesakes)))
    assert by_id.loc[a, "name"] == by_id.loc[b, "name"]


def test_explanation_terms_add_up_to_the_match_weight(world):
    result = world[4]
    assert len(result.pairs) >= 280
    for weight, explanation in zip(result.pairs["match_weight"], result.pairs["explanation"], strict=True):
        assert explanation[0]["term"] == "prior"
        assert {"name", "id", "birth_date", "sex", "address"} <= {t["term"] for t in explanation}
        assert math.isclose(sum(t["weight"] for t in explanation), weight, abs_tol=1e-6)
        for term in explanation:
            assert math.isclose(math.log2(term["bayes_factor"]), term["weight"], abs_tol=1e-9)
    pair = result.pairs.set_index(["record_id_l", "record_id_r"]).loc[("h-zhang-1", "h-zhang-2")]
    levels = {t["term"]: t["level"] for t in pair["explanation"]}
    assert levels["name"] == "拼音相同(同音字)"
    assert levels["id"] == "一位错(校验位不符)"
    assert levels["birth_date"] == "日期相同"  # the copy's birth date is read from its ID number
    assert levels["address"] == "同一户(社区、楼、单元、室)"


def test_clusters_gather_a_person_recorded_three_times(world):
    result = world[4]
    clusters = result.clusters.set_index("record_id")
    li = clusters.loc[["h-li-1", "h-li-2", "h-li-3"]]
    assert li["cluster_id"].nunique() == 1 and set(li["cluster_size"]) == {3}
    assert clusters.loc["h-zhang-1", "cluster_id"] != clusters.loc["h-li-1", "cluster_id"]
    pairs = result.pairs
    assert set(pairs.loc[pairs["record_id_l"] == "h-li-1", "cluster_id"]) == {li["cluster_id"].iloc[0]}
    stats = result.stats
    assert stats["comparisons"] >= len(pairs) and stats["seconds"] > 0
    assert stats["comparisons_per_second"] > 0 and stats["records"] == len(world[0])


def test_threshold_trades_recall_for_certainty(world):
    records, *_ = world
    calls = []
    strict = link(records, threshold=0.999999, progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5] and {c[1] for c in calls} == {5}
    assert calls[-1][2] == "解释"
    assert len(strict.pairs) < len(world[4].pairs)
    assert (strict.pairs["match_probability"] >= 0.999999).all()


def test_output_is_deterministic_for_a_seed():
    rng = np.random.default_rng(5)
    records, _truth = synth.make_duplicates(synth.make_population(1500, rng), 150, rng)
    seen = []
    for _ in range(2):
        result = link(records.sample(frac=1.0, random_state=1))  # input order does not matter either
        seen.append(result.pairs.drop(columns=["explanation", "cluster_id"]).round(9))
    pd.testing.assert_frame_equal(seen[0], seen[1])


def test_bad_input_is_refused():
    hand, _ = _hand_made()
    with pytest.raises(ValueError, match="address"):
        link(hand.drop(columns=["address"]))
    with pytest.raises(ValueError, match="unique"):
        link(pd.concat([hand, hand.head(1)]))
    with pytest.raises(ValueError, match="threshold"):
        link(hand, threshold=1.5)
    empty = link(hand.head(1))
    assert empty.pairs.empty and empty.stats["comparisons"] == 0


def test_evaluate_on_a_hand_made_example():
    truth = [("a", "b"), ("c", "d"), ("e", "f"), ("g", "h")]
    predicted = pd.DataFrame({"record_id_l": ["b", "c", "x"], "record_id_r": ["a", "d", "y"]})
    scores = evaluate(predicted, truth)
    assert scores["true_positives"] == 2 and scores["false_positives"] == 1 and scores["false_negatives"] == 2
    assert scores["recall"] == 0.5 and math.isclose(scores["precision"], 2 / 3)
    assert math.isclose(scores["f1"], 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert evaluate([], truth)["precision"] == 1.0 and evaluate([], [])["recall"] == 1.0
    with pytest.raises(ValueError):
        evaluate([("a", "a")], truth)


def test_features_fold_pinyin_ids_and_dates():
    frame = features.prepare(_hand_made()[0]).set_index("unique_id")
    assert frame.loc["h-zhang-1", "name_py"] == frame.loc["h-zhang-2", "name_py"] == "zhangwei"
    assert frame.loc["h-li-2", "name_initials"] == "ln"
    assert frame.loc["h-wang-2", "id"] == WANG and frame.loc["h-wang-2", "birth_date"] == "19600502"
    assert frame.loc["h-li-2", "sex"] == "F" and frame.loc["h-li-2", "birth_date"] == "19901121"
    assert not frame.loc["h-zhang-2", "id_valid"] and frame.loc["h-zhang-1", "id_valid"]
    assert frame.loc["h-zhang-2", "sex"] == "M"  # from the ID's 17th digit when not recorded
    assert features.name_pinyin("曾伟") == "zeng wei"  # a surname's own reading


@pytest.mark.parametrize(
    "raw",
    [
        "城东区和平街道春晖社区3号楼2单元502室",
        "和平街道春晖社区3栋2单元502",
        "春晖社区 3-2-502",
        "城东区，春晖社区三幢二单元502号",
        "城东区和平街道办事处春晖社区居委会３号楼２单元０５０２",
        "城东区和平街道春晖社区3号楼3号楼2单元502室",  # the building pasted twice
    ],
)
def test_address_formats_normalise_to_one_flat(raw):
    assert addr.normalize(raw).key() == "春晖社区|3|2|502"


def test_address_parts_and_unparseable_text():
    a = addr.normalize("城西区和平2街道春晖2社区12号楼1单元1101")
    assert a == addr.Address("城西区", "和平2街道", "春晖2社区", "12", "1", "1101")
    assert addr.normalize("春晖社区3号楼502室") == addr.Address("", "", "春晖社区", "3", "", "502")
    assert addr.normalize("某某路88号").key() == "" and addr.normalize(None) == addr.EMPTY


def test_registry_address_writes_a_unit_named_with_its_building_once():
    from gridgov.areas.models import PATH_LENGTH, Level
    from gridgov.datahub.services.runs import registry_address

    levels = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.BUILDING, Level.UNIT)
    names = ("城东区", "和平街道", "道口社区", "1网格", "7号楼", "7号楼1单元")
    paths = ["1" * PATH_LENGTH[lvl] for lvl in levels]
    text = registry_address(dict(zip(paths, names, strict=True)), paths[-1], "402")
    # The street's last character and the community's first agree ("道"): only a whole name is dropped.
    assert text == "城东区和平街道道口社区7号楼1单元402室"
    assert addr.normalize(text).key() == "道口社区|7|1|402"


def test_benchmark_reports_quality_and_speed():
    report = benchmark(1500, 150, 3)
    for key in ("comparisons", "seconds", "comparisons_per_second", "recall", "precision"):
        assert key in report
    assert report["duplicates"] == 150 and report["records"] == 1500 + report["namesakes"] + 150
    assert report["recall"] >= 0.9 and report["precision"] >= 0.97
