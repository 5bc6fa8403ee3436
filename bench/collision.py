"""Collision comparison (碰撞比对) at city scale: the 13 deterministic rules, three ways, same run.

The extract tables are synthesised directly with numpy/pyarrow in the schemas of datahub.extracts (no
database): a city of 293 communities, 4,395 grids and 52,740 units; `--persons` residents (default
1,200,000 — scale 1.0) in about 0.4 × as many households, with the public-security, housing, vehicle,
civil-affairs, staff and liaison extracts around them (about 2.1 million source rows at scale 1.0).
The background is consistent by construction; every rule then gets `k` planted inconsistencies
(k = persons / 6,000, at least 20), so the expected findings are known exactly.

ours  : datahub.engine.run_rules — all rules on one DuckDB connection over views of the Parquet files,
        with the areas resolved, the evidence and the content fingerprints of every finding.
floor : the same rules as bare hand-written DuckDB anti-/semi-joins on the same views, returning only
        the subject keys (no records, evidence, areas or fingerprints): what the joins alone cost.
naive : the obvious pandas implementation — read the Parquet files into DataFrames, then merge/isin/
        groupby per rule.
All three must return the same (rule, subject) set, equal to the planted truth, or the run stops.

Probabilistic stage (datahub.linkage, Splink on DuckDB): `--linkage-persons` synthetic people with
planted typo/homophone duplicates and namesakes (datahub.synth), comparisons per second, recall and
precision against the planted pairs (`--linkage-persons 0` skips it).

    python bench/collision.py [--persons 1200000] [--quick] [--runs 1] [--linkage-persons 50000]

`--quick` is --persons 100000 --linkage-persons 10000 (what `make bench` runs). Last line:
`ratio: N` = naive time / ours for the deterministic rules.
"""

from __future__ import annotations

import argparse
import binascii
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

AS_OF = dt.date(2026, 6, 30)
EPOCH = dt.date(1970, 1, 1)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


# --- synthesis -------------------------------------------------------------------------------------------------
def _days(d: dt.date) -> int:
    return (d - EPOCH).days


