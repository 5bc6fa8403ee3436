"""Synthetic city: red property (docs/events-property.md).

Step 70 makes the property companies (about ctx.scaled(300) registered at the streets, one
community-run property service centre per community that runs its own, and ctx.scaled(28)
public-interest property organisations), the estates (小区: one or two grids' buildings each, so
about 2,900 at scale 1.0) with the four coverage models, contracts and fee-collection rates. The
public-interest organisations take over most estates that had no company (兜底); a few stay without
service so the check has something to show.

Step 85 (after the work orders of step 80) records round-table meetings whose decisions become work
orders, monthly residents' surveys, and twelve months of three-100% scores computed from each
company's work orders, so the ranking page has data. Step 95 (after the demo logins of step 90) binds
the demo `property` login to the company serving the first community.
Everything is bulk-inserted; generate_city writes one audit row per step.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.areas.models import PATH_LENGTH, Level, ancestor_path
from gridgov.core.actors import SystemActor
from gridgov.demo.context import AreaStub, CityContext
from gridgov.demo.registry import step
from gridgov.events.models import AssigneeKind

from . import queries, services
from .models import (
    STANDARD_CODES,
    CompanyAccount,
    CoverageModel,
    Decision,
    Estate,
    MeetingDecision,
    PartyOrgStatus,
    PropertyCompany,
    RoundTable,
    Scorer,
    ServiceContract,
    StandardsCheck,
    Survey,
)

COMPANIES = 300  # property companies at scale 1.0
PUBLIC_INTEREST = 28  # public-interest property organisations (兜底) at scale 1.0
MEETINGS = 600  # round-table meetings in the year at scale 1.0
COVERAGE_WEIGHTS = {
    CoverageModel.INTRODUCED: 0.55,
    CoverageModel.CO_BUILDING: 0.15,
    CoverageModel.COMMUNITY_RUN: 0.10,
    CoverageModel.NONE: 0.20,
}
FALLBACK_SHARE = 0.75  # of estates without a company, taken over by a public-interest organisation
NAME_HEADS = "金碧华润万科绿城保利龙湖碧桂园中海招商世茂融创远洋金地雅居乐首开鑫苑正荣卓越"
NAME_TAILS = ["物业服务有限公司", "物业管理有限公司", "物业服务集团有限公司", "智慧物业有限公司"]
ESTATE_NAMES = "幸福和平阳光锦绣金色翠苑丽景康乐福星春晖文华紫荆桂花枫林东湖西苑南山北岸"
ESTATE_TAILS = ["小区", "花园", "家园", "苑", "新村", "公寓"]
TALK_CONTENT = "本季度综合得分 {avg},位列街道末位;通报工单办结、居民评价和检查中发现的问题。"
TALK_RECTIFICATION = "一个月内提交整改方案,下季度复查工单按时办结率和居民满意度。"
STANDARD_NOTES = ["正在整改", "材料不全", "下季度复查", "尚未落实", "部分小区未落实"]
GENERATOR = SystemActor("demo.property")  # the services' audit rows read system:demo.property


def _company_name(rng, used: set[str]) -> str:
    for _attempt in range(50):
        head = "".join(rng.sample(NAME_HEADS, 2))
        name = f"{head}{rng.choice(NAME_TAILS)}"
        if name not in used:
            used.add(name)
            return name
    name = f"第{len(used) + 1}物业服务有限公司"
    used.add(name)
    return name


def _estate_name(rng, index: int) -> str:
    a, b = rng.sample(ESTATE_NAMES, 2)
    return f"{a}{b}{rng.choice(ESTATE_TAILS)}{'' if index < 1 else f'{index + 1}期'}"


@step(order=70, name="红色物业")
def generate_property(ctx: CityContext) -> str:
    rng = ctx.fork("property")
    from gridgov.people.models import Household

    streets = ctx.areas.get(Level.STREET) or []
    communities = ctx.areas.get(Level.COMMUNITY) or []
    grids = ctx.areas.get(Level.GRID) or []
    buildings = ctx.areas.get(Level.BUILDING) or []
    if not streets or not grids:
        return "0 家物业企业"
    households = dict(
        Household.objects.for_generator()
        .annotate(building=Substr("area_path", 1, 18))
        .order_by()
        .values_list("building")
        .annotate(n=Count("*"))
    )
    by_grid: dict[str, list[AreaStub]] = defaultdict(list)
    for b in buildings:
        by_grid[ancestor_path(b.path, Level.GRID)].append(b)
    grids_by_community: dict[str, list[AreaStub]] = defaultdict(list)
    for g in grids:
        grids_by_community[ancestor_path(g.path, Level.COMMUNITY)].append(g)
    community_by_path = {c.path: c for c in communities}
    used_names: set[str] = set()
    with transaction.atomic():
        # companies, spread over the streets
        companies = []
        # joins[i]: the date company i joins its street's alliance (None: it stays out); quality[i]: how
        # good it is, which drives its standards checks and, in step 85, its inspections and surveys.
        joins: dict[int, dt.date | None] = {}
        weak = set(
            rng.sample(
                range(ctx.scaled(COMPANIES, minimum=3)), max(1, ctx.scaled(COMPANIES, minimum=3) // 25)
            )
        )
        for i in range(ctx.scaled(COMPANIES, minimum=3)):
            street = streets[i % len(streets)]
            party = rng.choices(PartyOrgStatus.values, (0.35, 0.25, 0.25, 0.15))[0]
            if i in weak:
                party = PartyOrgStatus.NONE  # a few weak companies: bottom and elimination lists
            in_alliance = party != PartyOrgStatus.NONE and rng.random() < 0.8
            companies.append(
                PropertyCompany(
                    name=_company_name(rng, used_names),
                    credit_code=f"91{rng.randrange(10**15):015d}X",
                    area_id=street.id,
                    area_path=street.path,
                    party_status=party,
                    party_org_name="" if party == PartyOrgStatus.NONE else "党支部",
                    contact_phone=f"0{rng.randrange(10**10):010d}"[:12],
                )
            )
            joins[id(companies[-1])] = (
                dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(900)) if in_alliance else None
            )
        quality = {
            id(c): rng.uniform(30, 45) if i in weak else rng.gauss(80, 9) for i, c in enumerate(companies)
        }
        public = []
        for i in range(ctx.scaled(PUBLIC_INTEREST)):
            street = streets[i % len(streets)]
            public.append(
                PropertyCompany(
                    name=f"{street.name}公益性物业服务中心{'' if i < len(streets) else i // len(streets) + 1}",
                    area_id=street.id,
                    area_path=street.path,
                    is_public_interest=True,
                    party_status=PartyOrgStatus.INSTRUCTOR,
                )
            )
            joins[id(public[-1])] = dt.date(2024, 3, 1)
            quality[id(public[-1])] = rng.gauss(70, 6)
        PropertyCompany.objects.bulk_create(companies + public, batch_size=2000)
        by_street: dict[str, list[PropertyCompany]] = defaultdict(list)
        for c in companies:
            by_street[c.area_path].append(c)

        # estates: one or two grids' buildings each
        estates: list[Estate] = []
        estate_buildings: list[list[int]] = []
        community_run: dict[str, PropertyCompany] = {}
        for community_path, community_grids in grids_by_community.items():
            index = 0
            i = 0
            while i < len(community_grids):
                take = 2 if rng.random() < 0.45 and i + 1 < len(community_grids) else 1
                chunk = community_grids[i : i + take]
                i += take
                area = chunk[0] if take == 1 else community_by_path.get(community_path, chunk[0])
                ids = [b.id for g in chunk for b in by_grid[g.path]]
                model = rng.choices(list(COVERAGE_WEIGHTS), list(COVERAGE_WEIGHTS.values()))[0]
                company = None
                if model in (CoverageModel.INTRODUCED, CoverageModel.CO_BUILDING):
                    pool = by_street.get(ancestor_path(community_path, Level.STREET)) or companies
                    company = rng.choice(pool)
                elif model == CoverageModel.COMMUNITY_RUN:
                    company = community_run.get(community_path)
                    if company is None:
                        community = community_by_path.get(community_path)
                        company = PropertyCompany.objects.create(
                            name=f"{community.name if community else community_path}物业服务站",
                            area_id=community.id if community else area.id,
                            area_path=community_path,
                            party_status=PartyOrgStatus.JOINT,
                        )
                        community_run[community_path] = company
                        joins[id(company)] = dt.date(2024, 1, 1)
                        quality[id(company)] = rng.gauss(75, 6)
                n = sum(households.get(f"{b.path}", 0) for g in chunk for b in by_grid[g.path])
                estates.append(
                    Estate(
                        name=_estate_name(rng, index if rng.random() < 0.2 else 0),
                        area_id=area.id,
                        area_path=area.path,
                        company=company,
                        coverage_model=model,
                        households=n,
                        fee_collection_rate=Decimal(str(round(rng.triangular(55, 99, 90), 1)))
                        if company
                        else None,
                    )
                )
                estate_buildings.append(ids)
                index += 1
        # public-interest organisations take over most estates without a company (兜底)
        bare = [e for e in estates if e.company is None]
        rng.shuffle(bare)
        taken = bare[: round(len(bare) * FALLBACK_SHARE)] if public else []
        by_street_public: dict[str, list[PropertyCompany]] = defaultdict(list)
        for p in public:
            by_street_public[p.area_path].append(p)
        for e in taken:
            e.company = rng.choice(by_street_public.get(ancestor_path(e.area_path, Level.STREET)) or public)
            e.coverage_model = CoverageModel.SOCIAL_ORG
            e.fee_collection_rate = Decimal(str(round(rng.uniform(40, 80), 1)))
        Estate.objects.bulk_create(estates, batch_size=2000)
        through = Estate.buildings.through
        through.objects.bulk_create(
            [
                through(estate_id=e.pk, area_id=b)
                for e, ids in zip(estates, estate_buildings, strict=True)
                for b in ids
            ],
            batch_size=5000,
        )
        # the events step sends property-type work orders in these buildings to the estate's company
        for e, ids in zip(estates, estate_buildings, strict=True):
            if e.company is not None:
                ctx.assignee_units.update(dict.fromkeys(ids, (AssigneeKind.PROPERTY, e.company.pk)))
        contracts = []
        for e in estates:
            if e.company is None:
                continue
            starts = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(900))
            contracts.append(
                ServiceContract(
                    estate=e,
                    company=e.company,
                    area_path=e.area_path,
                    starts_on=starts,
                    ends_on=starts + dt.timedelta(days=365 * rng.choice((2, 3, 5))),
                    fee_per_m2=Decimal(str(round(rng.uniform(0.6, 2.8), 2))),
                )
            )
        ServiceContract.objects.bulk_create(contracts, batch_size=5000)
        everyone = companies + public + list(community_run.values())
        ctx.property_quality = {c.pk: quality[id(c)] for c in everyone}  # type: ignore[attr-defined]
        members = _join_alliances(ctx, rng, [(c, joins[id(c)]) for c in everyone if joins[id(c)]])
        checks = _check_standards(rng, [(c, quality[id(c)], joins[id(c)] is not None) for c in everyone])
    total_companies = len(companies) + len(public) + len(community_run)
    none_left = sum(1 for e in estates if e.company is None)
    ctx.summary.update(property_companies=total_companies, estates=len(estates))
    return (
        f"{total_companies} 家物业企业(公益性 {len(public)}),{len(estates)} 个小区,"
        f"{len(taken)} 个兜底接管,{none_left} 个无物业服务,{len(contracts)} 份合同,"
        f"{members} 家企业加入街道红色物业党建联盟,{checks} 次十项标准检查"
    )


def _property_orgs(ctx: CityContext) -> dict[str, Any]:
    """The city's and each district's property industry party organisation and each street's
    red-property alliance, by area path: those the party network already has, the others made through
    the party service (an alliance needs its street's party working committee)."""
    from gridgov.areas.models import Area
    from gridgov.party import services as party_services
    from gridgov.party.models import OrgKind, PartyOrg

    orgs: dict[str, Any] = {}
    existing = PartyOrg.objects.for_generator().filter(is_active=True)
    for org in existing.filter(kind__in=[OrgKind.PROPERTY_INDUSTRY, OrgKind.PROPERTY_ALLIANCE]):
        orgs.setdefault(org.area_path, org)
    committees = {o.area_path: o for o in existing.filter(kind=OrgKind.STREET_COMMITTEE)}
    wanted = [
        (stub, OrgKind.PROPERTY_INDUSTRY)
        for level in (Level.CITY, Level.DISTRICT)
        for stub in ctx.areas.get(level) or []
    ] + [(stub, OrgKind.PROPERTY_ALLIANCE) for stub in ctx.areas.get(Level.STREET) or []]
    areas = Area.objects.for_generator().in_bulk([stub.id for stub, _kind in wanted])
    for stub, kind in wanted:
        if stub.path in orgs:
            continue
        if kind == OrgKind.PROPERTY_INDUSTRY:
            parent = orgs.get(stub.path[: PATH_LENGTH[Level.CITY]]) if stub.level == Level.DISTRICT else None
            name = f"{stub.name}物业服务行业党委"
        else:
            parent = committees.get(stub.path)
            name = f"{stub.name}红色物业党建联盟"
            if parent is None:
                continue
        orgs[stub.path] = party_services.create_org(
            GENERATOR, kind=kind, name=name, parent=parent, area=areas[stub.id]
        )
    return orgs


def _join_alliances(ctx: CityContext, rng, joining: list[tuple[PropertyCompany, dt.date | None]]) -> int:
    """Memberships through the service: each joining company in its street's alliance, and about half
    of them in their district's industry organisation too."""
    orgs = _property_orgs(ctx)
    joined = 0
    for company, joined_on in joining:
        street = orgs.get(ancestor_path(company.area_path, Level.STREET))
        if street is not None:
            services.join_org(GENERATOR, org=street, company=company, joined_on=joined_on)
            joined += 1
        district = orgs.get(ancestor_path(company.area_path, Level.DISTRICT))
        if district is not None and rng.random() < 0.5:
            services.join_org(GENERATOR, org=district, company=company, joined_on=joined_on)
    return joined


def _check_standards(rng, rows: list[tuple[PropertyCompany, float, bool]]) -> int:
    """Two 10-standards checks per company through the service (January of last year and of this year):
    an alliance member meets most standards, a weak company few; a missed standard gets a note."""
    today = timezone.localdate()
    count = 0
    for company, quality, member in rows:
        for year in (today.year - 1, today.year):
            chance = min(0.95, max(0.05, quality / 100 * (1.0 if member else 0.55)))
            results = [
                {
                    "code": code,
                    "met": (met := rng.random() < chance),
                    "note": "" if met else rng.choice(STANDARD_NOTES),
                }
                for code in STANDARD_CODES
            ]
            services.record_standards_check(
                GENERATOR, company, checked_on=min(today, dt.date(year, 1, 15)), results=results
            )
            count += 1
    return count


@step(order=85, name="圆桌会议与三个百分百评分")
def generate_meetings_and_scores(ctx: CityContext) -> str:
    from gridgov.events import demo as event_demo
    from gridgov.events.models import Category, Source

    rng = ctx.fork("property-scores")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    estates = list(
        Estate.objects.for_generator()
        .filter(company__isnull=False)
        .values_list("pk", "area_id", "area_path", "company_id")
    )
    if not estates:
        return "0 次圆桌会议"
    categories = {c.code: c for c in Category.objects.all()}
    category = categories.get("property") or next(iter(categories.values()))
    with transaction.atomic():
        # round-table meetings, their decisions as work orders
        meetings = []
        for _i in range(ctx.scaled(MEETINGS)):
            estate_id, _area_id, area_path, company_id = rng.choice(estates)
            held = (now - dt.timedelta(days=rng.randrange(2, 360))).date()
            meetings.append(
                RoundTable(
                    area_id=_community_id(ctx, area_path),
                    area_path=ancestor_path(area_path, Level.COMMUNITY),
                    estate_id=estate_id,
                    company_id=company_id,
                    held_on=held,
                    convener="社区党委",
                    attendees=["社区党委", "居委会", "业委会", "物业企业", "居民代表"][: rng.randint(3, 5)],
                    topics=rng.choice(event_demo.MEETING_TOPICS),
                )
            )
        RoundTable.objects.bulk_create(meetings, batch_size=2000)
        specs = []
        for m in meetings:
            for _d in range(rng.randint(1, 3)):
                text = rng.choice(event_demo.MEETING_DECISIONS)
                held_at = timezone.make_aware(dt.datetime.combine(m.held_on, dt.time(16, 0)))
                specs.append(
                    event_demo.EventSpec(
                        category=category,
                        title=text,
                        description=f"圆桌会议({m.held_on})决定:{text}",
                        area_id=m.area_id,
                        area_path=m.area_path,
                        reported_at=held_at,
                        source=Source.MEETING,
                        origin=f"roundtable:{m.pk}",
                        unit=(AssigneeKind.PROPERTY, m.company_id) if m.company_id else None,
                        meeting_id=m.pk,
                    )
                )
        events = event_demo.build_events(ctx, rng, specs, now)
        MeetingDecision.objects.bulk_create(
            [
                MeetingDecision(meeting_id=s.meeting_id or 0, content=s.title, event_id=e.pk)
                for s, e in zip(specs, events, strict=True)
            ],
            batch_size=5000,
        )

        # surveys (input data, bulk), then the three scorers' entries through the services
        months = _score_months(timezone.localdate())
        companies = list(PropertyCompany.objects.for_generator().order_by("pk"))
        stored = getattr(ctx, "property_quality", {})
        quality = {
            c.pk: stored.get(c.pk, rng.gauss(68 if c.is_public_interest else 80, 9)) for c in companies
        }
        estates_by_company: dict[int, list[tuple]] = defaultdict(list)
        for e in estates:
            estates_by_company[e[3]].append(e)
        surveys = []
        for company in companies:
            q = quality[company.pk]
            for month in months:
                for estate_id, _area_id, estate_path, _company in estates_by_company.get(company.pk, []):
                    r = rng.randint(20, 60)
                    ok = max(0, min(r, round(r * min(1.0, max(0.0, rng.gauss(q / 100, 0.08))))))
                    surveys.append(
                        Survey(
                            estate_id=estate_id,
                            company_id=company.pk,
                            area_path=estate_path,
                            month=month,
                            respondents=r,
                            satisfied=ok,
                        )
                    )
        Survey.objects.bulk_create(surveys, batch_size=5000)
        scores = _score(rng, companies, quality, months)
    talks = _talk_to_the_bottom(months)
    decisions = _decide_eliminations(timezone.localdate().year - 1)
    return (
        f"{len(meetings)} 次圆桌会议,{len(events)} 项决定工单,{len(surveys)} 份满意度调查,"
        f"{scores} 条月度评分,{talks} 次季度约谈,{decisions} 项年度淘汰决定"
    )


def _score_months(today: dt.date) -> list[dt.date]:
    """January of last year up to last month, oldest first: a full year for the elimination decision and
    this year's months for the ranking page."""
    months, month = [], dt.date(today.year - 1, 1, 1)
    while month < today.replace(day=1):
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def party_score(check: StandardsCheck | None, company: PropertyCompany) -> float:
    """The generator's street party office: 10 points per standard met in the company's latest check,
    capped at 100, plus 30 for a company with a party organisation of its own or a joint one, 20 for one
    with a party-building instructor (the office's real judgement is entered on the score page)."""
    met = check.met_count if check is not None else 0
    bonus: dict[str, int] = {PartyOrgStatus.OWN: 30, PartyOrgStatus.JOINT: 30, PartyOrgStatus.INSTRUCTOR: 20}
    return float(min(100, 10 * met + bonus.get(company.party_status, 0)))


def _score(rng, companies: list[PropertyCompany], quality: dict[int, float], months: list[dt.date]) -> int:
    """Each month, each company: the street's party score (from its standards check), the property
    management centre's inspection (its service computes the other 60 % from the work orders, response
    times included) and the community's satisfaction (computed by the service from ratings and surveys;
    none without either)."""
    from gridgov.core.services import ServiceError

    checks: dict[int, list[StandardsCheck]] = defaultdict(list)
    for check in StandardsCheck.objects.for_generator().order_by("checked_on"):
        checks[check.company_id].append(check)
    count = 0
    for company in companies:
        for month in months:
            latest = next((c for c in reversed(checks[company.pk]) if c.checked_on <= month), None)
            latest = latest or next(iter(checks[company.pk]), None)
            inspection = round(_clip(rng.gauss(quality[company.pk], 6)), 1)
            entries: tuple[tuple[str, dict[str, float]], ...] = (
                (Scorer.PARTY, {"score": party_score(latest, company)}),
                (Scorer.PROFESSIONAL, {"inspection": inspection}),
                (Scorer.SATISFACTION, {}),
            )
            for scorer, values in entries:
                try:
                    services.score_month(GENERATOR, company, month=month, scorer=scorer, **values)
                except ServiceError:
                    continue  # no ratings and no surveys: the community has nothing to score
                count += 1
    return count


def _talk_to_the_bottom(months: list[dt.date]) -> int:
    """The street's quarterly talks with the bottom companies of each full quarter among its peers."""
    today = timezone.localdate()
    quarters = sorted({(m.year, (m.month - 1) // 3 + 1) for m in months})
    full = [(y, q) for y, q in quarters if dt.date(y, 3 * q, 1) in months]
    streets: dict[str, PropertyCompany] = {}
    for company in PropertyCompany.objects.for_generator().order_by("pk"):
        streets.setdefault(ancestor_path(company.area_path, Level.STREET), company)
    count = 0
    for representative in streets.values():
        peers = queries.ranking_peers(representative)
        for year, quarter in full:
            after = (dt.date(year, 3 * quarter, 1) + dt.timedelta(days=40)).replace(day=10)
            for row in queries.quarter_bottom(peers, year, quarter):
                services.record_talk(
                    GENERATOR,
                    row.company,
                    year=year,
                    quarter=quarter,
                    held_on=min(after, today),
                    content=TALK_CONTENT.format(avg=row.average),
                    rectification=TALK_RECTIFICATION,
                )
                count += 1
    return count


def _decide_eliminations(year: int) -> int:
    """The yearly decision on each company below the standard: eliminated when its average is under
    50, otherwise given a deadline to put things right."""
    count = 0
    listed = queries.elimination_list(PropertyCompany.objects.for_generator(), year)
    for row in listed:
        decision = Decision.ELIMINATE if row.average < 50 else Decision.RECTIFY
        services.decide_elimination(
            GENERATOR,
            row.company,
            year=year,
            decision=decision,
            note=f"{year} 年度平均分 {row.average},低于淘汰标准",
        )
        count += 1
    return count


def _clip(value: float) -> float:
    return max(0.0, min(100.0, value))


def _community_id(ctx: CityContext, path: str) -> int:
    cache = getattr(ctx, "_community_ids", None)
    if cache is None:
        cache = {c.path: c.id for c in ctx.areas.get(Level.COMMUNITY) or []}
        ctx._community_ids = cache  # type: ignore[attr-defined]
    return cache[ancestor_path(path, Level.COMMUNITY)]


@step(order=95, name="物业企业账号")
def generate_company_accounts(ctx: CityContext) -> str:
    """The demo `property` login works for the company serving the most estates of its community."""
    from gridgov.accounts.models import User

    user = User._default_manager.filter(username="property").first()
    if user is None or CompanyAccount.objects.filter(user=user).exists():
        return "0 个物业企业账号"
    row = (
        Estate.objects.for_generator()
        .filter(
            area_path__startswith=user.area_path,
            company__isnull=False,
            company__is_public_interest=False,
            company__is_active=True,  # not one that last year's decision eliminated
        )
        .values("company_id")
        .annotate(n=Count("*"))
        .order_by("-n", "company_id")
        .first()
    )
    if row is None:
        return "0 个物业企业账号"
    with transaction.atomic():
        CompanyAccount.objects.create(user=user, company_id=row["company_id"])
    return "1 个物业企业账号(property)"
