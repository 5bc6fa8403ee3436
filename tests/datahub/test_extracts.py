"""Extracts from the database (the registry and the sources' current batches) and the rules over them,
end to end: registry rows made through the people services, batches received through the exchange.

No clear ID number (nor name) may reach an extract: the files' bytes and every decoded cell are searched
for the plaintext numbers the test used.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from gridgov.core.actors import SystemActor
from gridgov.datahub import engine, extracts
from gridgov.datahub.services import exchange
from gridgov.datahub.sources import spec
from gridgov.party.models import PartyMember
from gridgov.people import services as people_services
from gridgov.people.models import Household, Resident, ResidentTag
from gridgov.workforce.models import GridAssignment, Staff

SYSTEM = SystemActor("tests.datahub.extracts")
AS_OF = dt.date(2026, 6, 30)


def push(code: str, rows: list[dict], batch_id: str) -> None:
    """One batch through the exchange (CSV, UTF-8), as a department would send it."""
    source = spec(code)
    lines = [",".join(source.headers)]
    for row in rows:
        lines.append(",".join(str(row.get(c.key, "")) for c in source.columns))
    content = ("\n".join(lines) + "\n").encode()
    exchange.receive_batch(SYSTEM, code, content=content, filename=f"{code}.csv", batch_id=batch_id)


@pytest.fixture
def world(city, tags):
    r = city.residents  # residents[2i] heads (born 1985 - 7i), residents[2i + 1] children, unit i
    people_services.update_resident(SYSTEM, r[14], tags=[tags["living_alone"]])  # born 1936, no liaison
    people_services.update_resident(SYSTEM, r[12], tags=[tags["party_member"], tags["living_alone"]])
    dead, dead_number = r[0], city.id_numbers[r[0].pk]
    push(
        "ca_death",
        [{"name": dead.name, "id_number": dead_number, "death_date": "2025-01-01", "certificate_no": "D1"}],
        "death-1",
    )
    push(
        "ca_subsistence",
        [
            {
                "name": dead.name,
                "id_number": dead_number,
                "community_code": city.communities[0].path,
                "address": "东一社区1号楼",
                "family_size": 1,
                "monthly_amount": "640.00",
                "start_date": "2024-01-01",
                "status": "paying",
            }
        ],
        "sub-1",
    )
    push(
        "liaison",
        [
            {
                "name": "王干部",
                "kind": "cadre",
                "unit_code": city.units[6].path,
                "room_no": "101",
                "assigned_on": "2025-01-01",
            },
            {
                "name": "王干部",
                "kind": "cadre",
                "unit_code": city.units[0].path,
                "room_no": "999",
                "assigned_on": "2025-01-01",
            },
        ],
        "liaison-1",
    )
    # a grid worker of 东一社区 posted on a grid of 东二社区 (re-zoning can leave this behind)
    staff = Staff.objects.create(
        resident=r[3],
        community=city.communities[0],
        area_path=city.communities[0].path,
        post="grid_worker",
        education="bachelor",
        hired_on=dt.date(2020, 1, 1),
        category="worker",
    )
    GridAssignment.objects.create(
        staff=staff, grid=city.grids[2], area_path=city.grids[2].path, started_on=AS_OF
    )
    # 双报到: one member registered where nobody knows they live, one where they do
    for resident, community in ((r[4], city.communities[0]), (r[8], city.communities[2])):
        PartyMember.objects.create(
            resident=resident,
            in_service=True,
            workplace="市某局机关党委",
            dual_community=community,
            dual_registered_on=dt.date(2024, 1, 1),
            area_path=community.path,
        )
    return city


def _pid(resident: Resident) -> str:
    return Resident.objects.unscoped("test fixture").get(pk=resident.pk).id_index


def test_rules_over_the_database_end_to_end(world, tmp_path):
    files = extracts.write_extracts(tmp_path, as_of=AS_OF)
    assert set(files) == set(extracts.SCHEMAS)
    findings = engine.run_rules(tmp_path)
    r = world.residents
    got = {
        (f.rule, f.subject_key, f.area_path, tuple((x["table"], x["key"]) for x in f.records))
        for f in findings
    }
    death_key = pq.read_table(files["src_ca_death"])["key"][0].as_py()
    sub_key = pq.read_table(files["src_ca_subsistence"])["key"][0].as_py()
    liaison = {row["room_no"]: row["key"] for row in pq.read_table(files["src_liaison"]).to_pylist()}
    staff = Staff.objects.unscoped("test fixture").get(resident=r[3])
    spell = GridAssignment.objects.unscoped("test fixture").get(staff=staff)
    member = PartyMember.objects.unscoped("test fixture").get(resident=r[4])
    household_14 = str(r[14].household_id)
    assert got == {
        (
            "deceased_allowance",
            f"pid:{_pid(r[0])}",
            world.units[0].path,
            (("src_ca_death", death_key), ("src_ca_subsistence", sub_key)),
        ),
        (
            "deceased_in_household",
            f"pid:{_pid(r[0])}",
            world.units[0].path,
            (("src_ca_death", death_key), ("residents", str(r[0].pk))),
        ),
        (
            "elderly_alone_no_liaison",
            f"pid:{_pid(r[14])}",
            world.units[7].path,
            (("residents", str(r[14].pk)), ("households", household_14)),
        ),
        (
            "liaison_household_gone",
            f"household:{world.units[0].path}/999",
            world.units[0].path,
            (("src_liaison", liaison["999"]),),
        ),
        (
            "staff_grid_outside_community",
            f"pid:{_pid(r[3])}",
            world.communities[0].path,
            (("staff", str(staff.pk)), ("staff_grids", f"assignment:{spell.pk}")),
        ),
        (
            "dual_report_no_residence",
            f"pid:{_pid(r[4])}",
            world.communities[0].path,
            (("party_members", str(member.pk)), ("residents", str(r[4].pk))),
        ),
    }
    # the rules needing sources nobody delivered were skipped, not run against empty tables
    skipped = engine.skipped_rules(tmp_path)
    assert skipped["vehicle_owner_deceased"] == ["vehicle"]
    assert "deceased_allowance" not in skipped


def test_extract_tables_hold_the_registry(world, tmp_path):
    files = extracts.write_extracts(tmp_path, as_of=AS_OF)
    manifest = extracts.read_manifest(tmp_path)
    residents = pq.read_table(files["residents"]).to_pylist()
    assert len(residents) == Resident.objects.unscoped("test fixture").count()
    assert manifest["tables"]["residents"]["rows"] == len(residents)
    assert manifest["as_of"] == "2026-06-30"
    row = next(x for x in residents if x["key"] == str(world.residents[14].pk))
    assert row == {
        "key": str(world.residents[14].pk),
        "pid": _pid(world.residents[14]),
        "household_key": str(world.residents[14].household_id),
        "area_path": world.units[7].path,
        "birth_date": dt.date(1936, 3, 15),
        "sex": row["sex"],
        "relation": "head",
        "is_active": True,
    }
    assert len(pq.read_table(files["households"])) == Household.objects.unscoped("test fixture").count()
    tags = {(t["resident_key"], t["tag"]) for t in pq.read_table(files["resident_tags"]).to_pylist()}
    assert (str(world.residents[14].pk), "living_alone") in tags
    assert len(tags) == ResidentTag.objects.count()
    spells = pq.read_table(files["staff_grids"]).to_pylist()
    assert [(s["grid"], s["kind"]) for s in spells] == [(world.grids[2].path, "assignment")]
    members = {m["pid"]: m["dual_community"] for m in pq.read_table(files["party_members"]).to_pylist()}
    assert members[_pid(world.residents[4])] == world.communities[0].path
    # the sources: what was delivered, with its batch; the rest empty but with their schema
    assert manifest["sources"]["ca_death"]["batch_id"] == "death-1"
    assert manifest["sources"]["vehicle"] is None
    assert pq.read_table(files["src_vehicle"]).schema.names == extracts.SCHEMAS["src_vehicle"].names
    assert len(pq.read_table(files["src_vehicle"])) == 0
    liaison = pq.read_table(files["src_liaison"]).to_pylist()
    assert sorted(x["room_no"] for x in liaison) == ["101", "999"]
    assert all(x["pid"] is None for x in liaison)  # no ID given: NULL, never ""


def _id_cells(files: dict, needles: set[str]) -> list[str]:
    hits = []
    for name, path in files.items():
        for column in pq.read_table(path).columns:
            for value in column.to_pylist():
                if isinstance(value, str) and any(n in value for n in needles):
                    hits.append(f"{name}: {value}")
    return hits


def test_no_clear_id_number_or_name_in_any_extract(world, tmp_path):
    files = extracts.write_extracts(tmp_path, as_of=AS_OF)
    numbers = set(world.id_numbers.values())
    names = {r.name for r in world.all_residents}
    assert len(numbers) == len(world.all_residents) > 10
    for path in [*files.values(), tmp_path / extracts.MANIFEST]:
        data = path.read_bytes()
        for needle in numbers | names:
            assert needle.encode() not in data, f"{needle} in {path.name}"
    assert _id_cells(files, numbers | names) == []
    # the cell check finds a number that is there (the search can fail)
    leaked = extracts.write_tables(
        tmp_path / "leak", {"residents": [{"key": "1", "pid": next(iter(numbers))}]}, as_of=AS_OF
    )
    assert len(_id_cells(leaked, numbers)) == 1


def test_selected_sources_only(world, tmp_path):
    extracts.write_extracts(tmp_path, sources=["ca_death"], as_of=AS_OF)
    manifest = extracts.read_manifest(tmp_path)
    assert [code for code, batch in manifest["sources"].items() if batch] == ["ca_death"]
    assert manifest["tables"]["src_ca_subsistence"]["rows"] == 0
    assert engine.skipped_rules(tmp_path, ["elderly_alone_no_liaison"]) == {
        "elderly_alone_no_liaison": ["liaison"]
    }


def test_an_unknown_source_writes_nothing(world, tmp_path):
    with pytest.raises(ValueError, match="no_such_source"):
        extracts.write_extracts(tmp_path / "x", sources=["ca_death", "no_such_source"])
    assert not (tmp_path / "x").exists()


def test_progress_is_reported_per_table(world, tmp_path):
    seen = []
    extracts.write_extracts(tmp_path, progress=lambda stage, done, total: seen.append((done, total)))
    total = len(extracts.SCHEMAS)
    assert seen == [(n, total) for n in range(1, total + 1)]
    assert json.loads((tmp_path / extracts.MANIFEST).read_text())["as_of"]
