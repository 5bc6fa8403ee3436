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

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.areas.models import Level, ancestor_path
from gridgov.demo.context import AreaStub, CityContext
from gridgov.demo.registry import step
from gridgov.events.models import AssigneeKind

from .models import (
    STANDARD_CODES,
    CompanyAccount,
    CoverageModel,
    Estate,
    MeetingDecision,
    MonthlyScore,
    PartyOrgStatus,
    PropertyCompany,
    RoundTable,
    Scorer,
    ServiceContract,
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
        for i in range(ctx.scaled(COMPANIES, minimum=3)):
            street = streets[i % len(streets)]
            party = rng.choices(PartyOrgStatus.values, (0.35, 0.25, 0.25, 0.15))[0]
            in_alliance = party != PartyOrgStatus.NONE and rng.random() < 0.8
            met = [c for c in STANDARD_CODES if rng.random() < (0.75 if in_alliance else 0.35)]
            companies.append(
                PropertyCompany(
                    name=_company_name(rng, used_names),
                    credit_code=f"91{rng.randrange(10**15):015d}X",
                    area_id=street.id,
                    area_path=street.path,
                    party_status=party,
                    party_org_name="" if party == PartyOrgStatus.NONE else "党支部",
                    in_alliance=in_alliance,
                    alliance_joined_on=dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(900))
                    if in_alliance
                    else None,
                    standards_met=met,
                    contact_phone=f"0{rng.randrange(10**10):010d}"[:12],
                )
            )
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
                    in_alliance=True,
                    alliance_joined_on=dt.date(2024, 3, 1),
                    standards_met=STANDARD_CODES[:8],
                )
            )
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
                            in_alliance=True,
                            alliance_joined_on=dt.date(2024, 1, 1),
                            standards_met=STANDARD_CODES[:6],
                        )
                        community_run[community_path] = company
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
    total_companies = len(companies) + len(public) + len(community_run)
    none_left = sum(1 for e in estates if e.company is None)
    ctx.summary.update(property_companies=total_companies, estates=len(estates))
    return (
        f"{total_companies} 家物业企业(公益性 {len(public)}),{len(estates)} 个小区,"
        f"{len(taken)} 个兜底接管,{none_left} 个无物业服务,{len(contracts)} 份合同"
    )


def _months(today: dt.date) -> list[dt.date]:
    """The twelve full months before this one, oldest first."""
    first = today.replace(day=1)
    out = []
    for _i in range(12):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return list(reversed(out))


@step(order=85, name="圆桌会议与三个百分百评分")
def generate_meetings_and_scores(ctx: CityContext) -> str:
    from gridgov.events import demo as event_demo
    from gridgov.events.models import Category, Event, Source, State

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

        # surveys and twelve months of three-100% scores
        months = _months(timezone.localdate())
        start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
        stats: dict[tuple[int, dt.date], list] = defaultdict(lambda: [0, 0, 0, 0, []])
        rows = (
            Event.objects.for_generator()
            .filter(assignee_kind=AssigneeKind.PROPERTY, dispatched_at__gte=start)
            .values_list(
                "assignee_id",
                "dispatched_at",
                "handled_at",
                "finish_due",
                "reopen_count",
                "state",
                "rating",
            )
        )
        for company_id, dispatched, handled, due, reopened, state, rating in rows.iterator():
            month = timezone.localtime(dispatched).date().replace(day=1)
            s = stats[(company_id, month)]
            s[0] += 1
            if handled is not None:
                s[1] += 1
                s[2] += 1 if due is None or handled <= due else 0
            s[3] += 1 if reopened else 0
            if rating is not None and state == State.RATED:
                s[4].append(rating)
        companies = list(
            PropertyCompany.objects.for_generator().values_list("pk", "area_path", "is_public_interest")
        )
        estates_by_company: dict[int, list[tuple]] = defaultdict(list)
        for e in estates:
            estates_by_company[e[3]].append(e)
        quality = {pk: rng.gauss(68 if public else 80, 9) for pk, _path, public in companies}
        for pk in rng.sample(list(quality), max(1, len(quality) // 25)):
            quality[pk] = rng.uniform(40, 57)  # a few weak companies: bottom and elimination lists
        surveys, scores = [], []
        for pk, path, _public in companies:
            q = quality[pk]
            for month in months:
                respondents = satisfied = 0
                for estate_id, _area_id, estate_path, _company in estates_by_company.get(pk, []):
                    r = rng.randint(20, 60)
                    ok = max(0, min(r, round(r * min(1.0, max(0.0, rng.gauss(q / 100, 0.08))))))
                    surveys.append(
                        Survey(
                            estate_id=estate_id,
                            company_id=pk,
                            area_path=estate_path,
                            month=month,
                            respondents=r,
                            satisfied=ok,
                        )
                    )
                    respondents += r
                    satisfied += ok
                count, finished, on_time, reopened, ratings = stats.get((pk, month), [0, 0, 0, 0, []])
                inspection = _clip(rng.gauss(q, 6))
                professional = inspection
                detail: dict = {"orders": count, "finished": finished, "inspection": round(inspection, 1)}
                if finished:
                    computed = (
                        40 * on_time / finished
                        + 30 * _clip(rng.gauss(q, 10)) / 100
                        + 30 * (1 - reopened / finished)
                    )
                    professional = 0.6 * computed + 0.4 * inspection
                    detail |= {"on_time": on_time, "reopened": reopened}
                rating_part = (sum(ratings) / len(ratings) - 1) / 4 * 100 if ratings else None
                survey_part = satisfied / respondents * 100 if respondents else _clip(rng.gauss(q, 6))
                satisfaction = (
                    0.7 * rating_part + 0.3 * survey_part if rating_part is not None else survey_part
                )
                for scorer, value in (
                    (Scorer.PARTY, _clip(rng.gauss(q + 5, 6))),
                    (Scorer.PROFESSIONAL, professional),
                    (Scorer.SATISFACTION, satisfaction),
                ):
                    scores.append(
                        MonthlyScore(
                            company_id=pk,
                            area_path=path,
                            month=month,
                            scorer=scorer,
                            score=Decimal(str(round(_clip(value), 1))),
                            detail=detail if scorer == Scorer.PROFESSIONAL else {},
                        )
                    )
        Survey.objects.bulk_create(surveys, batch_size=5000)
        MonthlyScore.objects.bulk_create(scores, batch_size=5000)
    return f"{len(meetings)} 次圆桌会议,{len(events)} 项决定工单,{len(surveys)} 份满意度调查,{len(scores)} 条月度评分"


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
            area_path__startswith=user.area_path, company__isnull=False, company__is_public_interest=False
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
