"""Synthetic city, step 2: households and residents with valid ID numbers, ages and tags.

At scale 1.0 this makes about 1.2 million residents in about 440,000 households. Rows are built in
memory one street at a time and bulk-inserted; ID and phone numbers go through the same encryption
and blind index as every other write.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gridgov.areas.models import Level, ancestor_path
from gridgov.core import idcard
from gridgov.core.text import pinyin_pair
from gridgov.demo.context import CityContext
from gridgov.demo.names import person_name
from gridgov.demo.registry import step

from .models import Household, Relation, Resident, ResidentTag, Tag
from .reference import ensure_default_tags

HOUSEHOLD_SIZES = ((1, 2, 3, 4, 5), (18, 30, 27, 15, 10))
TODAY = dt.date(2026, 6, 30)  # fixed so a seed always gives the same ages and tags
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "155",
    "158",
    "159",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)
# Share of people carrying each tag (party membership for adults only; living alone is derived).
TAG_RATES = {
    "disabled": 0.02,
    "subsistence": 0.012,
    "low_income": 0.02,
    "extreme_hardship": 0.002,
    "veteran": 0.015,
    "left_behind": 0.004,
    "community_correction": 0.0008,
    "released_prisoner": 0.0012,
    "mental_disorder": 0.002,
    "drug_user": 0.0006,
}
PARTY_RATE_ADULT = 0.075


class _People:
    def __init__(self, ctx: CityContext) -> None:
        self.rng = ctx.fork("people")
        self.used_ids: set[str] = set()
        self.pinyin: dict[str, tuple[str, str]] = {}
        ensure_default_tags()
        self.tag_ids = dict(Tag.objects.values_list("code", "pk"))

    def birth(self, age: int) -> dt.date:
        start = dt.date(TODAY.year - age - 1, TODAY.month, TODAY.day) + dt.timedelta(days=1)
        return start + dt.timedelta(days=self.rng.randrange(365))

    def id_number(self, region: str, birth: dt.date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if sex == "M" else 0)
            number = idcard.build(region, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def resident(self, household: Household, region: str, relation: str, age: int, sex: str) -> Resident:
        rng = self.rng
        name = person_name(rng, sex)
        if name not in self.pinyin:
            self.pinyin[name] = pinyin_pair(name)
        birth = self.birth(max(0, min(age, 104)))
        card = idcard.IDCard(number=self.id_number(region, birth, sex), birth_date=birth, sex=sex)
        r = Resident(household=household, relation=relation, area_path=household.area_path, name=name)
        r.name_pinyin, r.name_initials = self.pinyin[name]
        r.set_id_number(card)
        if age >= 16 and rng.random() < 0.8:
            r.set_phone(rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}")
        return r

    def family(self, household: Household, region: str) -> list[Resident]:
        rng = self.rng
        size = rng.choices(*HOUSEHOLD_SIZES)[0]
        head_age = int(rng.triangular(22, 92, 50)) if size > 1 else int(rng.triangular(20, 95, 68))
        head_sex = "M" if rng.random() < 0.62 else "F"
        members = [self.resident(household, region, Relation.HEAD, head_age, head_sex)]
        if size >= 2:
            spouse_age = max(20, head_age + rng.randint(-5, 5))
            members.append(
                self.resident(household, region, Relation.SPOUSE, spouse_age, "F" if head_sex == "M" else "M")
            )
        for _ in range(size - len(members)):
            if head_age < 60 and rng.random() < 0.8:
                child_age = head_age - rng.randint(22, 36)
                if child_age >= 0:
                    members.append(
                        self.resident(household, region, Relation.CHILD, child_age, rng.choice("MF"))
                    )
                    continue
            if head_age < 62 and rng.random() < 0.5:
                members.append(
                    self.resident(
                        household, region, Relation.PARENT, head_age + rng.randint(22, 32), rng.choice("MF")
                    )
                )
            elif head_age >= 55:
                members.append(
                    self.resident(
                        household,
                        region,
                        Relation.GRANDCHILD,
                        max(0, head_age - rng.randint(48, 60)),
                        rng.choice("MF"),
                    )
                )
            else:
                members.append(
                    self.resident(household, region, Relation.OTHER, rng.randint(18, 60), rng.choice("MF"))
                )
        return members

    def tags(self, members: list[Resident]) -> list[tuple[Resident, str]]:
        rng = self.rng
        out = []
        for r in members:
            age = r.age(TODAY)
            if age >= 18 and rng.random() < PARTY_RATE_ADULT * (1.6 if age >= 55 else 1.0):
                out.append((r, "party_member"))
            for code, rate in TAG_RATES.items():
                if code == "veteran" and (age < 20 or r.sex == "F"):
                    continue
                if rng.random() < rate:
                    out.append((r, code))
        if len(members) == 1 and members[0].age(TODAY) >= 60:
            out.append((members[0], "living_alone"))
        return out


@step(order=20, name="居民与户")
def generate_people(ctx: CityContext) -> str:
    people = _People(ctx)
    rng = people.rng
    units_by_street: dict[str, list] = {}
    for unit in ctx.areas[Level.UNIT]:
        units_by_street.setdefault(ancestor_path(unit.path, Level.STREET), []).append(unit)
    total_households = total_residents = 0
    progress = ctx.progress("居民与户", len(ctx.areas[Level.UNIT]))
    for street_path, units in units_by_street.items():
        region = ancestor_path(
            street_path, Level.DISTRICT
        )  # the district's code is the registered region of these ID numbers
        with transaction.atomic():
            households = []
            for unit in units:
                floors = rng.randint(3, 5)
                for floor in range(1, floors + 1):
                    for door in range(1, 3):
                        households.append(
                            Household(unit_id=unit.id, number=f"{floor}0{door}", area_path=unit.path)
                        )
            Household.objects.bulk_create(households, batch_size=5000)
            residents: list[Resident] = []
            tagged: list[tuple[Resident, str]] = []
            for household in households:
                members = people.family(household, region)
                residents.extend(members)
                tagged.extend(people.tags(members))
            Resident.objects.bulk_create(residents, batch_size=5000)
            ResidentTag.objects.bulk_create(
                [ResidentTag(resident_id=r.pk, tag_id=people.tag_ids[code]) for r, code in tagged],
                batch_size=10000,
            )
        total_households += len(households)
        total_residents += len(residents)
        progress.advance(len(units))
    progress.close()
    ctx.summary.update(households=total_households, residents=total_residents)
    return f"{total_households} 户, {total_residents} 名居民"