class City:
    """The synthetic extracts and the planted truth {(rule, subject_key)}."""

    def __init__(self, persons: int, seed: int) -> None:
        import numpy as np
        import pyarrow as pa

        self.np, self.pa = np, pa
        self.rng = np.random.default_rng(seed)
        self.tables: dict[str, object] = {}
        self.truth: set[tuple[str, str]] = set()
        self.k = max(20, persons // 6000)
        self._areas()
        self._people(persons)
        self._sources()

    # helpers
    def hex_ids(self, n: int):
        raw = binascii.hexlify(self.rng.bytes(32 * n))
        return self.np.frombuffer(raw, dtype="S64").astype(str).astype(object)

    def keys(self, prefix: str, n: int):
        return self.np.array([f"{prefix}{i}" for i in range(n)], dtype=object)

    def dates(self, start: dt.date, end: dt.date, n: int):
        return self.pa.array(
            self.rng.integers(_days(start), _days(end) + 1, n).astype("int32"), self.pa.int32()
        ).cast(self.pa.date32())

    def const_date(self, d: dt.date, n: int):
        return self.pa.array(self.np.full(n, _days(d), dtype="int32"), self.pa.int32()).cast(self.pa.date32())

    def table(self, name: str, columns: dict) -> None:
        from gridgov.datahub.extracts import SCHEMAS

        schema = SCHEMAS[name]
        arrays = []
        n = None
        for field in schema:
            value = columns[field.name]
            if not isinstance(value, self.pa.Array | self.pa.ChunkedArray):
                value = self.pa.array(value, type=field.type, from_pandas=True)
            arrays.append(value.cast(field.type))
            n = len(value) if n is None else n
            assert len(value) == n, (name, field.name)
        self.tables[name] = self.pa.Table.from_arrays(arrays, schema=schema)

    def plant(self, rule: str, subjects) -> None:
        self.truth.update((rule, s) for s in subjects)

    # the area tree: 10 districts × 6 streets (+ 33 more streets), 293 communities, 15 grids, 4 buildings, 3 units
    def _areas(self) -> None:
        np = self.np
        city = "3799"
        districts = [f"{city}{d:02d}" for d in range(1, 11)]
        streets = [f"{d}{s:03d}" for d in districts for s in range(1, 7)][:60]
        communities = [f"{streets[i % 60]}{i // 60 + 1:03d}" for i in range(293)]
        grids = [f"{c}{g:03d}" for c in communities for g in range(1, 16)]
        buildings = [f"{g}{b:03d}" for g in grids for b in range(1, 5)]
        units = [f"{b}{u:02d}" for b in buildings for u in range(1, 4)]
        paths = [city, *districts, *streets, *communities, *grids, *buildings, *units]
        levels = (
            [1] + [2] * 10 + [3] * 60 + [4] * 293 + [5] * len(grids) + [6] * len(buildings) + [7] * len(units)
        )
        self.communities = np.array(communities, dtype=object)
        self.grids = np.array(grids, dtype=object)
        self.units = np.array(units, dtype=object)
        self.table(
            "areas",
            {
                "key": self.keys("a", len(paths)),
                "path": paths,
                "level": levels,
                "is_active": np.ones(len(paths), bool),
            },
        )

    def _people(self, persons: int) -> None:
        np, rng = self.np, self.rng
        sizes = rng.choice([1, 2, 3, 4], size=persons // 2, p=[0.3, 0.3, 0.25, 0.15])
        cum = np.cumsum(sizes)
        n_households = int(np.searchsorted(cum, persons)) + 1
        sizes = sizes[:n_households]
        sizes[-1] -= cum[n_households - 1] - persons
        unit_of = np.sort(rng.integers(0, len(self.units), n_households))
        first = np.r_[0, np.flatnonzero(np.diff(unit_of)) + 1]
        rank = np.arange(n_households) - np.repeat(first, np.diff(np.r_[first, n_households]))
        self.hh_unit = self.units[unit_of]
        self.hh_number = np.array([str(101 + r) for r in rank], dtype=object)
        self.table(
            "households",
            {
                "key": self.keys("", n_households),
                "area_path": self.hh_unit,
                "number": self.hh_number,
                "is_active": np.ones(n_households, bool),
            },
        )
        n = int(sizes.sum())
        self.n = n
        self.household = np.repeat(np.arange(n_households), sizes)
        self.head = np.zeros(n, bool)
        self.head[np.r_[0, np.cumsum(sizes)[:-1]]] = True
        self.pid = self.hex_ids(n)
        self.area = self.hh_unit[self.household]
        self.community = np.array([a[:12] for a in self.area], dtype=object)
        self.birth = rng.integers(_days(dt.date(1950, 1, 1)), _days(dt.date(2024, 12, 31)), n).astype("int32")
        self.active = np.ones(n, bool)
        # disjoint pools of residents, each with its own part in the background and the plants
        k = self.k
        order = rng.permutation(np.flatnonzero(~self.head))
        heads = rng.permutation(np.flatnonzero(self.head))
        cursor = {"nh": 0, "h": 0}

        def pool(size: int, from_heads: bool = False):
            key, src = ("h", heads) if from_heads else ("nh", order)
            out = src[cursor[key] : cursor[key] + size]
            cursor[key] += size
            assert len(out) == size, "too few persons for the pools"
            return out

        self.deceased_bg = pool(int(n * 0.006))
        self.deceased_vehicle = pool(k)
        self.deceased_allow = pool(k)
        self.moved = pool(int(n * 0.01))
        self.active[np.r_[self.deceased_bg, self.deceased_vehicle, self.deceased_allow, self.moved]] = False
        self.dead_active = pool(k)  # planted: death registered, still an active resident
        self.recipients = pool(int(n * 0.015)) if n * 0.015 > 3 * k else pool(3 * k)
        self.recip_vehicle, self.recip_property = self.recipients[:k], self.recipients[k : 2 * k]
        self.multi = pool(k)
        self.staff_people = pool(len(self.grids) + 2 * k + 2000)
        self.members = pool(int(n * 0.05))
        self.disabled = pool(int(n * 0.02))
        self.elderly_alone = pool(int(n * 0.008) + k, from_heads=True)
        self.birth[self.elderly_alone] = rng.integers(
            _days(dt.date(1926, 1, 1)), _days(dt.date(1944, 12, 31)), len(self.elderly_alone)
        )
        rest = np.r_[order[cursor["nh"] :], heads[cursor["h"] :]]
        self.owners = rest[rng.random(len(rest)) < 0.35]
        self.drivers = rest[rng.random(len(rest)) < 0.25]
        self.tenants = rest[rng.random(len(rest)) < 0.03]
        self.table(
            "residents",
            {
                "key": self.keys("", n),
                "pid": self.pid,
                "household_key": self.household.astype(str).astype(object),
                "area_path": self.area,
                "birth_date": self.pa.array(self.birth, self.pa.int32()).cast(self.pa.date32()),
                "sex": np.where(rng.random(n) < 0.5, "M", "F").astype(object),
                "relation": np.where(self.head, "head", "child").astype(object),
                "is_active": self.active,
            },
        )
        alone = self.elderly_alone
        self.table(
            "resident_tags",
            {
                "key": self.keys("t", len(alone)),
                "resident_key": alone.astype(str).astype(object),
                "pid": self.pid[alone],
                "tag": np.full(len(alone), "living_alone", dtype=object),
            },
        )
        self.plant("elderly_alone_no_liaison", ("pid:" + self.pid[alone[:k]]).tolist())
        # party members: in-service ones registered (双报到) where they live; k planted elsewhere
        m = self.members
        in_service = rng.random(len(m)) < 0.4
        dual = np.where(in_service, self.community[m], None).astype(object)
        planted = np.flatnonzero(in_service)[:k]
        dual[planted] = self.other_community(self.community[m[planted]])
        self.plant("dual_report_no_residence", ("pid:" + self.pid[m[planted]]).tolist())
        self.table(
            "party_members",
            {
                "key": self.keys("m", len(m)),
                "pid": self.pid[m],
                "area_path": self.community[m],
                "in_service": in_service,
                "dual_community": dual,
                "dual_registered_on": self.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31), len(m)),
                "is_active": np.ones(len(m), bool),
            },
        )
        self._staff()

    def other_community(self, communities):
        np = self.np
        index = {c: i for i, c in enumerate(self.communities)}
        shift = self.rng.integers(1, len(self.communities), len(communities))
        return np.array(
            [
                self.communities[(index[c] + s) % len(self.communities)]
                for c, s in zip(communities, shift, strict=True)
            ],
            dtype=object,
        )

    def _staff(self) -> None:
        np, k = self.np, self.k
        people = self.staff_people
        workers, committee, roster_bad = people[: len(self.grids)], people[len(self.grids) : -k], people[-k:]
        grid_community = np.array([g[:12] for g in self.grids], dtype=object)
        # one grid worker per grid, of the grid's community; k of them posted on a grid of another community
        posted = self.grids.copy()
        moved = self.rng.choice(len(self.grids), k, replace=False)
        posted[moved] = self.grids[(moved + 15 * 7) % len(self.grids)]  # seven communities further on
        assert all(not posted[i].startswith(grid_community[i]) for i in moved)
        self.plant("staff_grid_outside_community", ("pid:" + self.pid[workers[moved]]).tolist())
        # committee members linked to a grid of their own community
        link_grid = self.rng.choice(len(self.grids), len(committee))
        staff_pid = np.r_[self.pid[workers], self.pid[committee]]
        staff_community = np.r_[grid_community, grid_community[link_grid]]
        n_staff = len(staff_pid)
        self.table(
            "staff",
            {
                "key": self.keys("", n_staff),
                "pid": staff_pid,
                "community": staff_community,
                "area_path": staff_community,
                "post": np.r_[
                    np.full(len(workers), "grid_worker", object),
                    np.full(len(committee), "committee_member", object),
                ],
                "is_active": np.ones(n_staff, bool),
            },
        )
        self.table(
            "staff_grids",
            {
                "key": np.r_[self.keys("assignment:", len(workers)), self.keys("link:", len(committee))],
                "staff_key": np.r_[np.arange(len(workers)), len(workers) + np.arange(len(committee))]
                .astype(str)
                .astype(object),
                "grid": np.r_[posted, self.grids[link_grid]],
                "kind": np.r_[
                    np.full(len(workers), "assignment", object), np.full(len(committee), "link", object)
                ],
                "started_on": self.const_date(dt.date(2024, 1, 1), n_staff),
            },
        )
        # the department's roster: every grid worker on their real grid, plus k persons whose grid is outside
        bad_grid = self.rng.choice(len(self.grids), k)
        roster_pid = np.r_[self.pid[workers], self.pid[roster_bad]]
        roster_community = np.r_[grid_community, self.other_community(grid_community[bad_grid])]
        roster_grid = np.r_[self.grids, self.grids[bad_grid]]
        self.plant("staff_grid_outside_community", ("pid:" + self.pid[roster_bad]).tolist())
        self.table(
            "src_staff",
            self.person_cols("st", roster_pid)
            | {
                "post": np.full(len(roster_pid), "网格员", object),
                "community": roster_community,
                "grid": roster_grid,
            },
        )

    def person_cols(self, prefix: str, pids) -> dict:
        n = len(pids)
        return {
            "key": self.keys(prefix, n),
            "batch": self.np.ones(n, "int64"),
            "pid": pids,
            "birth_date": self.pa.nulls(n, self.pa.date32()),
            "sex": self.pa.nulls(n, self.pa.string()),
        }

    def _sources(self) -> None:
        np, rng, k, pid = self.np, self.rng, self.k, self.pid
        active_idx = np.flatnonzero(self.active)
        # public-security household register: active residents normal (a few missing), the moved out, the dead
        registered = active_idx[rng.random(len(active_idx)) < 0.97]
        dead_inactive = np.r_[self.deceased_bg, self.deceased_vehicle, self.deceased_allow]
        hh_idx = np.r_[registered, self.moved, dead_inactive]
        status = np.r_[
            np.full(len(registered), "normal", object),
            np.full(len(self.moved), "moved_out", object),
            np.full(len(dead_inactive), "cancelled", object),
        ]
        dead_active = self.dead_active
        status[np.isin(hh_idx, dead_active)] = "normal"  # planted: their household register still lists them
        self.table(
            "src_ps_household",
            self.person_cols("h", pid[hh_idx])
            | {
                "relation": np.where(self.head[hh_idx], "户主", "子女").astype(object),
                "community": self.community[hh_idx],
                "status": status,
            },
        )
        # floating population: outsiders, each with an open lease; k without any housing; k residents
        # registered as floating in another community too (with a lease there)
        n_float = int(self.n * 0.1)
        float_pid = self.hex_ids(n_float + k)
        float_comm = self.communities[rng.integers(0, len(self.communities), n_float + k)]
        self.plant("floating_without_housing", ("pid:" + float_pid[n_float:]).tolist())
        multi_comm = self.other_community(self.community[self.multi])
        self.plant("multi_community", ("pid:" + pid[self.multi]).tolist())
        f_pid = np.r_[float_pid, pid[self.multi]]
        f_comm = np.r_[float_comm, multi_comm]
        self.table(
            "src_ps_floating",
            self.person_cols("f", f_pid)
            | {
                "community": f_comm,
                "registered_on": self.dates(dt.date(2020, 1, 1), dt.date(2026, 1, 1), len(f_pid)),
                "permit_until": self.pa.nulls(len(f_pid), self.pa.date32()),
            },
        )
        # rentals: floating tenants and some residents (open leases); outsiders whose lease ended (near
        # misses); k outsiders with an open lease and no registration at all (planted)
        outsiders_expired = self.hex_ids(int(self.n * 0.005))
        outsiders_planted = self.hex_ids(k)
        self.plant("housing_not_in_population", ("pid:" + outsiders_planted).tolist())
        r_pid = np.r_[
            float_pid[:n_float], pid[self.multi], pid[self.tenants], outsiders_expired, outsiders_planted
        ]
        r_comm = np.r_[
            float_comm[:n_float],
            multi_comm,
            self.community[self.tenants],
            self.communities[rng.integers(0, len(self.communities), len(outsiders_expired))],
            self.communities[rng.integers(0, len(self.communities), k)],
        ]
        n_open = n_float + k + len(self.tenants)
        start = np.r_[
            np.full(n_open, _days(dt.date(2026, 1, 1))),
            np.full(len(outsiders_expired), _days(dt.date(2024, 1, 1))),
            np.full(k, _days(dt.date(2026, 3, 1))),
        ].astype("int32")
        end = np.r_[
            np.full(n_open, _days(dt.date(2027, 12, 31))),
            np.full(len(outsiders_expired), _days(dt.date(2025, 12, 31))),
            np.full(k, _days(dt.date(2027, 2, 28))),
        ].astype("int32")
        self.table(
            "src_housing_rental",
            self.person_cols("r", r_pid)
            | {
                "community": r_comm,
                "start_date": self.pa.array(start, self.pa.int32()).cast(self.pa.date32()),
                "end_date": self.pa.array(end, self.pa.int32()).cast(self.pa.date32()),
            },
        )
        # property: owners own one (a few two, which is fine for them); k recipients own two (planted)
        second = self.owners[rng.random(len(self.owners)) < 0.05]
        p_idx = np.r_[self.owners, second, self.recip_property, self.recip_property]
        self.plant("subsistence_multi_property", ("pid:" + pid[self.recip_property]).tolist())
        self.table(
            "src_housing_property",
            self.person_cols("p", pid[p_idx])
            | {
                "community": self.community[p_idx],
                "usage": np.full(len(p_idx), "residential", object),
                "floor_area": np.round(rng.uniform(40, 160, len(p_idx)), 2),
                "registered_on": self.dates(dt.date(2000, 1, 1), dt.date(2025, 12, 31), len(p_idx)),
            },
        )
        # vehicles: drivers (5 % cancelled); cancelled cars of the dead (near misses); planted: the dead's
        # normal cars, outsiders' cars, recipients' cars
        outsiders_cars = self.hex_ids(k)
        self.plant("vehicle_owner_deceased", ("pid:" + pid[self.deceased_vehicle]).tolist())
        self.plant("vehicle_owner_unregistered", ("pid:" + outsiders_cars).tolist())
        self.plant("subsistence_vehicle", ("pid:" + pid[self.recip_vehicle]).tolist())
        v_pid = np.r_[
            pid[self.drivers],
            pid[self.deceased_bg],
            pid[self.deceased_vehicle],
            outsiders_cars,
            pid[self.recip_vehicle],
        ]
        v_status = np.r_[
            np.where(rng.random(len(self.drivers)) < 0.05, "cancelled", "normal").astype(object),
            np.full(len(self.deceased_bg), "cancelled", object),
            np.full(3 * k, "normal", object),
        ]
        self.table(
            "src_vehicle",
            self.person_cols("v", v_pid)
            | {
                "plate": np.array([f"鲁A{i:07d}" for i in range(len(v_pid))], dtype=object),
                "vehicle_type": np.full(len(v_pid), "小型轿车", object),
                "registered_on": self.dates(dt.date(2005, 1, 1), dt.date(2025, 12, 31), len(v_pid)),
                "status": v_status,
            },
        )
        # subsistence: recipients paying (a few stopped); half the planted dead still paid
        half = k // 2
        dead_sub, dead_dis = self.deceased_allow[:half], self.deceased_allow[half:]
        self.plant("deceased_allowance", ("pid:" + pid[self.deceased_allow]).tolist())
        s_idx = np.r_[self.recipients, dead_sub]
        s_status = np.r_[
            np.where(
                np.arange(len(self.recipients)) < 2 * k,
                "paying",
                np.where(rng.random(len(self.recipients)) < 0.1, "stopped", "paying"),
            ),
            np.full(len(dead_sub), "paying", object),
        ].astype(object)
        self.table(
            "src_ca_subsistence",
            self.person_cols("s", pid[s_idx])
            | {
                "community": self.community[s_idx],
                "family_size": rng.integers(1, 5, len(s_idx)),
                "monthly_amount": np.full(len(s_idx), 640.0),
                "start_date": self.const_date(dt.date(2023, 1, 1), len(s_idx)),
                "status": s_status,
            },
        )
        d_idx = np.r_[self.disabled, dead_dis]
        allowance = np.r_[rng.random(len(self.disabled)) < 0.5, np.ones(len(dead_dis), bool)]
        self.table(
            "src_ca_disability",
            self.person_cols("x", pid[d_idx])
            | {
                "community": self.community[d_idx],
                "category": np.full(len(d_idx), "肢体", object),
                "grade": rng.integers(1, 5, len(d_idx)),
                "allowance": allowance,
                "allowance_status": np.where(allowance, "paying", None).astype(object),
            },
        )
        # deaths: the de-registered dead, and k still-active residents (planted)
        dead = np.r_[dead_inactive, dead_active]
        self.plant("deceased_in_household", ("pid:" + pid[dead_active]).tolist())
        self.table(
            "src_ca_death",
            self.person_cols("d", pid[dead])
            | {
                "death_date": self.dates(dt.date(2020, 1, 1), dt.date(2026, 5, 31), len(dead)),
                "community": self.community[dead],
            },
        )
        # liaison: every elderly person living alone (but the k planted) and 3 % of other households; k
        # assignments to rooms that do not exist (planted)
        alone_hh = self.household[self.elderly_alone[k:]]
        others = np.flatnonzero(rng.random(len(self.hh_unit)) < 0.03)
        hh = np.unique(np.r_[alone_hh, others])
        hh = hh[~np.isin(hh, self.household[self.elderly_alone[:k]])]
        gone_unit = self.units[rng.integers(0, len(self.units), k)]
        gone_room = np.array([str(9000 + i) for i in range(k)], dtype=object)
        self.plant(
            "liaison_household_gone",
            [f"household:{u}/{r}" for u, r in zip(gone_unit, gone_room, strict=True)],
        )
        l_unit = np.r_[self.hh_unit[hh], gone_unit]
        l_room = np.r_[self.hh_number[hh], gone_room]
        self.table(
            "src_liaison",
            self.person_cols("l", self.hex_ids(len(l_unit)))
            | {
                "kind": np.full(len(l_unit), "cadre", object),
                "unit_code": l_unit,
                "room_no": l_room,
                "assigned_on": self.const_date(dt.date(2025, 1, 1), len(l_unit)),
            },
        )

    def source_rows(self) -> int:
        return sum(t.num_rows for name, t in self.tables.items() if name.startswith("src_"))


