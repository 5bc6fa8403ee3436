"""Synthetic city, data hub step: the ten departments' extracts made from the generated city, with a known
set of planted inconsistencies (a few per district for every rule this step can plant) and typo/homophone
duplicates of residents (datahub.synth), written to var/datahub/<scale>/ with the ground truth
(`truth.json`) beside them, loaded as batches through the exchange service, then one collision run.

The files are what a department would send: some in GBK, some UTF-8 with a BOM, some xlsx, dates in the
three formats. Everything not planted is consistent with the registry, so a rule's findings minus the
planted ones are false alarms — except the registry-only halves of two rules (staff of the workforce app,
party members' 双报到), which depend on those apps' generated data and are listed as `not_planted`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.conf import settings

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import idcard, pii
from gridgov.core.actors import SystemActor
from gridgov.demo.context import CityContext
from gridgov.demo.registry import step
from gridgov.people.models import ID_PURPOSE, Household, Relation, Resident, ResidentTag

from . import synth
from .services import exchange, runs
from .sources import BY_CODE

GENERATOR = SystemActor("demo.datahub")
PER_DISTRICT = 2  # planted cases of each rule per district
ENCODINGS = {"ps_household": "gbk", "ps_floating": "utf-8-sig", "ca_death": "gbk", "liaison": "utf-8"}
XLSX = {"ca_subsistence", "housing_property"}


def _date(value: dt.date, style: int) -> str:
    """The three date styles departments use, rotated over the rows."""
    return (f"{value:%Y-%m-%d}", f"{value.year}/{value.month}/{value.day}", f"{value:%Y%m%d}")[style % 3]


class _People:
    """New synthetic people (not in the registry): valid IDs that no resident has."""

    def __init__(self, rng: np.random.Generator, taken: set[str]) -> None:
        self.rng, self.taken = rng, taken
        self.pool: list[dict] = []

    def next(self) -> dict:
        while not self.pool:
            batch = synth.make_population(200, self.rng, source="new")
            self.pool = [r for r in batch.to_dict("records") if r["id_number"] not in self.taken]
        person = self.pool.pop()
        self.taken.add(person["id_number"])
        return person


def _pid(number: str) -> str:
    return "pid:" + pii.blind_index(number, purpose=ID_PURPOSE)


def _ensure_sources() -> None:
    """The departments and sources migration 0002 seeds, again if a test database was flushed since (a
    transactional test empties every table; migrations do not run again). Same codes, names and order."""
    from .models import Department, Source
    from .sources import DEPARTMENT_NAMES, SOURCES

    if Source.objects.count() >= len(SOURCES):
        return
    departments = {
        code: Department.objects.update_or_create(code=code, defaults={"name": name})[0]
        for code, name in DEPARTMENT_NAMES.items()
    }
    for sort, spec in enumerate(SOURCES, start=1):
        Source.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "department": departments[spec.department],
                "description": spec.description,
                "sort": sort,
            },
        )


@step(order=96, name="数据平台与碰撞比对")
def generate_datahub(ctx: CityContext) -> str:
    _ensure_sources()
    rng = np.random.default_rng(ctx.fork("datahub").getrandbits(32))
    names = runs._address_names()
    residents = list(
        Resident.objects.for_generator()
        .filter(is_active=True)
        .values_list("pk", "name", "id_cipher", "birth_date", "sex", "area_path", "household_id", "relation")
        .order_by("pk")
    )
    if not residents:
        return "没有居民,跳过"
    households = {
        pk: (path, number)
        for pk, path, number in Household.objects.for_generator()
        .filter(is_active=True)
        .values_list("pk", "area_path", "number")
    }
    people = []
    for pk, name, cipher, birth, sex, path, hh, relation in residents:
        number = pii.decrypt(cipher, purpose=ID_PURPOSE)
        people.append(
            {
                "pk": pk,
                "name": name,
                "id": number,
                "birth": birth,
                "sex": sex,
                "path": path,
                "hh": hh,
                "relation": relation,
                "address": runs.registry_address(names, path, households.get(hh, ("", ""))[1]),
            }
        )
    taken = {p["id"] for p in people}
    fresh = _People(rng, taken)
    districts = sorted({p["path"][: PATH_LENGTH[Level.DISTRICT]] for p in people})
    by_district = defaultdict(list)
    for p in people:
        by_district[p["path"][: PATH_LENGTH[Level.DISTRICT]]].append(p)
    communities = sorted(
        Area.objects.for_generator()
        .filter(level=Level.COMMUNITY, is_active=True)
        .values_list("path", flat=True)
    )
    grids = sorted(
        Area.objects.for_generator().filter(level=Level.GRID, is_active=True).values_list("path", flat=True)
    )
    today = dt.date.today()
    rows: dict[str, list[dict]] = defaultdict(list)
    planted: dict[str, list[str]] = defaultdict(list)
    used: set[int] = set()  # residents given a planted role, so no two plants collide

    def pick(district: str, n: int, *, adult: bool = True) -> list[dict]:
        pool = [
            p for p in by_district[district] if p["pk"] not in used and (not adult or p["birth"].year < 2000)
        ]
        chosen = (
            [pool[i] for i in rng.choice(len(pool), size=min(n, len(pool)), replace=False)] if pool else []
        )
        used.update(p["pk"] for p in chosen)
        return chosen

    def community_of(p: dict) -> str:
        return p["path"][: PATH_LENGTH[Level.COMMUNITY]]

    # ps_household: every registered resident, normal.
    for p in people:
        rows["ps_household"].append(
            {
                "姓名": p["name"],
                "身份证号": p["id"],
                "户号": f"H{p['hh']:08d}",
                "与户主关系": str(Relation(p["relation"]).label),
                "社区代码": community_of(p),
                "住址": p["address"],
                "户籍状态": "正常",
            }
        )
    # Deaths nobody needs to act on: people not in the registry, cancelled in the household register.
    for i in range(max(2, len(people) // 500)):
        person = fresh.next()
        community = communities[i % len(communities)]
        rows["ps_household"].append(
            {
                "姓名": person["name"],
                "身份证号": person["id_number"],
                "户号": f"X{i:08d}",
                "与户主关系": "户主",
                "社区代码": community,
                "住址": person["address"],
                "户籍状态": "死亡注销",
            }
        )
        rows["ca_death"].append(
            {
                "姓名": person["name"],
                "身份证号": person["id_number"],
                "死亡日期": _date(today - dt.timedelta(days=30 + i), i),
                "户籍社区代码": community,
                "死亡证明编号": f"SW{i:06d}",
            }
        )

    def death(p: dict, n: int) -> None:
        rows["ca_death"].append(
            {
                "姓名": p["name"],
                "身份证号": p["id"],
                "死亡日期": _date(today - dt.timedelta(days=10 + n), n),
                "户籍社区代码": community_of(p),
                "死亡证明编号": f"SD{p['pk']:08d}",
            }
        )
        planted["deceased_in_household"].append(_pid(p["id"]))  # still registered and normal in the register

    def subsistence(p: dict, n: int) -> None:
        rows["ca_subsistence"].append(
            {
                "姓名": p["name"],
                "身份证号": p["id"],
                "社区代码": community_of(p),
                "家庭住址": p["address"],
                "保障人数": 2,
                "月保障金": "780.00",
                "享受起始日期": _date(dt.date(2021, 1 + n % 12, 1), n),
                "发放状态": "发放中",
            }
        )

    def vehicle(p: dict | None, n: int, person: dict | None = None) -> None:
        who = (
            person
            if person is not None
            else {"name": p["name"] if p else "", "id_number": p["id"] if p else ""}
        )
        rows["vehicle"].append(
            {
                "号牌号码": f"青A{n:05d}",
                "车主": who["name"],
                "车主身份证号": who["id_number"],
                "车辆类型": "小型轿车",
                "登记日期": _date(dt.date(2018, 1 + n % 12, 1 + n % 28), n),
                "车辆状态": "正常",
            }
        )

    def prop(p: dict, n: int) -> None:
        rows["housing_property"].append(
            {
                "不动产权证号": f"青(2020)不动产权第{n:07d}号",
                "权利人": p["name"],
                "权利人身份证号": p["id"],
                "社区代码": community_of(p),
                "房屋坐落": p["address"],
                "建筑面积": round(60 + (n % 80), 2),
                "用途": "住宅",
                "登记日期": _date(dt.date(2015 + n % 8, 1 + n % 12, 1), n),
            }
        )

    counter = {"plate": 1, "cert": 1}

    def plate() -> int:
        counter["plate"] += 1
        return counter["plate"]

    def cert() -> int:
        counter["cert"] += 1
        return counter["cert"]

    for d in districts:
        # deceased still paid (and registered); deceased with a car; deceased, nothing else
        for n, p in enumerate(pick(d, PER_DISTRICT)):
            death(p, n)
            subsistence(p, n)
            planted["deceased_allowance"].append(_pid(p["id"]))
        for n, p in enumerate(pick(d, PER_DISTRICT)):
            death(p, n)
            vehicle(p, plate())
            planted["vehicle_owner_deceased"].append(_pid(p["id"]))
        # recipients with a car, with two properties
        for n, p in enumerate(pick(d, PER_DISTRICT)):
            subsistence(p, n)
            vehicle(p, plate())
            planted["subsistence_vehicle"].append(_pid(p["id"]))
        for n, p in enumerate(pick(d, PER_DISTRICT)):
            subsistence(p, n)
            prop(p, cert())
            prop(p, cert())
            planted["subsistence_multi_property"].append(_pid(p["id"]))
        # cars of people nobody registered
        for _n in range(PER_DISTRICT):
            person = fresh.next()
            vehicle(None, plate(), person)
            planted["vehicle_owner_unregistered"].append(_pid(person["id_number"]))
        # a resident also registered as floating population in another community
        for n, p in enumerate(pick(d, PER_DISTRICT)):
            other = next(c for c in communities[n:] + communities if c != community_of(p))
            rows["ps_floating"].append(
                {
                    "姓名": p["name"],
                    "身份证号": p["id"],
                    "出生日期": "",
                    "性别": "",
                    "社区代码": other,
                    "居住地址": names.get(other, "") + "1号楼1单元101室",
                    "登记日期": _date(dt.date(2023, 3, 1 + n), n),
                    "居住证有效期至": "",
                }
            )
            _rental(
                {
                    "name": p["name"],
                    "id_number": p["id"],
                    "address": names.get(other, ""),
                    "community": other,
                },
                rows,
                n,
            )
            planted["multi_community"].append(_pid(p["id"]))
        # tenants nobody registered; floating people without housing
        for n in range(PER_DISTRICT):
            person = fresh.next()
            community = by_district[d][n % len(by_district[d])]["path"][:12]
            _rental({**person, "community": community}, rows, n)
            planted["housing_not_in_population"].append(_pid(person["id_number"]))
        for n in range(PER_DISTRICT):
            person = fresh.next()
            community = by_district[d][n % len(by_district[d])]["path"][:12]
            _floating(person, community, rows, n)
            planted["floating_without_housing"].append(_pid(person["id_number"]))

    # Consistent background: housed floating population, recipients, disabled people, cars, owners.
    for i in range(max(10, len(people) // 100)):
        person = fresh.next()
        community = communities[i % len(communities)]
        _floating(person, community, rows, i)
        _rental({**person, "community": community}, rows, 1000 + i)
    free = [p for p in people if p["pk"] not in used and p["birth"].year < 2000]
    order = rng.permutation(len(free))
    background = [free[i] for i in order]
    n_sub = max(5, len(people) // 200)
    # The first grid (the demo grid worker's) always has recipients: the browser journey needs one there.
    grid_stubs = ctx.areas.get(Level.GRID) or []
    if grid_stubs:
        first = Area.objects.for_generator().get(pk=grid_stubs[0].id).path
        mine = [p for p in background if p["path"].startswith(first)][:3]
        background = mine + [p for p in background if p not in mine]
    for n, p in enumerate(background[:n_sub]):
        subsistence(p, n)
    rest = background[n_sub:]
    for n, p in enumerate(rest[: max(5, len(people) // 200)]):
        rows["ca_disability"].append(
            {
                "姓名": p["name"],
                "身份证号": p["id"],
                "残疾人证号": f"C{p['pk']:09d}",
                "残疾类别": "肢体",
                "残疾等级": 1 + n % 4,
                "社区代码": community_of(p),
                "享受补贴": "是",
                "补贴发放状态": "发放中",
            }
        )
    rest = rest[max(5, len(people) // 200) :]
    for p in rest[: len(people) // 20]:
        vehicle(p, plate())
    heads = [p for p in rest if p["relation"] == Relation.HEAD]
    for p in heads[: len(heads) // 3]:
        prop(p, cert())

    # Staff roster: two per community, planted ones responsible for a grid of another community.
    for community in communities:
        inside = [g for g in grids if g.startswith(community)]
        for k in range(2):
            person = fresh.next()
            rows["staff"].append(
                {
                    "姓名": person["name"],
                    "身份证号": person["id_number"],
                    "岗位": "专职网格员",
                    "所属社区代码": community,
                    "负责网格代码": inside[k % len(inside)] if inside else "",
                }
            )
    for d in districts:
        in_d = [c for c in communities if c.startswith(d)]
        for n in range(min(PER_DISTRICT, len(in_d))):
            person = fresh.next()
            outside = next(g for g in grids if not g.startswith(in_d[n]))
            rows["staff"].append(
                {
                    "姓名": person["name"],
                    "身份证号": person["id_number"],
                    "岗位": "专职网格员",
                    "所属社区代码": in_d[n],
                    "负责网格代码": outside,
                }
            )
            planted["staff_grid_outside_community"].append(_pid(person["id_number"]))

    # Liaison: every 80+ resident living alone has a cadre, except the planted ones; a few assignments
    # name a flat that does not exist.
    alone = set(
        ResidentTag.objects.filter(tag__code="living_alone", resident__is_active=True).values_list(
            "resident_id", flat=True
        )
    )
    born_by = today.replace(year=today.year - 80)
    elderly = [p for p in people if p["pk"] in alone and p["birth"] <= born_by]
    skip_per_district: dict[str, int] = defaultdict(int)
    assigned: set[int] = set()
    for n, p in enumerate(elderly):
        d = p["path"][: PATH_LENGTH[Level.DISTRICT]]
        if skip_per_district[d] < PER_DISTRICT:
            skip_per_district[d] += 1
            planted["elderly_alone_no_liaison"].append(_pid(p["id"]))
            continue
        if p["hh"] in assigned:
            continue
        assigned.add(p["hh"])
        unit, room = households[p["hh"]]
        cadre = fresh.next()
        rows["liaison"].append(
            {
                "联系人": cadre["name"],
                "联系人身份证号": cadre["id_number"],
                "联系人类别": "机关干部",
                "单元代码": unit,
                "户号": room,
                "户主姓名": p["name"],
                "挂包日期": _date(dt.date(2023, 1 + n % 12, 1), n),
            }
        )
    units_by_district = defaultdict(list)
    for path, _room in households.values():
        units_by_district[path[: PATH_LENGTH[Level.DISTRICT]]].append(path)
    for d in districts:
        for n, unit in enumerate(sorted(set(units_by_district[d]))[:PER_DISTRICT]):
            cadre = fresh.next()
            rows["liaison"].append(
                {
                    "联系人": cadre["name"],
                    "联系人身份证号": "",
                    "联系人类别": "社区两委成员",
                    "单元代码": unit,
                    "户号": f"99{n}9",
                    "户主姓名": "",
                    "挂包日期": _date(dt.date(2022, 6, 1), n),
                }
            )
            planted["liaison_household_gone"].append(f"household:{unit}/99{n}9")

    # Typo and homophone duplicates of residents, in the floating register (IDs that fail the checksum
    # are left out, as a clerk would have to) — the probabilistic linkage's ground truth.
    duplicates = _duplicates(rng, [p for p in people if p["pk"] not in used], rows)

    folder = Path(settings.VAR_DIR) / "datahub" / f"{ctx.scale:g}"
    folder.mkdir(parents=True, exist_ok=True)
    loaded = {}
    for code, spec in BY_CODE.items():
        content, name = _file(code, spec.headers, rows[code])
        (folder / name).write_bytes(content)
        received = exchange.receive_batch(
            GENERATOR, code, content=content, filename=name, batch_id=f"demo-{code}", channel="generator"
        )
        if received.batch.status != "accepted":
            raise RuntimeError(f"the generated {code} batch was rejected: {received.batch.pk}")
        loaded[code] = received.batch
    # The duplicates' record ids, now that the floating batch has its rows.
    from .models import PsFloating

    line_to_pk = dict(
        PsFloating.objects.for_generator().filter(batch=loaded["ps_floating"]).values_list("line", "pk")
    )
    pairs = [
        {
            "record_l": f"resident:{d['resident']}",
            "record_r": f"src_ps_floating:{line_to_pk[d['line']]}",
            "kinds": d["kinds"],
        }
        for d in duplicates
        if d["line"] in line_to_pk
    ]
    truth_pairs = [p for p, d in zip(pairs, duplicates, strict=True) if not d["same_id"]]
    exact_pairs = [p for p, d in zip(pairs, duplicates, strict=True) if d["same_id"]]
    truth = {
        "scale": ctx.scale,
        "seed": ctx.seed,
        "planted": {rule: sorted(keys) for rule, keys in sorted(planted.items())},
        "not_planted": {
            "dual_report_no_residence": "only registry tables (party members' 双报到): depends on the party step",
            "staff_grid_outside_community": "the registry half (workforce staff) depends on the workforce step; "
            "the src_staff half is planted",
        },
        "duplicates": truth_pairs,  # the linkage must find these (ID missing or different)
        "duplicates_same_id": exact_pairs,  # joined exactly on the blind index; not linkage findings
        "files": {code: _file(code, [], [])[1] for code in BY_CODE},
    }
    (folder / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")

    run = runs.create_run(GENERATOR)
    run = runs.execute(run)
    quality = linkage_quality(run, truth_pairs)
    ctx.summary.update(datahub_findings=run.findings_new, datahub_duplicates_found=quality["true_positives"])
    total = sum(len(v) for v in planted.values())
    return (
        f"{len(BY_CODE)} 个数据源 {sum(b.row_count for b in loaded.values())} 行, 植入不一致 {total} 处, "
        f"重复记录 {len(truth_pairs)} 对(识别 {quality['true_positives']} 对, 召回率 {quality['recall']:.1%}, "
        f"精确率 {quality['precision']:.1%}), 比对发现 {run.findings_new} 条(文件与真值在 {folder})"
    )


def linkage_quality(run, truth_pairs: list[dict]) -> dict:
    """The run's duplicate findings scored against the planted duplicates (recall, precision)."""
    from .linkage.evaluate import evaluate
    from .models import Finding
    from .rulebook import LINKAGE_RULE

    def record_id(ref: dict) -> str:
        table = str(ref.get("table", ""))
        return f"{'resident' if table in ('residents', 'resident') else table}:{ref.get('key')}"

    predicted = [
        (record_id(refs[0]), record_id(refs[1]))
        for refs in Finding.objects.for_generator()
        .filter(last_run=run, rule=LINKAGE_RULE)
        .values_list("records", flat=True)
        if len(refs) == 2
    ]
    return evaluate(predicted, [(p["record_l"], p["record_r"]) for p in truth_pairs])


