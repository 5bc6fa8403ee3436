"""Synthetic city, step 3: the five-level party network over the generated areas and residents.

At scale S it makes ctx.scaled(figure) of each of the report's figures — 1,988 grid branches,
2,778 building groups, 11,214 central households, 22,000+ red building leaders — as rows; the
indicators count them back. Every party-tagged resident becomes a member (about one in eight an
in-service member registered where they live: 双报到).

So that the coverage checks have something to show, the city is *almost* seamless: a few grids
have no branch yet (their buildings then have no group either) and a few buildings are "newly
built" — no group, no red building leader, households not yet served by a central household.
Branch sizes follow from where members live, so some branches fall outside "党员适量".
Everything is bulk-inserted; one audit row for the step is written by generate_city.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from gridgov.areas.models import Level, ancestor_path
from gridgov.core.actors import SystemActor
from gridgov.demo.context import AreaStub, CityContext
from gridgov.demo.registry import step
from gridgov.people.models import Household, Relation, Resident, ResidentTag, Tag

from . import hooks, services
from .models import (
    BuildingLeader,
    CentralHousehold,
    ChangeKind,
    LeaderKind,
    OrgChange,
    OrgCoverage,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServedHousehold,
    ServiceCategory,
)
from .services import common_home

GRID_BRANCHES = 1988
BUILDING_GROUPS = 2778
CENTRAL_HOUSEHOLDS = 11214
RED_LEADERS = 22_360  # "2.2万余名"
UNCOVERED_GRIDS = 4  # grids still without a branch, at scale 1.0
NEW_BUILDINGS = 40  # newly built buildings not yet covered, at scale 1.0
IN_SERVICE_RATE = 0.12
COMMITTEE_MIN_MEMBERS = 100  # a community with 100+ members has a party committee, else a general branch
WORKPLACES = [
    "市直机关",
    "区直机关",
    "市属国有企业",
    "市人民医院",
    "市第一中学",
    "区税务局",
    "市供电公司",
    "区人民法院",
]
ESTABLISHED = dt.date(2021, 7, 1)


def raw_insert(
    model,
    fields: list[str],
    rows: list[tuple],
    *,
    dates: tuple[int, ...] = (),
    constants: dict | None = None,
    timestamps: bool = False,
    batch: int = 5000,
) -> None:
    """Multi-row INSERTs without model instances, for the generator's largest tables.

    `fields` name model fields (foreign keys by field name, values are ids); positions in `dates`
    hold dates. Values are adapted the way the backend expects; nothing here runs for user input.
    """
    ops = connection.ops
    constants = dict(constants or {})
    if timestamps:
        now = ops.adapt_datetimefield_value(timezone.now())
        constants.update(created_at=now, updated_at=now)
    names = fields + list(constants)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in names)
    extra = tuple(constants.values())
    table = connection.ops.quote_name(model._meta.db_table)
    width = len(names)
    # Stay under the bound-parameter limit (SQLite ≥ 3.32: 32766; PostgreSQL: 65535).
    batch = min(batch, (30000 if connection.vendor == "sqlite" else 60000) // width)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            values: list = []
            for row in chunk:
                cells = list(row)
                for i in dates:
                    if cells[i] is not None:
                        cells[i] = ops.adapt_datefield_value(cells[i])
                values.extend(cells)
                values.extend(extra)
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", values)  # noqa: S608


def _split(items: list, parts: int) -> list[list]:
    """`items` in `parts` contiguous chunks as even as possible (each non-empty if parts <= len)."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _apportion(total: int, capacities: list[int], weights: list[float]) -> list[int]:
    """`total` over buckets, ≥1 each where capacity allows, ≤ capacity, roughly by weight; exact sum."""
    n = len(capacities)
    counts = [1 if c > 0 else 0 for c in capacities]
    spare = total - sum(counts)
    if spare < 0:
        raise ValueError("fewer items than buckets")
    weight_sum = sum(w for w, c in zip(weights, capacities, strict=True) if c > 0) or 1.0
    for i in range(n):
        if capacities[i] > counts[i]:
            add = min(capacities[i] - counts[i], int(spare * weights[i] / weight_sum))
            counts[i] += add
    left = total - sum(counts)
    order = sorted(range(n), key=lambda i: -(weights[i]))
    while left > 0:
        progressed = False
        for i in order:
            if left == 0:
                break
            if counts[i] < capacities[i]:
                counts[i] += 1
                left -= 1
                progressed = True
        if not progressed:
            raise ValueError("not enough capacity")
    return counts


