"""The seeded perturbations behind the planted duplicates: they must be the errors they claim to be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridgov.core import idcard
from gridgov.datahub import synth
from gridgov.datahub.linkage import address as addr
from gridgov.datahub.linkage.features import name_pinyin


def test_every_homophone_substitution_keeps_the_toneless_pinyin():
    assert "章" in synth.HOMOPHONES["张"] and "纳" in synth.HOMOPHONES["娜"]
    for char, options in synth.HOMOPHONES.items():
        for other in options:
            assert name_pinyin(other) == name_pinyin(char), (char, other)


def test_homophone_changes_exactly_one_character_and_not_the_sound():
    rng = np.random.default_rng(1)
    for name in ["张伟", "李娜", "王芳", "刘晨阳"]:
        changed = synth.homophone(name, rng)
        assert changed != name
        assert sum(a != b for a, b in zip(name, changed, strict=True)) == 1
        assert name_pinyin(changed) == name_pinyin(name)
    assert synth.homophone("钱", rng) == "钱"  # no homophone in the table: unchanged


def test_id_typos_are_one_or_two_digits_or_a_swap_and_break_the_checksum():
    rng = np.random.default_rng(2)
    people = synth.make_population(300, rng)
    broken = 0
    for number in people["id_number"]:
        one, two, swap = (synth.id_typo(number, rng, kind) for kind in ("digit", "digits", "transpose"))
        assert sum(a != b for a, b in zip(number, one, strict=True)) == 1
        assert sum(a != b for a, b in zip(number, two, strict=True)) == 2
        diff = [i for i, (a, b) in enumerate(zip(number, swap, strict=True)) if a != b]
        assert len(diff) == 2 and diff[1] == diff[0] + 1 and sorted(number) == sorted(swap)
        broken += sum(not idcard.is_valid(x) for x in (one, two, swap))
    # A typo keeps a valid check digit only by chance (about one time in eleven).
    assert broken > 0.8 * 3 * len(people)


def test_address_variants_name_the_same_flat():
    rng = np.random.default_rng(3)
    people = synth.make_population(200, rng)
    styles = set()
    for original in people["address"]:
        variant = synth.address_variant(original, rng)
        a, b = addr.normalize(original), addr.normalize(variant)
        styles.add(variant == original)
        assert (a.community, a.building, a.room) == (b.community, b.building, b.room), (original, variant)
        assert b.unit in ("", a.unit)
    assert styles == {False}  # every variant is written differently from the original


def test_population_is_deterministic_with_valid_unique_ids():
    a = synth.make_population(2000, np.random.default_rng(7))
    b = synth.make_population(2000, np.random.default_rng(7))
    c = synth.make_population(2000, np.random.default_rng(8))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["id_number"].is_unique and a["record_id"].is_unique
    assert all(idcard.is_valid(x) for x in a["id_number"])
    parsed = [idcard.parse(x) for x in a["id_number"].head(50)]
    assert [p.birth_date.isoformat() for p in parsed] == list(a["birth_date"].head(50))
    assert [p.sex for p in parsed] == list(a["sex"].head(50))


def test_make_duplicates_records_the_truth():
    people = synth.make_population(1000, np.random.default_rng(4))
    records, truth = synth.make_duplicates(people, 100, np.random.default_rng(5), sources=["ps_floating"])
    again, truth_again = synth.make_duplicates(people, 100, np.random.default_rng(5), sources=["ps_floating"])
    pd.testing.assert_frame_equal(records, again)
    pd.testing.assert_frame_equal(truth, truth_again)
    assert len(records) == 1100 and records["record_id"].is_unique and len(truth) == 100
    by_id = records.set_index("record_id")
    for left, right, kinds in truth.itertuples(index=False):
        assert left < right
        original, copy = (left, right) if left in set(people["record_id"]) else (right, left)
        assert by_id.loc[copy, "source"] == "ps_floating"
        changed = [
            c for c in ("name", "id_number", "address") if by_id.loc[copy, c] != by_id.loc[original, c]
        ]
        assert changed, kinds  # every copy carries at least one planted error
        if "homophone" in kinds:
            assert name_pinyin(by_id.loc[copy, "name"]) == name_pinyin(by_id.loc[original, "name"])
        if "id_missing" in kinds:
            assert by_id.loc[copy, "id_number"] == ""
    all_kinds = {k for ks in truth["kinds"] for k in ks.split("+")}
    assert {"homophone", "id_digit", "id_digits", "id_transpose", "id_missing", "address"} <= all_kinds
    with pytest.raises(ValueError):
        synth.make_duplicates(people, 1001, np.random.default_rng(5))


def test_namesakes_share_name_sex_and_birth_year_but_are_other_people():
    people = synth.make_population(1000, np.random.default_rng(6))
    records, pairs = synth.make_namesakes(people, 50, np.random.default_rng(9))
    assert len(pairs) >= 45 and records["record_id"].is_unique and records["id_number"].is_unique
    by_id = records.set_index("record_id")
    for left, right in pairs.itertuples(index=False):
        a, b = by_id.loc[left], by_id.loc[right]
        assert a["name"] == b["name"] and a["sex"] == b["sex"]
        assert a["birth_date"][:4] == b["birth_date"][:4]
        assert a["id_number"] != b["id_number"] and idcard.is_valid(b["id_number"])
