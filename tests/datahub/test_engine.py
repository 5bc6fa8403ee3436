"""The engine around the rules: fingerprints, where a finding is placed, selection, skipping, progress."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.areas.models import PATH_LENGTH
from gridgov.datahub import engine, extracts, rules

from .test_rules import (
    AS_OF,
    C1,
    C2,
    CITY,
    STREET,
    U1,
    U2,
    _areas,
    death,
    ps_household,
    resident,
    subsistence,
)


def _write(path, **tables):
    extracts.write_tables(path, {"areas": _areas(), **tables}, as_of=AS_OF)
    return path


def _deceased_world(**overrides) -> dict:
    tables = {
        "residents": [resident("1", "dead", unit=U2)],
        "src_ca_death": [death("d1", "dead")],
        "src_ca_subsistence": [subsistence("s1", "dead")],
    }
    tables.update(overrides)
    return tables


def _by_rule(findings) -> dict[str, engine.FindingRow]:
    return {f.rule: f for f in findings}


def test_fingerprint_follows_content_not_keys_or_batches(tmp_path):
    first = _by_rule(engine.run_rules(_write(tmp_path / "a", **_deceased_world())))
    # the next delivery: same content, new record ids and batch → same fingerprints
    again = _deceased_world(
        src_ca_death=[{**death("d9", "dead"), "batch": 2}],
        src_ca_subsistence=[{**subsistence("s9", "dead"), "batch": 2}],
    )
    second = _by_rule(engine.run_rules(_write(tmp_path / "b", **again)))
    assert set(first) == set(second) == {"deceased_allowance", "deceased_in_household"}
    for code in first:
        assert first[code].fingerprint == second[code].fingerprint
        assert first[code].records != second[code].records
    # a change in one record of a finding changes its fingerprint, and only that finding's
    changed = _deceased_world(src_ca_subsistence=[{**subsistence("s1", "dead"), "monthly_amount": 700.0}])
    third = _by_rule(engine.run_rules(_write(tmp_path / "c", **changed)))
    assert third["deceased_allowance"].fingerprint != first["deceased_allowance"].fingerprint
    assert third["deceased_in_household"].fingerprint == first["deceased_in_household"].fingerprint
    # the same records under another rule never share a fingerprint
    assert len({f.fingerprint for f in first.values()}) == 2
    assert all(len(f.fingerprint) == 64 for f in first.values())


def test_null_and_empty_are_different_content(tmp_path):
    a = engine.run_rules(
        _write(tmp_path / "a", **_deceased_world(src_ca_death=[death("d1", "dead", community=None)]))
    )
    b = engine.run_rules(
        _write(tmp_path / "b", **_deceased_world(src_ca_death=[death("d1", "dead", community="")]))
    )
    assert _by_rule(a)["deceased_allowance"].fingerprint != _by_rule(b)["deceased_allowance"].fingerprint


def test_area_is_the_most_specific_known(tmp_path):
    # a resident's unit the tree does not know (a retired unit) falls back to its known ancestor
    retired_unit = U1[:18] + "99"
    findings = engine.run_rules(
        _write(tmp_path, **_deceased_world(residents=[resident("1", "dead", unit=retired_unit)])),
        rules=["deceased_in_household"],
    )
    assert [f.area_path for f in findings] == [U1[:18]]


def test_area_resolution_rules(tmp_path):
    con = engine.connect(_write(tmp_path))
    asked = [C1, C2, U1 + "x", "999999999999", "379902001001", U1]
    areas = engine.Areas(con, asked)
    assert areas.root == CITY
    assert areas.resolve([None, C2, C1]) == C2
    assert areas.resolve([U1 + "x", None]) == U1  # a longer unknown path: its deepest known prefix
    assert areas.resolve(["999999999999"]) == CITY  # nothing known
    assert areas.resolve([]) == CITY
    assert areas.resolve([C1, C2], common=True) == STREET
    assert areas.resolve([U1, C1], common=True) == C1
    assert areas.resolve([C1, "379902001001"], common=True) == CITY
    con.close()


def test_path_lengths_agree_with_the_area_tree():
    assert sorted(engine.PATH_LENGTHS) == sorted(PATH_LENGTH.values())


def test_born_by():
    assert engine.born_by(dt.date(2026, 6, 30), 80) == dt.date(1946, 6, 30)
    assert engine.born_by(dt.date(2028, 2, 29), 80) == dt.date(1948, 2, 29)
    assert engine.born_by(dt.date(2028, 2, 29), 81) == dt.date(1947, 2, 28)


def test_all_rules_run_together_in_rule_order(tmp_path):
    world = _deceased_world(src_ps_household=[ps_household("h1", "other", community=C1)])
    findings = engine.run_rules(_write(tmp_path, **world))
    assert [(f.rule, f.subject_key) for f in findings] == [
        ("deceased_allowance", "pid:dead"),
        ("deceased_in_household", "pid:dead"),
    ]
    one = engine.run_rules(tmp_path, rules=["deceased_in_household"])
    assert [(f.rule, f.fingerprint) for f in one] == [(findings[1].rule, findings[1].fingerprint)]
    assert all(isinstance(f.evidence, dict) and f.records for f in findings)


def test_progress_counts_rules(tmp_path):
    seen = []
    engine.run_rules(
        _write(tmp_path, **_deceased_world()),
        rules=["deceased_allowance", "deceased_in_household"],
        progress=lambda stage, done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_bad_requests(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest"):
        engine.run_rules(tmp_path)
    _write(tmp_path)
    with pytest.raises(ValueError, match="nope"):
        engine.run_rules(tmp_path, rules=["nope"])
    (tmp_path / "src_vehicle.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="src_vehicle"):
        engine.run_rules(tmp_path)
    with pytest.raises(ValueError, match="unknown extract table"):
        extracts.write_tables(tmp_path, {"nope": []}, as_of=AS_OF)


def test_every_rule_query_runs_on_empty_extracts(tmp_path):
    sources = {code: {"batch": 1, "batch_id": "x", "version": 1} for code in extracts.SOURCE_CODES}
    extracts.write_tables(tmp_path, {}, as_of=AS_OF, sources=sources)
    assert engine.run_rules(tmp_path) == []
    assert engine.skipped_rules(tmp_path) == {}
    assert len(rules.RULES) == 13
