"""Synthetic city, step 4: community staff, their careers, trainings, competition, grid workers, payroll.

At scale S this makes ctx.scaled(figure) records behind each of the report's figures:

* one secretary per community (三个一批 sources), each on stage in the district competition (293),
  each evaluated; 45 earlier secretaries replaced for poor performance or low satisfaction;
* at least one reserve successor per community;
* 40 secretaries seconded to Shanghai/Chengdu, 16 municipal studios with members, 975 salon attendances;
* two-committee members, party-affairs and community workers around each community's quota;
  467 of the two-committee members rose from worker posts (their position history says so);
  a little over 30 % of the corps hold a social-work qualification (certificates + ladder spells);
* 4,407 full-time grid workers: one on every grid (4,327 at scale 1.0, some with an earlier
  assignment as history) and the rest (80) in the pool — the 一网一员 check lists them as workers
  without a grid, and lists no grid without a worker;
* one month's payroll for every community from the default 3 × 18 scale.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef

from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core.actors import SystemActor
from gridgov.demo.context import AreaStub, CityContext
from gridgov.demo.registry import step
from gridgov.people.demo import TODAY
from gridgov.people.indicators import years_ago
from gridgov.people.models import Resident, ResidentTag, Tag

from . import services
from .models import (
    PARTY_LADDER,
    Certificate,
    CertificateKind,
    Competition,
    CompetitionRound,
    Education,
    Evaluation,
    GradeChange,
    GridAssignment,
    JudgeScore,
    Outcome,
    PositionRecord,
    Post,
    Presentation,
    Replacement,
    ReplacementReason,
    SalaryScale,
    Salon,
    Source,
    Staff,
    Studio,
    Successor,
    Training,
    TrainingKind,
    category_for,
)
from .queries import quota_for, quota_rule
from .reference import ensure_defaults
from .services import compute_grade

GENERATOR = SystemActor("generate_city.workforce")
LINKS_FROM = dt.date(2024, 1, 1)  # 两委成员联网格 began with the 2024 re-zoning of grids

GRID_WORKERS = 4407
SECONDED = 40
STUDIOS = 16
SALON_ATTENDANCES = 975  # "970余人次"
SALONS = 40
REPLACED = 45
ENTERED_TWO_COMMITTEES = 467
QUALIFIED_SHARE = 0.32  # "超30%"
DEPUTIES, COMMITTEE, PARTY_AFFAIRS = 2, 3, 1
HOST_CITIES = ["上海", "成都"]
JUDGES = ["评委一", "评委二", "评委三", "评委四", "评委五"]
STUDIO_THEMES = [
    "红色物业",
    "老旧小区治理",
    "一网三联",
    "平急结合",
    "居民议事",
    "志愿服务",
    "积分兑换",
    "睦邻互助",
]
EDUCATION_WEIGHTS = (
    (Education.HIGH_SCHOOL, Education.JUNIOR_COLLEGE, Education.BACHELOR, Education.MASTER),
    (10, 35, 50, 5),
)


def _studio_name(i: int) -> str:
    theme, edition = STUDIO_THEMES[i % len(STUDIO_THEMES)], i // len(STUDIO_THEMES)
    return f"{theme}书记工作室" + (f"({'二三四五六七八九'[edition - 1]})" if edition else "")


def _date(rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


CERTIFICATES_FROM, CERTIFICATES_TO = dt.date(2015, 1, 1), dt.date(2025, 12, 1)
# The social-work title each certificate is the first to qualify for (services/ladders.TITLE_CERTIFICATES).
FIRST_TITLE: dict[str, str] = {
    CertificateKind.ASSISTANT_SOCIAL_WORKER: Post.ASSISTANT_SOCIAL_WORKER,
    CertificateKind.SOCIAL_WORKER: Post.SOCIAL_WORKER,
}


def certificate_dates(rng, kinds: list[str], titles: dict[str, dt.date]) -> list[dt.date]:
    """Issue dates of a staff member's certificates, in ladder order (assistant first), as the career ladder
    requires: each certificate before the title it qualifies for (`titles`: post → the day it was taken),
    and each later certificate no earlier than the one before."""
    dates: list[dt.date] = []
    for kind in kinds:
        title = titles.get(FIRST_TITLE.get(kind, ""))
        latest = min(CERTIFICATES_TO, title - dt.timedelta(days=1)) if title else CERTIFICATES_TO
        if dates:
            earliest = min(dates[-1], latest)
        else:
            earliest = min(CERTIFICATES_FROM, latest - dt.timedelta(days=730))
        dates.append(_date(rng, earliest, latest))
    return dates


class _Builder:
    def __init__(self, ctx: CityContext) -> None:
        self.ctx = ctx
        self.rng = ctx.fork("workforce")
        scale = SalaryScale.objects.filter(effective_from__lte=TODAY).order_by("-effective_from").first()
        if scale is None:
            raise RuntimeError("no salary scale in force")
        self.scale: SalaryScale = scale
        self.staff: list[Staff] = []
        self.positions: list[tuple[Staff, str, dt.date, dt.date | None]] = []
        self.certs: dict[int, list[str]] = defaultdict(list)  # index in self.staff -> certificate kinds
        self.titles: dict[int, dict[str, dt.date]] = defaultdict(dict)  # index -> social-work title -> from

    def person(
        self, resident_id: int, community, post: str, hired_on: dt.date, *, source: str = "", active=True
    ) -> Staff:
        education = self.rng.choices(*EDUCATION_WEIGHTS)[0]
        s = Staff(
            resident_id=resident_id,
            community_id=community.id,
            area_path=community.path,
            post=post,
            source=source,
            education=education,
            hired_on=hired_on,
            category=category_for(post),
            is_active=active,
        )
        self.staff.append(s)
        return s

    def spell(self, s: Staff, post: str, start: dt.date, end: dt.date | None = None) -> None:
        self.positions.append((s, post, start, end))


def _residents(community_path: str, tag_id: int, party: bool, need: int) -> list[int]:
    """Adult residents (25–57) of one community, party members first if asked (one indexed range scan)."""
    oldest, youngest = years_ago(57, TODAY), years_ago(25, TODAY)
    qs = Resident.objects.for_generator().filter(
        area_path__gte=community_path,
        area_path__lt=community_path + ":",
        birth_date__gt=oldest,
        birth_date__lte=youngest,
    )
    if party:
        qs = qs.filter(Exists(ResidentTag.objects.filter(tag_id=tag_id, resident_id=OuterRef("pk"))))
    return list(qs.order_by("id").values_list("id", flat=True)[: need * 3])


@step(order=40, name="社区工作者队伍")
def generate_workforce(ctx: CityContext) -> str:
    ensure_defaults()
    b = _Builder(ctx)
    rng = b.rng
    communities = ctx.areas[Level.COMMUNITY]
    grids = ctx.areas[Level.GRID]
    districts = ctx.areas[Level.DISTRICT]
    tag_id = Tag.objects.get(code="party_member").pk
    rule = quota_rule(TODAY)
    from gridgov.core.indicators import get as indicator

    households = indicator("households").by_prefix(ctx.areas[Level.CITY][0].path, 12)
    grids_by_community: dict[str, list] = defaultdict(list)
    for g in grids:
        grids_by_community[ancestor_path(g.path, Level.COMMUNITY)].append(g)

    pool_workers = max(0, ctx.scaled(GRID_WORKERS) - len(grids))
    pool_home = rng.choices(range(len(communities)), k=pool_workers)
    secretaries: list[Staff] = []
    seats: list[Staff] = []  # two-committee seats on duty (secretaries included)
    deputies: list[Staff] = []
    corps_workers: list[Staff] = []
    grid_workers: list[tuple[Staff, AreaStub | None]] = []
    outgoing: list[tuple[Staff, Staff, dt.date]] = []
    replaced_at = set(rng.sample(range(len(communities)), min(len(communities), ctx.scaled(REPLACED, 0))))

    for ci, c in enumerate(communities):
        quota = quota_for(rule, households.get(c.path, 0))
        base_posts = 1 + DEPUTIES + COMMITTEE + PARTY_AFFAIRS
        workers = max(1, quota - base_posts + rng.randint(-2, 2))
        grid_count = len(grids_by_community[c.path]) + pool_home.count(ci)
        leaders = _residents(c.path, tag_id, True, base_posts + 1)
        leader_set = set(leaders)
        others = [
            r for r in _residents(c.path, tag_id, False, workers + grid_count + 1) if r not in leader_set
        ]
        rng.shuffle(leaders)
        rng.shuffle(others)
        people = leaders + others
        if len(people) < base_posts + workers + grid_count + 1:
            raise RuntimeError(f"community {c.path} has too few adult residents for its staff")
        take = iter(people)
        source = rng.choices((Source.DISPATCHED, Source.PROMOTED, Source.RECRUITED), weights=(25, 50, 25))[0]
        sec = b.person(
            next(take), c, Post.SECRETARY, _date(rng, dt.date(2008, 1, 1), dt.date(2019, 1, 1)), source=source
        )
        secretaries.append(sec)
        seats.append(sec)
        if ci in replaced_at:
            old = b.person(
                next(take),
                c,
                Post.SECRETARY,
                _date(rng, dt.date(2005, 1, 1), dt.date(2012, 1, 1)),
                source=Source.RECRUITED,
                active=False,
            )
            left = _date(rng, dt.date(2022, 3, 1), dt.date(2025, 12, 1))
            old.left_on = left
            b.spell(old, Post.SECRETARY, old.hired_on, left)
            outgoing.append((old, sec, left))
        for _ in range(DEPUTIES):
            s = b.person(
                next(take), c, Post.DEPUTY_SECRETARY, _date(rng, dt.date(2010, 1, 1), dt.date(2022, 1, 1))
            )
            seats.append(s)
            deputies.append(s)
        for _ in range(COMMITTEE):
            seats.append(
                b.person(
                    next(take), c, Post.COMMITTEE_MEMBER, _date(rng, dt.date(2010, 1, 1), dt.date(2023, 1, 1))
                )
            )
        for _ in range(PARTY_AFFAIRS):
            corps_workers.append(
                b.person(
                    next(take), c, Post.PARTY_AFFAIRS, _date(rng, dt.date(2012, 1, 1), dt.date(2024, 1, 1))
                )
            )
        for _ in range(workers):
            corps_workers.append(
                b.person(
                    next(take), c, Post.COMMUNITY_WORKER, _date(rng, dt.date(2012, 1, 1), dt.date(2025, 6, 1))
                )
            )
        own_grids = grids_by_community[c.path]
        for gi in range(grid_count):
            s = b.person(
                next(take), c, Post.GRID_WORKER, _date(rng, dt.date(2019, 1, 1), dt.date(2025, 9, 1))
            )
            grid_workers.append((s, own_grids[gi] if gi < len(own_grids) else None))

    # Careers: which two-committee members rose from worker posts (all promoted secretaries do).
    target_entered = min(ctx.scaled(ENTERED_TWO_COMMITTEES), len(seats))
    must = [s for s in seats if s.post == Post.SECRETARY and s.source == Source.PROMOTED]
    must_ids = {id(s) for s in must}
    rest = [s for s in seats if id(s) not in must_ids]
    entered = {id(s) for s in must[:target_entered]}
    entered |= {id(s) for s in rng.sample(rest, max(0, target_entered - len(entered)))}
    for s in seats:
        if s.post == Post.SECRETARY and s.source == Source.PROMOTED and id(s) not in entered:
            s.source = Source.DISPATCHED
        if id(s) in entered:
            ladder = (
                PARTY_LADDER[: PARTY_LADDER.index(s.post) + 1]
                if s.post in PARTY_LADDER
                else (Post.COMMUNITY_WORKER, s.post)
            )
            start = s.hired_on
            span = max(1, ((TODAY - dt.timedelta(days=400)) - start).days // len(ladder))
            for k, post in enumerate(ladder):
                end = None if k == len(ladder) - 1 else start + dt.timedelta(days=span)
                b.spell(s, post, start, end)
                start = end or start
        else:
            b.spell(s, s.post, s.hired_on)
    # Replaced secretaries: the successor took the post the day the outgoing one left (deputy before).
    for _old, new, left in outgoing:
        i = max(k for k, p in enumerate(b.positions) if p[0] is new)
        _new, post, start, _end = b.positions[i]
        if start < left:
            b.positions[i] = (new, post, left, None)
            b.spell(new, Post.DEPUTY_SECRETARY, start, left)
    for s in corps_workers:
        b.spell(s, s.post, s.hired_on)

    # Social-work qualifications for a little over 30% of the corps (active, grid workers apart).
    corps = [s for s in b.staff if s.is_active and s.post != Post.GRID_WORKER]
    qualified = rng.sample(corps, min(len(corps), math.ceil(len(corps) * QUALIFIED_SHARE) + 1))
    by_identity = {id(s): i for i, s in enumerate(b.staff)}
    worker_spell = {
        id(p[0]): k for k, p in enumerate(b.positions) if p[1] == Post.COMMUNITY_WORKER and p[3] is None
    }
    for s in qualified:
        kinds: list[str] = [CertificateKind.ASSISTANT_SOCIAL_WORKER]
        if rng.random() < 0.3:
            kinds.append(CertificateKind.SOCIAL_WORKER)
        b.certs[by_identity[id(s)]] = kinds
        if s.post == Post.COMMUNITY_WORKER:
            # The social-work ladder: worker → assistant social worker (→ social worker).
            new_post = Post.SOCIAL_WORKER if len(kinds) == 2 else Post.ASSISTANT_SOCIAL_WORKER
            i = worker_spell[id(s)]
            _s, post, start, _end = b.positions[i]
            change = _date(rng, start + dt.timedelta(days=1), TODAY - dt.timedelta(days=30))
            b.positions[i] = (s, post, start, change)
            if new_post == Post.SOCIAL_WORKER:  # no skipped rung: assistant first (midway, no extra draw)
                assistant = change
                change = assistant + (TODAY - dt.timedelta(days=30) - assistant) / 2
                b.spell(s, Post.ASSISTANT_SOCIAL_WORKER, assistant, change)
                b.titles[by_identity[id(s)]][Post.ASSISTANT_SOCIAL_WORKER] = assistant
            b.spell(s, new_post, change)
            b.titles[by_identity[id(s)]][new_post] = change
            s.post = new_post
    for i, s in enumerate(b.staff):
        s.grade = compute_grade(
            b.scale, education=s.education, hired_on=s.hired_on, certificates=b.certs.get(i, []), on=TODAY
        )

    with transaction.atomic():
        Staff.objects.bulk_create(b.staff, batch_size=5000)
        PositionRecord.objects.bulk_create(
            [
                PositionRecord(staff=s, post=p, area_path=s.area_path, started_on=start, ended_on=end)
                for s, p, start, end in b.positions
            ],
            batch_size=5000,
        )
        GradeChange.objects.bulk_create(
            [
                GradeChange(
                    staff=s,
                    new_category=s.category,
                    new_grade=s.grade,
                    effective_on=s.hired_on,
                    reason="入职定级",
                    area_path=s.area_path,
                )
                for s in b.staff
            ],
            batch_size=5000,
        )
        Certificate.objects.bulk_create(
            [
                Certificate(
                    staff=b.staff[i],
                    kind=k,
                    number=f"SW{b.staff[i].pk:08d}{n}",
                    issued_on=issued_on,
                    area_path=b.staff[i].area_path,
                )
                for i, kinds in b.certs.items()
                for n, (k, issued_on) in enumerate(
                    zip(kinds, certificate_dates(rng, kinds, b.titles.get(i, {})), strict=True)
                )
            ],
            batch_size=5000,
        )
        # Reserve successors: one deputy secretary per community (two in some).
        successors = [
            Successor(
                community_id=d.community_id,
                staff=d,
                area_path=d.area_path,
                designated_on=_date(rng, dt.date(2021, 1, 1), dt.date(2025, 6, 1)),
            )
            for d in deputies[::DEPUTIES]
        ]
        successors += [
            Successor(
                community_id=d.community_id,
                staff=d,
                area_path=d.area_path,
                designated_on=_date(rng, dt.date(2021, 1, 1), dt.date(2025, 6, 1)),
            )
            for d in deputies[1::DEPUTIES]
            if rng.random() < 0.3
        ]
        Successor.objects.bulk_create(successors, batch_size=5000)

        # Replacements with the evaluation that led to them.
        reasons = (ReplacementReason.POOR_PERFORMANCE, ReplacementReason.LOW_SATISFACTION)
        Replacement.objects.bulk_create(
            [
                Replacement(
                    community_id=old.community_id,
                    outgoing=old,
                    incoming=new,
                    reason=rng.choice(reasons),
                    note="履职评估结果较差",
                    replaced_on=left,
                    area_path=old.area_path,
                )
                for old, new, left in outgoing
            ]
        )
        evaluations = [
            Evaluation(
                staff=old,
                year=left.year - 1,
                fit_score=Decimal(rng.randint(4000, 6400)) / 100,
                satisfaction=Decimal(rng.randint(3500, 6500)) / 100,
                outcome=rng.choice((Outcome.BASIC, Outcome.INCOMPETENT)),
                area_path=old.area_path,
            )
            for old, _new, left in outgoing
        ]
        evaluations += [
            Evaluation(
                staff=s,
                year=2025,
                fit_score=Decimal(rng.randint(7000, 9900)) / 100,
                satisfaction=Decimal(rng.randint(7500, 9950)) / 100,
                outcome=rng.choices(
                    (Outcome.EXCELLENT, Outcome.COMPETENT, Outcome.BASIC), weights=(25, 70, 5)
                )[0],
                area_path=s.area_path,
            )
            for s in secretaries
        ]
        Evaluation.objects.bulk_create(evaluations, batch_size=5000)

        # Trainings: secondments, studios, salons.
        trainings = [
            Training(
                staff=s,
                kind=TrainingKind.SECONDMENT,
                host_city=rng.choice(HOST_CITIES),
                started_on=(start := _date(rng, dt.date(2022, 3, 1), dt.date(2025, 3, 1))),
                ended_on=start + dt.timedelta(days=rng.choice((90, 180))),
                area_path=s.area_path,
            )
            for s in rng.sample(secretaries, min(len(secretaries), ctx.scaled(SECONDED)))
        ]
        leads = rng.sample(secretaries, min(len(secretaries), ctx.scaled(STUDIOS)))
        studios = [
            Studio(
                name=_studio_name(i),
                lead=s,
                training_base=f"{STUDIO_THEMES[i % len(STUDIO_THEMES)]}实训体悟基地",
                area_path=s.area_path,
                established_on=_date(rng, dt.date(2021, 1, 1), dt.date(2023, 1, 1)),
            )
            for i, s in enumerate(leads)
        ]
        Studio.objects.bulk_create(studios)
        for studio in studios:
            local = [
                s
                for s in secretaries
                if ancestor_path(s.area_path, Level.DISTRICT)
                == ancestor_path(studio.area_path, Level.DISTRICT)
            ] or secretaries
            for s in rng.sample(local, min(len(local), rng.randint(4, 9))):
                trainings.append(
                    Training(
                        staff=s,
                        kind=TrainingKind.STUDIO,
                        studio=studio,
                        started_on=studio.established_on or dt.date(2021, 1, 1),
                        area_path=s.area_path,
                    )
                )
        city = ctx.areas[Level.CITY][0]
        salons = [
            Salon(
                title=f"第{i + 1}期书记沙龙",
                held_on=_date(rng, dt.date(2022, 1, 1), dt.date(2026, 6, 1)),
                area_path=(districts[i % len(districts)].path if i % 3 else city.path),
            )
            for i in range(ctx.scaled(SALONS))
        ]
        Salon.objects.bulk_create(salons)
        attendees = secretaries + deputies + [s for s in seats if s.post == Post.COMMITTEE_MEMBER]
        pairs = [
            (salon, s)
            for salon in salons
            for s in attendees
            if salon.area_path == city.path or s.area_path.startswith(salon.area_path)
        ]
        for salon, s in rng.sample(pairs, min(len(pairs), ctx.scaled(SALON_ATTENDANCES))):
            trainings.append(
                Training(
                    staff=s,
                    kind=TrainingKind.SALON,
                    salon=salon,
                    started_on=salon.held_on,
                    ended_on=salon.held_on,
                    area_path=s.area_path,
                )
            )
        Training.objects.bulk_create(trainings, batch_size=5000)

        # The competition: every secretary on duty presents once in their district's competition.
        presentations, scores = [], []
        for d in districts:
            local = [s for s in secretaries if s.area_path.startswith(d.path)]
            if not local:
                continue
            comp = Competition.objects.create(
                district_id=d.id, title=f"{d.name}社区书记擂台赛(2025年)", year=2025, area_path=d.path
            )
            rounds = [
                CompetitionRound(
                    competition=comp,
                    number=k + 1,
                    held_on=dt.date(2025, 9, 1) + dt.timedelta(days=7 * k),
                    area_path=d.path,
                )
                for k in range(math.ceil(len(local) / 12))
            ]
            CompetitionRound.objects.bulk_create(rounds)
            for k, s in enumerate(local):
                presentations.append(
                    Presentation(
                        round=rounds[k // 12], staff=s, topic="比思路、晒实绩、谈变化", area_path=s.area_path
                    )
                )
        Presentation.objects.bulk_create(presentations, batch_size=5000)
        for p in presentations:
            centre = rng.randint(7600, 9400)
            scores += [
                JudgeScore(
                    presentation=p,
                    judge=j,
                    score=Decimal(min(10000, max(6000, centre + rng.randint(-400, 400)))) / 100,
                )
                for j in JUDGES
            ]
        JudgeScore.objects.bulk_create(scores, batch_size=5000)

        # 一网一员: one worker per grid; ~8% were moved from a neighbouring grid (history); the pool.
        assignments = []
        grid_start = dt.date(2023, 1, 1)
        placed = [(s, g) for s, g in grid_workers if g is not None]
        for k, (s, g) in enumerate(placed):
            start = max(s.hired_on, grid_start)
            if (
                rng.random() < 0.08
                and k > 0
                and ancestor_path(placed[k - 1][1].path, Level.COMMUNITY)
                == ancestor_path(g.path, Level.COMMUNITY)
            ):
                moved = _date(rng, start + dt.timedelta(days=30), dt.date(2026, 3, 1))
                prev = placed[k - 1][1]
                assignments.append(
                    GridAssignment(
                        staff=s,
                        grid_id=prev.id,
                        area_path=prev.path,
                        started_on=start,
                        ended_on=moved,
                        reason="网格调整",
                    )
                )
                start = moved
            assignments.append(GridAssignment(staff=s, grid_id=g.id, area_path=g.path, started_on=start))
        for s, maybe_grid in grid_workers:
            if maybe_grid is None and rng.random() < 0.5:
                own = grids_by_community[s.area_path]
                if own:
                    prev = rng.choice(own)
                    assignments.append(
                        GridAssignment(
                            staff=s,
                            grid_id=prev.id,
                            area_path=prev.path,
                            started_on=max(s.hired_on, grid_start),
                            ended_on=dt.date(2026, 5, 1),
                            reason="脱产培训",
                        )
                    )
        GridAssignment.objects.bulk_create(assignments, batch_size=5000)

        # One month's payroll per community, computed by the service (the scale in force, the split).
        month = TODAY.replace(day=1)
        active_in = {s.community_id for s in b.staff if s.is_active and s.hired_on < month}
        areas = Area.objects.for_generator().in_bulk([c.id for c in communities if c.id in active_in])
        for c in communities:
            if c.id in areas:
                services.compute_payroll(GENERATOR, areas[c.id], month)

        # 两委成员联网格 (挂包): each committee member on duty linked to 1–3 grids of the community,
        # the grids dealt round so that most grids have someone, through the service.
        links = _link_committee_members(rng, [s for s in seats if s.is_active], grids_by_community)

    active = sum(1 for s in b.staff if s.is_active)
    ctx.summary.update(workforce_staff=active, workforce_grid_workers=len(grid_workers))
    return (
        f"{active} 名在岗人员(其中专职网格员 {len(grid_workers)} 名,{pool_workers} 名机动), "
        f"{len(outgoing)} 名书记调整撤换, {len(entered)} 名进入两委, {len(trainings)} 条培训记录, "
        f"{links} 条两委成员联网格"
    )


def _link_committee_members(rng, members: list[Staff], grids_by_community: dict[str, list]) -> int:
    by_community: dict[str, list[Staff]] = defaultdict(list)
    for s in members:
        by_community[s.area_path].append(s)
    grid_rows = Area.objects.for_generator().in_bulk(
        [g.id for path in by_community for g in grids_by_community.get(path, [])]
    )
    count = 0
    for path, people in by_community.items():
        own = [grid_rows[g.id] for g in grids_by_community.get(path, []) if g.id in grid_rows]
        if not own:
            continue
        rng.shuffle(own)
        for k, s in enumerate(people):
            wanted = rng.randint(1, min(3, len(own)))
            chosen = {own[(k * 2 + j) % len(own)].pk: own[(k * 2 + j) % len(own)] for j in range(wanted)}
            on = max(s.hired_on, LINKS_FROM)
            for grid in chosen.values():
                services.link_grid(GENERATOR, s, grid, on=on, reason="两委成员联网格")
                count += 1
    return count