class _Network:
    def __init__(self, ctx: CityContext) -> None:
        self.ctx = ctx
        self.rng = ctx.fork("party")
        self.changes: list[OrgChange] = []

    def org(
        self, kind: str, name: str, parent: PartyOrg | None, home: AreaStub | str, area_id: int
    ) -> PartyOrg:
        path = home if isinstance(home, str) else home.path
        return PartyOrg(
            kind=kind,
            name=name,
            parent=parent,
            area_id=area_id,
            area_path=path,
            established_on=ESTABLISHED + dt.timedelta(days=self.rng.randrange(900)),
        )


@step(order=30, name="党组织网络")
def generate_party(ctx: CityContext) -> str:
    net = _Network(ctx)
    rng = net.rng
    streets = ctx.areas[Level.STREET]
    communities = ctx.areas[Level.COMMUNITY]
    grids = ctx.areas[Level.GRID]
    buildings = ctx.areas[Level.BUILDING]
    area_id = {
        a.path: a.id
        for level in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.BUILDING)
        for a in ctx.areas[level]
    }

    party_tag = Tag.objects.get(code="party_member").pk
    members_src = list(
        ResidentTag.objects.filter(tag_id=party_tag)
        .order_by("resident_id")
        .values_list("resident_id", "resident__household_id", "resident__area_path")
    )
    households = list(
        Household.objects.for_generator().order_by("area_path", "id").values_list("id", "area_path")
    )
    heads = list(
        Resident.objects.for_generator()
        .filter(relation=Relation.HEAD)
        .order_by("id")
        .values_list("id", "area_path")
    )
    members_per_community: dict[str, int] = defaultdict(int)
    for _rid, _hid, path in members_src:
        members_per_community[ancestor_path(path, Level.COMMUNITY)] += 1

    with transaction.atomic():
        # 1–2. Street working committees and community committees / general branches.
        street_orgs = [
            net.org(OrgKind.STREET_COMMITTEE, f"中共{s.name}工作委员会", None, s, s.id) for s in streets
        ]
        PartyOrg.objects.bulk_create(street_orgs, batch_size=2000)
        street_org = {o.area_path: o for o in street_orgs}
        community_orgs = []
        for c in communities:
            big = members_per_community[c.path] >= COMMITTEE_MIN_MEMBERS
            kind = OrgKind.COMMUNITY_COMMITTEE if big else OrgKind.COMMUNITY_GENERAL_BRANCH
            name = f"中共{c.name}{'委员会' if big else '总支部委员会'}"
            community_orgs.append(
                net.org(kind, name, street_org[ancestor_path(c.path, Level.STREET)], c, c.id)
            )
        PartyOrg.objects.bulk_create(community_orgs, batch_size=2000)
        community_org = {o.area_path: o for o in community_orgs}

        # 3. Grid branches over one or several grids of a community; a few grids left uncovered.
        uncovered = set(
            rng.sample(
                range(len(grids)), min(len(grids) - len(communities), max(1, ctx.scaled(UNCOVERED_GRIDS, 0)))
            )
        )
        covered_by_community: dict[str, list[AreaStub]] = defaultdict(list)
        for i, g in enumerate(grids):
            if i not in uncovered:
                covered_by_community[ancestor_path(g.path, Level.COMMUNITY)].append(g)
        community_paths = [c.path for c in communities if covered_by_community[c.path]]
        target_branches = min(ctx.scaled(GRID_BRANCHES), sum(len(v) for v in covered_by_community.values()))
        per_community = _apportion(
            target_branches,
            [len(covered_by_community[p]) for p in community_paths],
            [float(len(covered_by_community[p])) for p in community_paths],
        )
        branches: list[PartyOrg] = []
        branch_grids: list[list[AreaStub]] = []
        for path, n in zip(community_paths, per_community, strict=True):
            community_name = next(c.name for c in communities if c.path == path) if n else ""
            for j, chunk in enumerate(_split(covered_by_community[path], n)):
                home = chunk[0].path if len(chunk) == 1 else path
                name = (
                    f"中共{community_name}第{j + 1}网格支部委员会"
                    if len(chunk) == 1
                    else f"中共{community_name}第{j + 1}网格联合支部委员会"
                )
                branches.append(net.org(OrgKind.GRID_BRANCH, name, community_org[path], home, area_id[home]))
                branch_grids.append(chunk)
        PartyOrg.objects.bulk_create(branches, batch_size=2000)
        coverage = [
            OrgCoverage(org=b, area_id=g.id, area_path=g.path)
            for b, chunk in zip(branches, branch_grids, strict=True)
            for g in chunk
        ]
        branch_of_grid = {g.path: b for b, chunk in zip(branches, branch_grids, strict=True) for g in chunk}

        # 4. Building groups: each branch's buildings in one or more groups; "new" buildings left out.
        buildings_by_grid: dict[str, list[AreaStub]] = defaultdict(list)
        for b in buildings:
            buildings_by_grid[ancestor_path(b.path, Level.GRID)].append(b)
        candidates_new = [
            bs[-1] for g, bs in buildings_by_grid.items() if g in branch_of_grid and len(bs) > 1
        ]
        new_buildings = {
            b.path
            for b in rng.sample(
                candidates_new, min(len(candidates_new), max(1, ctx.scaled(NEW_BUILDINGS, 0)))
            )
        }
        branch_buildings = [
            [b for g in chunk for b in buildings_by_grid[g.path] if b.path not in new_buildings]
            for chunk in branch_grids
        ]
        target_groups = min(ctx.scaled(BUILDING_GROUPS), sum(len(bs) for bs in branch_buildings))
        per_branch = _apportion(
            target_groups, [len(bs) for bs in branch_buildings], [float(len(bs)) for bs in branch_buildings]
        )
        groups: list[PartyOrg] = []
        group_buildings: list[list[AreaStub]] = []
        for branch, bs, n in zip(branches, branch_buildings, per_branch, strict=True):
            for j, chunk in enumerate(_split(bs, n)):
                home = common_home([b.path for b in chunk])
                groups.append(
                    net.org(
                        OrgKind.BUILDING_GROUP,
                        f"{branch.name.removeprefix('中共').removesuffix('委员会')}第{j + 1}党小组",
                        branch,
                        home,
                        area_id[home],
                    )
                )
                group_buildings.append(chunk)
        PartyOrg.objects.bulk_create(groups, batch_size=2000)
        coverage += [
            OrgCoverage(org=grp, area_id=b.id, area_path=b.path)
            for grp, chunk in zip(groups, group_buildings, strict=True)
            for b in chunk
        ]
        OrgCoverage.objects.bulk_create(coverage, batch_size=5000)
        all_orgs = street_orgs + community_orgs + branches + groups
        OrgChange.objects.bulk_create(
            [
                OrgChange(org=o, kind=ChangeKind.CREATE, area_path=o.area_path, reason="合成城市")
                for o in all_orgs
            ],
            batch_size=5000,
        )

        # 5. Members: in the branch covering their grid, else their community's organisation.
        #    (Raw multi-row inserts for the big tables: model instances would cost most of the step.)
        member_rows: list[tuple] = []
        member_household: dict[int, int] = {}  # household -> resident of its first ordinary member
        for resident_id, household_id, path in members_src:
            community = ancestor_path(path, Level.COMMUNITY)
            joined = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(19000))
            if rng.random() < IN_SERVICE_RATE:
                registered = dt.date(2022, 3, 1) + dt.timedelta(days=rng.randrange(1200))
                workplace = rng.choice(WORKPLACES) + "党委"
                member_rows.append(
                    (resident_id, None, True, workplace, area_id[community], registered, joined, community)
                )
            else:
                org = branch_of_grid.get(ancestor_path(path, Level.GRID)) or community_org[community]
                member_rows.append((resident_id, org.pk, False, "", None, None, joined, org.area_path))
                member_household.setdefault(household_id, resident_id)
        raw_insert(
            PartyMember,
            [
                "resident",
                "org",
                "in_service",
                "workplace",
                "dual_community",
                "dual_registered_on",
                "joined_on",
                "area_path",
            ],
            member_rows,
            dates=(5, 6),
            constants={"is_active": True},
            timestamps=True,
        )
        member_id = dict(PartyMember.objects.for_generator().values_list("resident_id", "id"))
        member_of_household = {hid: member_id[rid] for hid, rid in member_household.items()}

        # 6. Central households: member households in each group's buildings; they serve the rest.
        households_by_building: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for hid, path in households:
            households_by_building[ancestor_path(path, Level.BUILDING)].append((hid, path))
        group_households = [
            [h for b in chunk for h in households_by_building[b.path]] for chunk in group_buildings
        ]
        group_candidates = [[h for h in hs if h[0] in member_of_household] for hs in group_households]
        target_central = min(ctx.scaled(CENTRAL_HOUSEHOLDS), sum(len(c) for c in group_candidates))
        per_group = _apportion(
            target_central, [len(c) for c in group_candidates], [float(len(hs)) for hs in group_households]
        )
        centrals: list[CentralHousehold] = []
        served_plan: list[tuple[int, list[tuple[int, str]]]] = []
        for grp, hs, cands, n in zip(groups, group_households, group_candidates, per_group, strict=True):
            if n == 0:
                continue
            chosen = sorted(rng.sample(cands, n), key=lambda h: (h[1], h[0]))
            chosen_ids = {h[0] for h in chosen}
            rest = [h for h in hs if h[0] not in chosen_ids]
            for (hid, path), share in zip(chosen, _split(rest, n), strict=True):
                centrals.append(
                    CentralHousehold(
                        household_id=hid,
                        member_id=member_of_household[hid],
                        group=grp,
                        area_path=path,
                        designated_on=dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(900)),
                    )
                )
                served_plan.append((len(centrals) - 1, share))
        CentralHousehold.objects.bulk_create(centrals, batch_size=5000)
        raw_insert(
            ServedHousehold,
            ["central", "household", "area_path"],
            [(centrals[i].pk, hid, path) for i, share in served_plan for hid, path in share],
        )

        # 7. Red building leaders (some lead two neighbouring buildings) and unit leaders.
        heads_by_building: dict[str, list[int]] = defaultdict(list)
        heads_by_unit: dict[str, list[int]] = defaultdict(list)
        for rid, path in heads:
            heads_by_building[ancestor_path(path, Level.BUILDING)].append(rid)
            heads_by_unit[path].append(rid)
        members_by_building: dict[str, list[int]] = defaultdict(list)
        for resident_id, _hid, path in members_src:
            members_by_building[ancestor_path(path, Level.BUILDING)].append(resident_id)
        led = [b for b in buildings if b.path not in new_buildings and heads_by_building[b.path]]
        target_leaders = min(ctx.scaled(RED_LEADERS), len(led))
        reusable = [
            i
            for i in range(1, len(led))
            if ancestor_path(led[i].path, Level.GRID) == ancestor_path(led[i - 1].path, Level.GRID)
        ]
        reuse = set(rng.sample(reusable, min(len(reusable), len(led) - target_leaders)))
        leaders: list[tuple] = []
        previous = 0
        for i, b in enumerate(led):
            if i in reuse:
                resident_id = previous
            else:
                pool = members_by_building[b.path] or heads_by_building[b.path]
                resident_id = rng.choice(pool)
            previous = resident_id
            appointed = dt.date(2022, 6, 1) + dt.timedelta(days=rng.randrange(700))
            leaders.append((LeaderKind.BUILDING.value, b.id, resident_id, b.path, appointed))
        for u in ctx.areas[Level.UNIT]:
            if ancestor_path(u.path, Level.BUILDING) in new_buildings or not heads_by_unit[u.path]:
                continue
            appointed = dt.date(2022, 6, 1) + dt.timedelta(days=rng.randrange(700))
            leaders.append(
                (LeaderKind.UNIT.value, u.id, rng.choice(heads_by_unit[u.path]), u.path, appointed)
            )
        raw_insert(
            BuildingLeader,
            ["kind", "area", "resident", "area_path", "appointed_on"],
            leaders,
            dates=(4,),
            constants={"is_active": True},
            timestamps=True,
        )

    ctx.summary.update(
        party_grid_branches=len(branches),
        party_building_groups=len(groups),
        party_central_households=len(centrals),
        party_red_leaders=len(led) - len(reuse),
        party_members=len(member_rows),
    )
    return (
        f"{len(branches)} 个网格党支部, {len(groups)} 个楼院党小组, {len(centrals)} 户党员中心户, "
        f"{len(led) - len(reuse)} 名红色楼长, {len(member_rows)} 名党员"
    )