# --- the floor: bare anti-/semi-joins returning the subjects ---------------------------------------------------
# The same join strategy as the rules (the large side narrowed to the small side's persons first), without
# records, evidence, areas or fingerprints.
def registered(cte: str) -> str:
    return f"""(SELECT pid FROM residents WHERE is_active AND pid IN (SELECT pid FROM {cte})
        UNION ALL SELECT pid FROM src_ps_household WHERE status='normal' AND pid IN (SELECT pid FROM {cte})
        UNION ALL SELECT pid FROM src_ps_floating WHERE pid IN (SELECT pid FROM {cte}))"""


LEASE = "start_date <= getvariable('as_of') AND end_date >= getvariable('as_of')"
DEAD = "(SELECT pid FROM src_ca_death WHERE death_date <= getvariable('as_of'))"
FLOOR = {
    "housing_not_in_population": f"""WITH l AS (SELECT pid FROM src_housing_rental WHERE {LEASE})
        SELECT DISTINCT 'pid:'||l.pid FROM l ANTI JOIN {registered("l")} p ON p.pid=l.pid""",
    "floating_without_housing": f"""SELECT DISTINCT 'pid:'||f.pid FROM src_ps_floating f ANTI JOIN
        (SELECT pid FROM src_housing_rental WHERE {LEASE} AND pid IN (SELECT pid FROM src_ps_floating)
         UNION ALL SELECT pid FROM src_housing_property WHERE pid IN (SELECT pid FROM src_ps_floating)) h ON h.pid=f.pid""",
    "vehicle_owner_deceased": f"SELECT DISTINCT 'pid:'||v.pid FROM src_vehicle v SEMI JOIN {DEAD} d ON d.pid=v.pid WHERE v.status='normal'",
    "vehicle_owner_unregistered": f"""WITH c AS (SELECT pid FROM src_vehicle WHERE status='normal')
        SELECT DISTINCT 'pid:'||c.pid FROM c ANTI JOIN
        (SELECT pid FROM {registered("c")} UNION ALL SELECT pid FROM src_ca_death WHERE pid IN (SELECT pid FROM c)) p
        ON p.pid=c.pid""",
    "subsistence_vehicle": """SELECT DISTINCT 'pid:'||s.pid FROM src_ca_subsistence s SEMI JOIN
        (SELECT pid FROM src_vehicle WHERE status='normal') v ON v.pid=s.pid WHERE s.status='paying'""",
    "subsistence_multi_property": """WITH s AS (SELECT pid FROM src_ca_subsistence WHERE status='paying')
        SELECT 'pid:'||pid FROM src_housing_property WHERE pid IN (SELECT pid FROM s) GROUP BY pid HAVING count(*)>=2""",
    "deceased_allowance": f"""SELECT DISTINCT 'pid:'||d.pid FROM {DEAD} d SEMI JOIN
        (SELECT pid FROM src_ca_subsistence WHERE status='paying'
         UNION ALL SELECT pid FROM src_ca_disability WHERE allowance AND allowance_status='paying') p ON p.pid=d.pid""",
    "deceased_in_household": f"""WITH d AS {DEAD} SELECT DISTINCT 'pid:'||pid FROM (
        SELECT pid FROM residents WHERE is_active AND pid IN (SELECT pid FROM d)
        UNION ALL SELECT pid FROM src_ps_household WHERE status='normal' AND pid IN (SELECT pid FROM d))""",
    "multi_community": """SELECT 'pid:'||pid FROM (
        SELECT pid, left(area_path,12) c FROM residents WHERE is_active AND pid IN (SELECT pid FROM src_ps_floating)
        UNION ALL SELECT pid, community FROM src_ps_floating) GROUP BY pid HAVING min(c)<>max(c)""",
    "elderly_alone_no_liaison": """SELECT DISTINCT 'pid:'||r.pid FROM residents r
        JOIN resident_tags t ON t.resident_key=r.key AND t.tag='living_alone'
        JOIN households h ON h.key=r.household_key AND h.is_active
        ANTI JOIN src_liaison l ON l.unit_code=h.area_path AND l.room_no=h.number
        WHERE r.is_active AND r.birth_date <= getvariable('born_by_80')""",
    "liaison_household_gone": """SELECT DISTINCT 'household:'||l.unit_code||'/'||l.room_no FROM src_liaison l
        ANTI JOIN (SELECT h.area_path, h.number FROM households h SEMI JOIN residents r ON r.household_key=h.key AND r.is_active
                   WHERE h.is_active) h ON h.area_path=l.unit_code AND h.number=l.room_no""",
    "staff_grid_outside_community": """SELECT DISTINCT 'pid:'||s.pid FROM staff s JOIN staff_grids g ON g.staff_key=s.key
        WHERE s.is_active AND NOT starts_with(g.grid, s.community)
        UNION SELECT 'pid:'||pid FROM src_staff WHERE grid IS NOT NULL AND NOT starts_with(grid, community)""",
    "dual_report_no_residence": f"""WITH m AS (SELECT * FROM party_members
            WHERE is_active AND in_service AND dual_community IS NOT NULL)
        SELECT DISTINCT 'pid:'||m.pid FROM m ANTI JOIN (
        SELECT pid, left(area_path,12) c FROM residents WHERE is_active AND pid IN (SELECT pid FROM m)
        UNION ALL SELECT pid, community FROM src_ps_household WHERE status='normal' AND pid IN (SELECT pid FROM m)
        UNION ALL SELECT pid, community FROM src_ps_floating WHERE pid IN (SELECT pid FROM m)
        UNION ALL SELECT pid, community FROM src_housing_rental WHERE {LEASE} AND pid IN (SELECT pid FROM m)
        UNION ALL SELECT pid, community FROM src_housing_property WHERE pid IN (SELECT pid FROM m)) x
        ON x.pid=m.pid AND x.c=m.dual_community""",
}


