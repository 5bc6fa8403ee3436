"""Each deterministic rule on a small fixture, with exactly the expected findings.

The fixtures are extract tables written straight to Parquet (`extracts.write_tables`), so every case —
including the near misses that must *not* be found — is spelled out next to its rule. One test goes end
to end through the real registry models and `write_extracts` (the database, then DuckDB).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gridgov.datahub import engine, extracts, rules

AS_OF = dt.date(2026, 6, 30)
CITY, DISTRICT, STREET = "3799", "379901", "379901001"
C1, C2 = "379901001001", "379901001002"  # two communities of one street
C3 = "379902001001"  # a community of another district (its district and street are in the tree too)
G1, G2, G3 = C1 + "001", C2 + "001", C3 + "001"
U1, U2, U3 = G1 + "001" + "01", G2 + "001" + "01", G3 + "001" + "01"


def _areas() -> list[dict]:
    paths = [CITY, DISTRICT, STREET, C1, C2, "379902", "379902001", C3, G1, G2, G3]
    paths += [U1[:18], U1, U2[:18], U2, U3[:18], U3]
    level = {4: 1, 6: 2, 9: 3, 12: 4, 15: 5, 18: 6, 20: 7}
    return [
        {"key": str(i), "path": p, "level": level[len(p)], "is_active": True} for i, p in enumerate(paths, 1)
    ]


def resident(key, pid, *, unit=U1, household="h1", active=True, birth=dt.date(1980, 1, 1)) -> dict:
    return {
        "key": key,
        "pid": pid,
        "household_key": household,
        "area_path": unit,
        "birth_date": birth,
        "sex": "M",
        "relation": "head",
        "is_active": active,
    }


def household(key, *, unit=U1, number="101", active=True) -> dict:
    return {"key": key, "area_path": unit, "number": number, "is_active": active}


def record(key, pid, **columns) -> dict:
    return {"key": key, "batch": 1, "pid": pid, "birth_date": None, "sex": "M", **columns}


def lease(key, pid, *, community=C1, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)) -> dict:
    return record(key, pid, community=community, start_date=start, end_date=end)


def prop(key, pid, *, community=C1) -> dict:
    return record(
        key, pid, community=community, usage="residential", floor_area=88.5, registered_on=dt.date(2010, 5, 1)
    )


def ps_household(key, pid, *, community=C1, status="normal") -> dict:
    return record(key, pid, relation="户主", community=community, status=status)


def floating(key, pid, *, community=C1) -> dict:
    return record(key, pid, community=community, registered_on=dt.date(2025, 3, 1), permit_until=None)


def vehicle(key, pid, *, plate="鲁A12345", status="normal") -> dict:
    return record(
        key, pid, plate=plate, vehicle_type="小型轿车", registered_on=dt.date(2020, 1, 1), status=status
    )


def death(key, pid, *, on=dt.date(2026, 2, 1), community=C1) -> dict:
    return record(key, pid, death_date=on, community=community)


def subsistence(key, pid, *, status="paying", community=C1) -> dict:
    return record(
        key,
        pid,
        community=community,
        family_size=2,
        monthly_amount=640.0,
        start_date=dt.date(2024, 1, 1),
        status=status,
    )


def disability(key, pid, *, allowance=True, status="paying") -> dict:
    return record(
        key,
        pid,
        community=C1,
        category="肢体",
        grade=2,
        allowance=allowance,
        allowance_status=status if allowance else None,
    )


def liaison(key, pid, *, unit=U1, room="101", kind="cadre") -> dict:
    return record(key, pid, kind=kind, unit_code=unit, room_no=room, assigned_on=dt.date(2025, 1, 1))


def run(tmp_path, code: str, tables: dict, **kwargs) -> list[engine.FindingRow]:
    extracts.write_tables(tmp_path, {"areas": _areas(), **tables}, as_of=AS_OF, **kwargs)
    return engine.run_rules(tmp_path, rules=[code])


def found(findings) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """subject → (area, records as (table, key))."""
    return {f.subject_key: (f.area_path, [(r["table"], r["key"]) for r in f.records]) for f in findings}


# --- one test per rule -------------------------------------------------------------------------------------
def test_housing_not_in_population(tmp_path):
    findings = run(
        tmp_path,
        "housing_not_in_population",
        {
            "residents": [resident("1", "live"), resident("2", "gone", active=False)],
            "src_ps_household": [ps_household("h1", "hukou"), ps_household("h2", "out", status="moved_out")],
            "src_ps_floating": [floating("f1", "float")],
            "src_housing_rental": [
                lease("r1", "nobody", community=C2),
                lease("r2", "nobody", community=C2),
                lease("r3", "live"),
                lease("r4", "hukou"),
                lease("r5", "float"),
                lease("r6", "out"),  # moved out of the household register: not registered any more
                lease("r7", "gone"),  # a de-registered resident
                lease("r8", "stale", end=dt.date(2026, 6, 29)),  # the lease ended before the run
                lease("r9", None),  # no ID: left to the fuzzy linkage
            ],
        },
    )
    assert found(findings) == {
        "pid:nobody": (C2, [("src_housing_rental", "r1"), ("src_housing_rental", "r2")]),
        "pid:out": (C1, [("src_housing_rental", "r6")]),
        "pid:gone": (C1, [("src_housing_rental", "r7")]),
    }
    assert findings[0].evidence == {"leases": 1, "lease_end": "2026-12-31"}  # sorted: gone, nobody, out


def test_floating_without_housing(tmp_path):
    findings = run(
        tmp_path,
        "floating_without_housing",
        {
            "src_ps_floating": [
                floating("f1", "tenant"),
                floating("f2", "owner"),
                floating("f3", "homeless", community=C3),
                floating("f4", "expired"),
            ],
            "src_housing_rental": [lease("r1", "tenant"), lease("r2", "expired", end=dt.date(2025, 12, 31))],
            "src_housing_property": [prop("p1", "owner")],
        },
    )
    assert found(findings) == {
        "pid:homeless": (C3, [("src_ps_floating", "f3")]),
        "pid:expired": (C1, [("src_ps_floating", "f4")]),
    }


def test_vehicle_owner_deceased(tmp_path):
    findings = run(
        tmp_path,
        "vehicle_owner_deceased",
        {
            "residents": [resident("1", "dead", unit=U2)],
            "src_vehicle": [
                vehicle("v1", "dead", plate="鲁A00001"),
                vehicle("v2", "dead", plate="鲁A00002"),
                vehicle("v3", "dead", plate="鲁A00003", status="cancelled"),
                vehicle("v4", "alive"),
                vehicle("v5", "later"),
            ],
            "src_ca_death": [death("d1", "dead"), death("d2", "later", on=dt.date(2026, 7, 1))],
        },
    )
    # the registry's unit is more specific than the death register's community
    assert found(findings) == {
        "pid:dead": (U2, [("src_vehicle", "v1"), ("src_vehicle", "v2"), ("src_ca_death", "d1")]),
    }
    assert findings[0].evidence == {
        "vehicles": 2,
        "death_date": "2026-02-01",
        "latest_registration": "2020-01-01",
    }


def test_vehicle_owner_unregistered(tmp_path):
    findings = run(
        tmp_path,
        "vehicle_owner_unregistered",
        {
            "residents": [resident("1", "live"), resident("2", "left", unit=U3, active=False)],
            "src_ps_household": [ps_household("h1", "hukou")],
            "src_ps_floating": [floating("f1", "float")],
            "src_ca_death": [death("d1", "dead")],
            "src_vehicle": [
                vehicle("v1", "live"),
                vehicle("v2", "hukou"),
                vehicle("v3", "float"),
                vehicle("v4", "dead"),  # the deceased-owner rule's
                vehicle("v5", "left"),
                vehicle("v6", "stranger"),
                vehicle("v7", "stranger2", status="cancelled"),
            ],
        },
    )
    assert found(findings) == {
        "pid:left": (U3, [("src_vehicle", "v5")]),
        "pid:stranger": (CITY, [("src_vehicle", "v6")]),  # nothing says where: the city
    }
    assert {f.subject_key: f.evidence["vehicles"] for f in findings} == {"pid:left": 1, "pid:stranger": 1}


def test_subsistence_vehicle(tmp_path):
    findings = run(
        tmp_path,
        "subsistence_vehicle",
        {
            "src_ca_subsistence": [
                subsistence("s1", "poor", community=C2),
                subsistence("s2", "stopped", status="stopped"),
                subsistence("s3", "carless"),
            ],
            "src_vehicle": [
                vehicle("v1", "poor"),
                vehicle("v2", "stopped"),
                vehicle("v3", "poor", status="cancelled"),
                vehicle("v4", "rich"),
            ],
        },
    )
    assert found(findings) == {"pid:poor": (C2, [("src_ca_subsistence", "s1"), ("src_vehicle", "v1")])}
    assert findings[0].evidence == {"vehicles": 1, "vehicle_types": ["小型轿车"], "monthly_amount": 640.0}


def test_subsistence_multi_property(tmp_path):
    findings = run(
        tmp_path,
        "subsistence_multi_property",
        {
            "src_ca_subsistence": [
                subsistence("s1", "two"),
                subsistence("s2", "one"),
                subsistence("s3", "off", status="stopped"),
            ],
            "src_housing_property": [
                prop("p1", "two"),
                prop("p2", "two", community=C2),
                prop("p3", "one"),
                prop("p4", "off"),
                prop("p5", "off"),
            ],
        },
    )
    assert found(findings) == {
        "pid:two": (
            C1,
            [("src_ca_subsistence", "s1"), ("src_housing_property", "p1"), ("src_housing_property", "p2")],
        )
    }
    assert findings[0].evidence["properties"] == 2


def test_deceased_allowance(tmp_path):
    findings = run(
        tmp_path,
        "deceased_allowance",
        {
            "src_ca_death": [death("d1", "both"), death("d2", "stopped"), death("d3", "disab", community=C2)],
            "src_ca_subsistence": [
                subsistence("s1", "both"),
                subsistence("s2", "stopped", status="stopped"),
                subsistence("s3", "alive"),
            ],
            "src_ca_disability": [
                disability("x1", "both"),
                disability("x2", "disab"),
                disability("x3", "stopped", allowance=False),
            ],
        },
    )
    assert found(findings) == {
        "pid:both": (
            C1,
            [("src_ca_death", "d1"), ("src_ca_disability", "x1"), ("src_ca_subsistence", "s1")],
        ),
        "pid:disab": (C2, [("src_ca_death", "d3"), ("src_ca_disability", "x2")]),
    }
    evidence = {f.subject_key: f.evidence for f in findings}
    assert evidence["pid:both"] == {"death_date": "2026-02-01", "allowances": ["disability", "subsistence"]}


def test_deceased_allowance_runs_without_the_optional_sources(tmp_path):
    findings = run(
        tmp_path,
        "deceased_allowance",
        {"src_ca_death": [death("d1", "a")], "src_ca_subsistence": [subsistence("s1", "a")]},
    )
    assert [f.subject_key for f in findings] == ["pid:a"]


def test_deceased_in_household(tmp_path):
    findings = run(
        tmp_path,
        "deceased_in_household",
        {
            "residents": [
                resident("1", "still", unit=U2),
                resident("2", "removed", active=False),
                resident("3", "alive"),
            ],
            "src_ps_household": [
                ps_household("h1", "still"),
                ps_household("h2", "hukou_only", community=C3),
                ps_household("h3", "removed", status="cancelled"),
            ],
            "src_ca_death": [death("d1", "still"), death("d2", "removed"), death("d3", "hukou_only")],
        },
    )
    assert found(findings) == {
        "pid:still": (U2, [("src_ca_death", "d1"), ("residents", "1"), ("src_ps_household", "h1")]),
        "pid:hukou_only": (C3, [("src_ca_death", "d3"), ("src_ps_household", "h2")]),
    }
    evidence = {f.subject_key: f.evidence for f in findings}
    assert evidence["pid:still"]["still_listed_in"] == ["ps_household", "registry"]


def test_multi_community(tmp_path):
    findings = run(
        tmp_path,
        "multi_community",
        {
            "residents": [
                resident("1", "moved", unit=U1),
                resident("2", "split", unit=U1),  # 人户分离: lives in C1, household register in C3
                resident("3", "far", unit=U1),
                resident("4", "same", unit=U1),
                resident("5", "left", unit=U1, active=False),
            ],
            "src_ps_floating": [
                floating("f1", "moved", community=C2),
                floating("f2", "far", community=C3),
                floating("f3", "same", community=C1),
                floating("f4", "left", community=C2),  # the registry row is no longer active
                floating("f5", "twice", community=C1),
                floating("f6", "twice", community=C2),
            ],
            "src_ps_household": [ps_household("h1", "split", community=C3)],
        },
    )
    # the area is what the communities share: the street, or the city across districts
    assert found(findings) == {
        "pid:moved": (STREET, [("residents", "1"), ("src_ps_floating", "f1")]),
        "pid:twice": (STREET, [("src_ps_floating", "f5"), ("src_ps_floating", "f6")]),
        "pid:far": (CITY, [("residents", "3"), ("src_ps_floating", "f2")]),
    }
    evidence = {f.subject_key: f.evidence for f in findings}
    assert evidence["pid:moved"] == {"communities": [C1, C2]}


def test_elderly_alone_no_liaison(tmp_path):
    tags = [
        {"key": str(i), "resident_key": key, "pid": None, "tag": "living_alone"}
        for i, key in enumerate("12346")
    ]
    findings = run(
        tmp_path,
        "elderly_alone_no_liaison",
        {
            "households": [
                household("h1", number="101"),
                household("h2", number="102"),
                household("h3", number="103"),
                household("h4", number="104"),
                household("h6", number="106", active=False),
            ],
            "residents": [
                resident("1", "alone80", household="h1", birth=dt.date(1946, 6, 30)),  # 80 today
                resident("2", "young", household="h2", birth=dt.date(1946, 7, 1)),  # 80 tomorrow
                resident("3", "linked", household="h3", birth=dt.date(1930, 1, 1)),
                resident("4", "old", household="h4", birth=dt.date(1930, 1, 1), active=False),
                resident("5", "untagged", household="h1", birth=dt.date(1930, 1, 1)),
                resident("6", "empty_hh", household="h6", birth=dt.date(1930, 1, 1)),
            ],
            "resident_tags": tags,
            "src_liaison": [liaison("l1", "cadre", room="103"), liaison("l2", "cadre", room="101", unit=U2)],
        },
    )
    assert found(findings) == {"pid:alone80": (U1, [("residents", "1"), ("households", "h1")])}
    assert findings[0].evidence == {"age": 80}


def test_liaison_household_gone(tmp_path):
    findings = run(
        tmp_path,
        "liaison_household_gone",
        {
            "households": [
                household("h1", number="101"),
                household("h2", number="102", active=False),
                household("h3", number="103"),
                household("h4", number="104"),
            ],
            "residents": [
                resident("1", "a", household="h1"),
                resident("2", "b", household="h2"),
                resident("3", "c", household="h3", active=False),
            ],
            "src_liaison": [
                liaison("l1", "x", room="101"),
                liaison("l2", "x", room="102"),
                liaison("l3", "y", room="102", kind="committee"),
                liaison("l4", "x", room="103"),
                liaison("l5", "x", room="999"),
                liaison("l6", "x", room="101", unit=U2),
            ],
        },
    )
    assert found(findings) == {
        f"household:{U1}/102": (U1, [("src_liaison", "l2"), ("src_liaison", "l3"), ("households", "h2")]),
        f"household:{U1}/103": (U1, [("src_liaison", "l4"), ("households", "h3")]),
        f"household:{U1}/999": (U1, [("src_liaison", "l5")]),
        f"household:{U2}/101": (U2, [("src_liaison", "l6")]),
    }
    reasons = {f.subject_key: f.evidence["reason"] for f in findings}
    assert reasons == {
        f"household:{U1}/102": "deregistered",
        f"household:{U1}/103": "no_residents",
        f"household:{U1}/999": "missing",
        f"household:{U2}/101": "missing",
    }
    assert {f.subject_key: f.evidence["kinds"] for f in findings}[f"household:{U1}/102"] == [
        "cadre",
        "committee",
    ]


def test_staff_grid_outside_community(tmp_path):
    findings = run(
        tmp_path,
        "staff_grid_outside_community",
        {
            "staff": [
                {
                    "key": "1",
                    "pid": "ok",
                    "community": C1,
                    "area_path": C1,
                    "post": "grid_worker",
                    "is_active": True,
                },
                {
                    "key": "2",
                    "pid": "off",
                    "community": C1,
                    "area_path": C1,
                    "post": "grid_worker",
                    "is_active": True,
                },
                {
                    "key": "3",
                    "pid": "left",
                    "community": C1,
                    "area_path": C1,
                    "post": "secretary",
                    "is_active": False,
                },
            ],
            "staff_grids": [
                {
                    "key": "assignment:1",
                    "staff_key": "1",
                    "grid": G1,
                    "kind": "assignment",
                    "started_on": AS_OF,
                },
                {
                    "key": "assignment:2",
                    "staff_key": "2",
                    "grid": G2,
                    "kind": "assignment",
                    "started_on": AS_OF,
                },
                {"key": "link:1", "staff_key": "3", "grid": G3, "kind": "link", "started_on": AS_OF},
            ],
            "src_staff": [
                record("s1", "roster", post="网格员", community=C2, grid=G1),
                record("s2", "fine", post="网格员", community=C2, grid=G2),
                record("s3", "nogrid", post="社区书记", community=C2, grid=None),
            ],
        },
    )
    assert found(findings) == {
        "pid:off": (C1, [("staff", "2"), ("staff_grids", "assignment:2")]),
        "pid:roster": (C2, [("src_staff", "s1")]),
    }
    assert {f.subject_key: f.evidence for f in findings}["pid:off"] == {"communities": [C1], "grids": [G2]}


def test_dual_report_no_residence(tmp_path):
    def member(key, pid, dual=C1, *, in_service=True, active=True):
        return {
            "key": key,
            "pid": pid,
            "area_path": dual,
            "in_service": in_service,
            "dual_community": dual,
            "dual_registered_on": dt.date(2024, 1, 1),
            "is_active": active,
        }

    findings = run(
        tmp_path,
        "dual_report_no_residence",
        {
            "party_members": [
                member("1", "lives"),
                member("2", "elsewhere"),
                member("3", "tenant"),
                member("4", "owner"),
                member("5", "nowhere"),
                member("6", "retired", in_service=False),
                member("7", "lapsed", active=False),
            ],
            "residents": [resident("1", "lives", unit=U1), resident("2", "elsewhere", unit=U2)],
            "src_housing_rental": [lease("r1", "tenant", community=C1)],
            "src_housing_property": [prop("p1", "owner", community=C1)],
        },
    )
    assert found(findings) == {
        "pid:elsewhere": (C1, [("party_members", "2"), ("residents", "2")]),
        "pid:nowhere": (C1, [("party_members", "5")]),
    }
    evidence = {f.subject_key: f.evidence for f in findings}
    assert evidence["pid:elsewhere"] == {"dual_registered_on": "2024-01-01", "registry_community": C2}


def test_every_rule_has_a_test_here():
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    assert {r.code for r in rules.RULES} <= tested


# --- the rule definitions ---------------------------------------------------------------------------------
def test_rule_definitions_are_complete():
    codes = [r.code for r in rules.RULES]
    assert len(codes) == len(set(codes)) == 13
    for rule in rules.RULES:
        assert rule.severity in rules.SEVERITIES
        assert str(rule.name) and str(rule.description)
        assert set(rule.required) <= set(rule.sources) <= set(extracts.SOURCE_CODES)
        for code in rule.sources:  # a source the rule says it reads is in its query, and the reverse
            assert f"src_{code}" in rule.sql
        read = set(re.findall(r"src_(\w+)", rule.sql))
        assert read == set(rule.sources), rule.code
        assert "id_number" not in rule.sql and "id_cipher" not in rule.sql


def test_select_refuses_unknown_codes():
    with pytest.raises(ValueError, match="no_such_rule"):
        rules.select(["deceased_allowance", "no_such_rule"])
    assert [r.code for r in rules.select(["multi_community", "deceased_allowance"])] == [
        "deceased_allowance",
        "multi_community",
    ]


def test_a_rule_without_its_required_source_is_skipped(tmp_path):
    # no liaison batch: every elderly resident living alone would be "without a liaison"
    tables = {
        "households": [household("h1")],
        "residents": [resident("1", "old", household="h1", birth=dt.date(1930, 1, 1))],
        "resident_tags": [{"key": "1", "resident_key": "1", "pid": "old", "tag": "living_alone"}],
    }
    assert run(tmp_path, "elderly_alone_no_liaison", tables) == []
    assert engine.skipped_rules(
        tmp_path, ["elderly_alone_no_liaison", "multi_community", "deceased_allowance"]
    ) == {
        "elderly_alone_no_liaison": ["liaison"],
        "multi_community": ["ps_floating"],
        "deceased_allowance": ["ca_death"],
    }
    assert [
        f.subject_key for f in run(tmp_path, "elderly_alone_no_liaison", {**tables, "src_liaison": []})
    ] == ["pid:old"]