# --- step 3b: property-sector organisations, 双报到 records and the grid's party-building resources ----
GENERATOR = SystemActor("demo.party")  # the services' audit rows read system:demo.party
DUAL_SERVICES = 3000  # records of in-service members' services, at scale 1.0
AID_GROUPS = 600  # grid mutual-aid groups, at scale 1.0
GRID_FUNDS = 800  # special funds allocated to grids, at scale 1.0
SERVICE_CONTENT = {
    ServiceCategory.VOLUNTEER: ["社区志愿服务", "文明创建志愿活动", "垃圾分类引导"],
    ServiceCategory.PATROL: ["夜间治安巡逻", "节日安全巡查"],
    ServiceCategory.ENVIRONMENT: ["楼道清理", "小区环境整治", "清理小广告"],
    ServiceCategory.CARE: ["看望独居老人", "帮扶困难家庭", "陪同老人就医"],
    ServiceCategory.PUBLICITY: ["政策宣讲", "反诈宣传", "党史学习分享"],
    ServiceCategory.MEDIATION: ["邻里纠纷调解", "物业矛盾协调"],
    ServiceCategory.DUTY: ["防汛值守", "应急演练值守"],
    ServiceCategory.OTHER: ["协助社区入户走访"],
}
AID_KINDS = [
    ("助老互助组", "为高龄独居老人代购、陪诊、每日问候"),
    ("邻里帮扶组", "邻里之间照看孩子、代收快递、应急帮忙"),
    ("应急互助组", "汛期、停水停电时互相照应,转移帮扶"),
    ("文明劝导组", "劝导不文明行为,维护楼道环境"),
]
FUND_SOURCES = ["市级党建经费", "区级专项经费", "街道党工委专项", "社区惠民资金"]
SPEND_PURPOSES = ["购置应急物资", "开展邻里节活动", "楼道微改造", "慰问困难群众", "党员活动阵地维护"]