def _rental(person: dict, rows, n: int) -> None:
    rows["housing_rental"].append(
        {
            "合同编号": f"ZL{len(rows['housing_rental']) + 1:07d}",
            "承租人": person["name"],
            "承租人身份证号": person["id_number"],
            "出生日期": "",
            "性别": "",
            "社区代码": person["community"],
            "房屋地址": person.get("address", ""),
            "出租人": "王建国",
            "起租日期": _date(dt.date.today() - dt.timedelta(days=200 + n), n),
            "到期日期": _date(dt.date.today() + dt.timedelta(days=200 + n), n),
        }
    )


def _floating(person: dict, community: str, rows, n: int) -> None:
    rows["ps_floating"].append(
        {
            "姓名": person["name"],
            "身份证号": person["id_number"],
            "出生日期": "",
            "性别": "",
            "社区代码": community,
            "居住地址": person.get("address", ""),
            "登记日期": _date(dt.date(2023, 1 + n % 12, 1 + n % 28), n),
            "居住证有效期至": "",
        }
    )


def _duplicates(rng: np.random.Generator, candidates: list[dict], rows) -> list[dict]:
    import pandas as pd

    n = max(4, len(candidates) // 400)
    frame = pd.DataFrame(
        [
            {
                "record_id": f"resident:{p['pk']}",
                "source": "residents",
                "name": p["name"],
                "id_number": p["id"],
                "birth_date": p["birth"].isoformat(),
                "sex": p["sex"],
                "address": p["address"],
            }
            for p in candidates
        ]
    )
    if len(frame) < n:
        return []
    _all, truth = synth.make_duplicates(frame, n, rng)
    copies = _all.iloc[len(frame) :].to_dict("records")
    community = {f"resident:{p['pk']}": p["path"][:12] for p in candidates}
    by_id = {f"resident:{p['pk']}": p for p in candidates}
    out = []
    for (_l, _r, kinds), copy in zip(truth.itertuples(index=False), copies, strict=True):
        original = copy["record_id"].split("~")[0]
        number = copy["id_number"] or ""
        if number and not idcard.is_valid(number):
            number = ""  # fails the checksum: the department left it out
        birth = str(copy["birth_date"] or "")
        if not number and not birth:
            birth = by_id[original]["birth"].isoformat()  # without an ID the clerk writes the birth date
        sex = copy["sex"] or by_id[original]["sex"]
        rows["ps_floating"].append(
            {
                "姓名": copy["name"],
                "身份证号": number,
                "出生日期": birth,
                "性别": "男" if sex == "M" else "女",
                "社区代码": community[original],
                "居住地址": copy["address"],
                "登记日期": "2024-03-01",
                "居住证有效期至": "",
            }
        )
        same = number == by_id[original]["id"]  # an unchanged ID is an exact join, not the linkage's to find
        out.append(
            {
                "resident": original.split(":")[1],
                "line": len(rows["ps_floating"]) + 1,
                "kinds": kinds,
                "same_id": same,
            }
        )
        if number:  # housed, so the floating register's own rule has nothing to say about it
            _rental(
                {
                    "name": copy["name"],
                    "id_number": number,
                    "address": copy["address"],
                    "community": community[original],
                },
                rows,
                len(out),
            )
    return out


def _file(code: str, headers: list[str], rows: list[dict]) -> tuple[bytes, str]:
    if code in XLSX:
        from gridgov.core.xlsx import Column, write_sheet

        return write_sheet(code, [Column(h, h) for h in headers], rows), f"{code}.xlsx"
    encoding = ENCODINGS.get(code, "utf-8-sig")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue().encode("gbk" if encoding == "gbk" else encoding), f"{code}.csv"