def run_floor(workdir: Path) -> set[tuple[str, str]]:
    from gridgov.datahub import engine

    con = engine.connect(workdir)
    out = set()
    for code, sql in FLOOR.items():
        out.update((code, s) for (s,) in con.execute(sql).fetchall())
    con.close()
    return out


# --- the naive path: pandas --------------------------------------------------------------------------------------
def run_pandas(workdir: Path) -> set[tuple[str, str]]:
    import pandas as pd

    from gridgov.datahub import engine, extracts

    as_of = pd.Timestamp(AS_OF)
    cutoff = pd.Timestamp(engine.born_by(AS_OF, 80))
    t = {name: pd.read_parquet(workdir / f"{name}.parquet") for name in extracts.SCHEMAS}
    for name, df in t.items():  # dates as timestamps, for comparisons
        for field in extracts.SCHEMAS[name]:
            if str(field.type) == "date32[day]":
                df[field.name] = pd.to_datetime(df[field.name])
    res, hh, tags = t["residents"], t["households"], t["resident_tags"]
    psh, flo, rent, prop = (
        t["src_ps_household"],
        t["src_ps_floating"],
        t["src_housing_rental"],
        t["src_housing_property"],
    )
    veh, sub, dis, death = (
        t["src_vehicle"],
        t["src_ca_subsistence"],
        t["src_ca_disability"],
        t["src_ca_death"],
    )
    out: set[tuple[str, str]] = set()

    def add(code, subjects):
        out.update((code, s) for s in subjects)

    population = (
        set(res.loc[res.is_active, "pid"]) | set(psh.loc[psh.status == "normal", "pid"]) | set(flo.pid)
    )
    open_lease = rent[(rent.start_date <= as_of) & (rent.end_date >= as_of)]
    add(
        "housing_not_in_population",
        "pid:" + open_lease.loc[~open_lease.pid.isin(population), "pid"].dropna().unique(),
    )
    housed = set(open_lease.pid) | set(prop.pid)
    add("floating_without_housing", "pid:" + flo.loc[~flo.pid.isin(housed), "pid"].dropna().unique())
    dead = death[death.death_date <= as_of]
    normal_cars = veh[veh.status == "normal"]
    add("vehicle_owner_deceased", "pid:" + normal_cars.merge(dead[["pid"]], on="pid")["pid"].unique())
    known = population | set(death.pid)
    add(
        "vehicle_owner_unregistered",
        "pid:" + normal_cars.loc[~normal_cars.pid.isin(known), "pid"].dropna().unique(),
    )
    paying = sub[sub.status == "paying"]
    add("subsistence_vehicle", "pid:" + paying.merge(normal_cars[["pid"]], on="pid")["pid"].unique())
    counts = prop.groupby("pid").size()
    add(
        "subsistence_multi_property",
        "pid:" + paying.loc[paying.pid.isin(counts[counts >= 2].index), "pid"].unique(),
    )
    allowances = pd.concat(
        [paying[["pid"]], dis.loc[dis.allowance & (dis.allowance_status == "paying"), ["pid"]]]
    )
    add("deceased_allowance", "pid:" + dead.merge(allowances, on="pid")["pid"].unique())
    listed = pd.concat([res.loc[res.is_active, ["pid"]], psh.loc[psh.status == "normal", ["pid"]]])
    add("deceased_in_household", "pid:" + dead.merge(listed, on="pid")["pid"].unique())
    residence = pd.concat(
        [
            pd.DataFrame(
                {"pid": res.loc[res.is_active, "pid"], "c": res.loc[res.is_active, "area_path"].str[:12]}
            ),
            pd.DataFrame({"pid": flo.pid, "c": flo.community}),
        ]
    )
    n = residence.groupby("pid")["c"].nunique()
    add("multi_community", "pid:" + n[n > 1].index)
    lia = t["src_liaison"]
    alone = res[res.is_active & (res.birth_date <= cutoff)].merge(
        tags[tags.tag == "living_alone"][["resident_key"]], left_on="key", right_on="resident_key"
    )
    alone = alone.merge(hh[hh.is_active], left_on="household_key", right_on="key", suffixes=("", "_hh"))
    covered = alone.merge(
        lia[["unit_code", "room_no"]],
        left_on=["area_path_hh", "number"],
        right_on=["unit_code", "room_no"],
        how="left",
        indicator=True,
    )
    add("elderly_alone_no_liaison", "pid:" + covered.loc[covered._merge == "left_only", "pid"].unique())
    occupied = hh[hh.is_active & hh.key.isin(res.loc[res.is_active, "household_key"])]
    gone = lia.merge(
        occupied,
        left_on=["unit_code", "room_no"],
        right_on=["area_path", "number"],
        how="left",
        indicator=True,
    )
    gone = gone[gone._merge == "left_only"]
    add("liaison_household_gone", ("household:" + gone.unit_code + "/" + gone.room_no).unique())
    spells = t["staff"][t["staff"].is_active].merge(t["staff_grids"], left_on="key", right_on="staff_key")
    bad = [
        p for p, c, g in zip(spells.pid, spells.community, spells.grid, strict=True) if not g.startswith(c)
    ]
    roster = t["src_staff"].dropna(subset=["grid"])
    bad += [
        p for p, c, g in zip(roster.pid, roster.community, roster.grid, strict=True) if not g.startswith(c)
    ]
    add("staff_grid_outside_community", {"pid:" + p for p in bad})
    members = t["party_members"]
    members = members[members.is_active & members.in_service & members.dual_community.notna()]
    lived = pd.concat(
        [
            pd.DataFrame(
                {"pid": res.loc[res.is_active, "pid"], "c": res.loc[res.is_active, "area_path"].str[:12]}
            ),
            pd.DataFrame(
                {
                    "pid": psh.loc[psh.status == "normal", "pid"],
                    "c": psh.loc[psh.status == "normal", "community"],
                }
            ),
            pd.DataFrame({"pid": flo.pid, "c": flo.community}),
            pd.DataFrame({"pid": open_lease.pid, "c": open_lease.community}),
            pd.DataFrame({"pid": prop.pid, "c": prop.community}),
        ]
    ).drop_duplicates()
    m = members.merge(
        lived, left_on=["pid", "dual_community"], right_on=["pid", "c"], how="left", indicator=True
    )
    add("dual_report_no_residence", "pid:" + m.loc[m._merge == "left_only", "pid"].unique())
    return out