def _day_in(rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def _property_orgs(ctx: CityContext) -> tuple[int, int]:
    """The city's and each district's property-industry organisation; one red-property alliance per street."""
    from gridgov.areas.models import Area

    city = Area.objects.for_generator().get(level=Level.CITY, path=ctx.areas[Level.CITY][0].path)
    top = services.create_org(
        GENERATOR, kind=OrgKind.PROPERTY_INDUSTRY, name=f"中共{city.name}物业服务行业委员会", area=city
    )
    made = 1
    for district in (
        Area.objects.for_generator().filter(level=Level.DISTRICT, path__startswith=city.path).order_by("path")
    ):
        services.create_org(
            GENERATOR,
            kind=OrgKind.PROPERTY_INDUSTRY,
            name=f"中共{district.name}物业服务行业委员会",
            area=district,
            parent=top,
        )
        made += 1
    committees = (
        PartyOrg.objects.for_generator()
        .filter(kind=OrgKind.STREET_COMMITTEE, is_active=True)
        .select_related("area")
    )
    alliances = 0
    for committee in committees.order_by("area_path"):
        services.create_org(
            GENERATOR,
            kind=OrgKind.PROPERTY_ALLIANCE,
            name=f"{committee.area.name}红色物业党建联盟",
            area=committee.area,
            parent=committee,
        )
        alliances += 1
    return made, alliances


def _dual_services(ctx: CityContext, rng) -> int:
    from gridgov.areas.models import Area

    members = list(
        PartyMember.objects.for_generator()
        .filter(is_active=True, in_service=True, dual_community__isnull=False)
        .order_by("id")
    )
    if not members:
        return 0
    communities = {
        a.pk: a for a in Area.objects.for_generator().filter(pk__in={m.dual_community_id for m in members})
    }
    today = timezone.localdate()
    # Half the in-service members serve at all; those who do serve several times a year.
    active = rng.sample(members, max(1, len(members) // 2))
    seen: set[tuple] = set()
    made = 0
    categories = list(SERVICE_CONTENT)
    for n in range(ctx.scaled(DUAL_SERVICES) * 3):
        if made >= ctx.scaled(DUAL_SERVICES):
            break
        member = active[n % len(active)] if n < len(active) else rng.choice(active)
        start = max(
            member.dual_registered_on or today - dt.timedelta(days=365), today - dt.timedelta(days=365)
        )
        served_on = _day_in(rng, start, today)
        category = rng.choice(categories)
        if (member.pk, served_on, category) in seen:
            continue
        seen.add((member.pk, served_on, category))
        services.record_dual_service(
            GENERATOR,
            member=member,
            community=communities[member.dual_community_id],
            served_on=served_on,
            hours=rng.choice(["1", "1.5", "2", "2", "2.5", "3", "4"]),
            category=category,
            content=rng.choice(SERVICE_CONTENT[category]),
        )
        made += 1
    return made


def _aid_groups(ctx: CityContext, rng) -> int:
    from gridgov.areas.models import Area

    grids = list(Area.objects.for_generator().filter(level=Level.GRID, is_active=True).order_by("path"))
    made = 0
    for grid in rng.sample(grids, min(len(grids), ctx.scaled(AID_GROUPS))):
        people = list(
            Resident.objects.for_generator()
            .filter(is_active=True, area_path__startswith=grid.path, birth_date__lte=dt.date(2006, 1, 1))
            .order_by("id")[:200]
        )
        if len(people) < 3:
            continue
        chosen = rng.sample(people, min(len(people), rng.randint(3, 9)))
        name, purpose = rng.choice(AID_KINDS)
        formed = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(700))
        group = services.form_mutual_aid_group(
            GENERATOR,
            grid=grid,
            name=f"{grid.name}{name}",
            leader=chosen[0],
            members=chosen[1:],
            purpose=purpose,
            formed_on=min(formed, timezone.localdate()),
        )
        made += 1
        if len(chosen) > 4 and rng.random() < 0.2:
            services.leave_mutual_aid(GENERATOR, group, chosen[-1])
        if rng.random() < 0.08:
            services.dissolve_mutual_aid(GENERATOR, group, reason="组员搬离,并入楼院互助组")
    return made


def _grid_funds(ctx: CityContext, rng) -> tuple[int, int]:
    from gridgov.areas.models import Area

    grids = list(Area.objects.for_generator().filter(level=Level.GRID, is_active=True).order_by("path"))
    today = timezone.localdate()
    funds = spendings = 0
    for grid in rng.sample(grids, min(len(grids), ctx.scaled(GRID_FUNDS))):
        year = today.year if rng.random() < 0.7 else today.year - 1
        fund = services.allocate_grid_fund(
            GENERATOR,
            grid=grid,
            year=year,
            amount=rng.choice(["5000", "10000", "20000", "30000"]),
            source=rng.choice(FUND_SOURCES),
        )
        funds += 1
        end = today if year == today.year else dt.date(year, 12, 31)
        left = fund.amount
        for _ in range(rng.randint(0, 4)):
            amount = (left * rng.choice([10, 20, 25, 30]) / 100).quantize(Decimal("0.01"))
            if amount <= 0:
                break
            services.record_fund_spending(
                GENERATOR,
                fund,
                spent_on=_day_in(rng, dt.date(year, 1, 1), end),
                amount=amount,
                purpose=rng.choice(SPEND_PURPOSES),
            )
            left -= amount
            spendings += 1
    return funds, spendings


@step(order=32, name="党建资源进网格")
def generate_party_resources(ctx: CityContext) -> str:
    """Through the services (each write audited as system:demo.party). Points are not awarded here:
    the points step funds the pools later and posts what the records earn (`points.dual_report`)."""
    rng = ctx.fork("party-resources")
    with hooks.muted():
        orgs, alliances = _property_orgs(ctx)
        dual = _dual_services(ctx, rng)
        groups = _aid_groups(ctx, rng)
        funds, spendings = _grid_funds(ctx, rng)
    ctx.summary.update(
        party_dual_services=dual, party_aid_groups=groups, party_grid_funds=funds, party_property_orgs=orgs
    )
    return (
        f"{orgs} 个物业服务行业党组织, {alliances} 个红色物业党建联盟, {dual} 条双报到服务记录, "
        f"{groups} 个网格互助组, {funds} 笔网格专项经费({spendings} 笔支出)"
    )