# --- the run ---------------------------------------------------------------------------------------------------
def timed(paths: dict, runs: int) -> tuple[dict[str, float], dict]:
    """Each path `runs` times, interleaved (so a burst of load on the shared machine hits all of them);
    the best time of each, and each one's result."""
    best: dict[str, float] = {}
    results: dict = {}
    for _ in range(runs):
        for name, fn in paths.items():
            t0 = time.perf_counter()
            results[name] = fn()
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
    return best, results


def diff(name: str, got: set, want: set) -> str:
    missing, extra = sorted(want - got)[:5], sorted(got - want)[:5]
    return f"{name}: {len(want - got)} missing {missing}, {len(got - want)} extra {extra}"


def linkage_stage(persons: int, seed: int) -> None:
    try:
        from gridgov.datahub.linkage.bench import benchmark
    except ImportError as exc:  # the probabilistic stage is a separate module
        print(f"linkage: not available ({exc})")
        return
    logging.getLogger("splink").setLevel(logging.ERROR)  # its EM warnings are not results
    duplicates = max(200, persons // 20)
    result = benchmark(persons, duplicates, seed)
    print(
        f"linkage: {persons:,} persons + {duplicates:,} planted duplicates: {result['comparisons']:,} comparisons "
        f"in {result['seconds']:.1f} s = {result['comparisons_per_second']:,.0f}/s; "
        f"recall {result['recall']:.3f}, precision {result['precision']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_200_000)
    parser.add_argument("--quick", action="store_true", help="--persons 100000 --linkage-persons 10000")
    parser.add_argument("--runs", type=int, default=1, help="runs of each path, interleaved; the best counts")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--linkage-persons", type=int, help="default 50,000 (10,000 with --quick); 0 skips")
    parser.add_argument("--keep", type=Path, help="write the extracts here and keep them")
    args = parser.parse_args()
    if args.quick:
        args.persons = 100_000
    if args.linkage_persons is None:
        args.linkage_persons = 10_000 if args.quick else 50_000
    setup_django()
    from gridgov.datahub import engine, extracts

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-collision-"))
    try:
        t0 = time.perf_counter()
        city = City(args.persons, args.seed)
        extracts.write_tables(workdir, city.tables, as_of=AS_OF)
        synth = time.perf_counter() - t0
        rows = sum(t.num_rows for t in city.tables.values())
        print(
            f"extracts: {city.n:,} residents, {city.tables['households'].num_rows:,} households, "
            f"{city.source_rows():,} source rows, {rows:,} rows in all; {len(city.truth):,} planted findings "
            f"({city.k} per rule); synthesised and written in {synth:.1f} s"
        )
        times, results = timed(
            {
                "ours": lambda: engine.run_rules(workdir),
                "floor": lambda: run_floor(workdir),
                "naive": lambda: run_pandas(workdir),
            },
            args.runs,
        )
        ours_t, floor_t, naive_t = times["ours"], times["floor"], times["naive"]
        ours, floor, naive = results["ours"], results["floor"], results["naive"]
        ours_set = {(f.rule, f.subject_key) for f in ours}
        per_rule = defaultdict(int)
        for f in ours:
            per_rule[f.rule] += 1
        problems = [
            diff(name, got, city.truth)
            for name, got in (("ours", ours_set), ("floor", floor), ("naive", naive))
            if got != city.truth
        ]
        if len(ours) != len(ours_set) or any(not f.fingerprint or not f.area_path for f in ours):
            problems.append("ours: duplicate findings, or one without fingerprint or area")
        if problems:
            sys.exit("findings differ from the planted truth:\n" + "\n".join(problems))
        print(f"findings: {len(ours):,} in {len(per_rule)} rules, all three paths equal to the planted truth")
        for name, seconds in (
            ("ours (engine)", ours_t),
            ("floor (bare DuckDB)", floor_t),
            ("naive (pandas)", naive_t),
        ):
            print(f"{name:<20} {seconds:8.2f} s  {rows / seconds:>13,.0f} rows/s")
        print(
            f"ours / floor: {ours_t / floor_t:.2f}× (goal ≤ 2×); naive / ours: {naive_t / ours_t:.1f}× (goal ≥ 10×)"
        )
        if args.linkage_persons:
            linkage_stage(args.linkage_persons, args.seed)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"ratio: {naive_t / ours_t:.1f}")


if __name__ == "__main__":
    main()
