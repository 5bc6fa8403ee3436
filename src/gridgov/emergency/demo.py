"""Synthetic city: the two responder databases, every community's 4 + 7 groups, readiness, one past drill.

At scale 1.0 (293 communities of about 1,500 households each) the default template asks for about 151
emergency posts per community, 44,000+ in all; the generator registers, per community and skill, the
cadres those posts need plus about 7 % (so all 293 communities' groups are formed and every post has a
person: "4.4万余名下沉工作力量全部明确到具体岗位"), eight frontline staff per community (group leaders),
homes scattered around the community, a few on leave, on weekday windows or with health restrictions.
Everything goes through the services as the system actor.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.demo.context import CityContext
from gridgov.demo.names import person_name
from gridgov.demo.registry import step

from . import services
from .models import (
    SKILLS,
    Activation,
    EmployerUnit,
    Mode,
    Post,
    PostState,
    Responder,
    ResponderKind,
    WorkGroup,
    skills_to_mask,
)
from .services._common import households_by_community

SYSTEM = SystemActor("generate_city.emergency")
EXTRA_SHARE = 0.07
FRONTLINE_PER_COMMUNITY = 8
EMPLOYERS = [
    "市委组织部",
    "市发展改革委",
    "市教育局",
    "市公安局",
    "市民政局",
    "市财政局",
    "市人社局",
    "市住建局",
    "市交通运输局",
    "市卫健委",
    "市市场监管局",
    "市城管局",
    "市税务局",
    "国网供电公司",
    "市水务集团",
    "市第一人民医院",
    "市中医院",
    "市第一中学",
    "市委党校",
    "市委宣传部",
]
FRONTLINE_UNITS = ["社区居委会", "网格服务中心", "物业服务企业", "社区卫生服务中心"]
DEMO_CADRE = "cadre"


def _communities() -> list[Area]:
    return list(Area.objects.for_generator().filter(level=Level.COMMUNITY, is_active=True).order_by("path"))


def _demand(communities: list[Area]) -> dict[str, dict[str, int]]:
    households = households_by_community([c.path for c in communities])
    templates = services.templates_for([c.path for c in communities])
    result = {}
    for c in communities:
        need: dict[str, int] = {}
        for t in templates[(c.path, Mode.EMERGENCY)]:
            for skill, n in t.headcount(households.get(c.path, 0)).items():
                need[skill] = need.get(skill, 0) + n
        result[c.path] = need
    return result


class _People:
    def __init__(self, rng: random.Random, region: str) -> None:
        self.rng, self.region, self.n = rng, region, 0

    def card(self) -> idcard.IDCard:
        n = self.n
        self.n += 1
        birth = dt.date(1966, 1, 1) + dt.timedelta(days=(n // 999) * 3 + self.rng.randrange(3))
        return idcard.parse(idcard.build(self.region, birth, n % 999 + 1))

    def phone(self) -> str:
        return "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789") for _ in range(9))


def build_responders(
    rng: random.Random,
    communities: list[Area],
    employers: list[EmployerUnit],
    frontline_units: list[EmployerUnit],
    demand: dict[str, dict[str, int]],
    region: str,
    today: dt.date,
) -> list[Responder]:
    """Responders (unsaved) covering each community's emergency demand per skill plus EXTRA_SHARE."""
    people = _People(rng, region)
    made: list[Responder] = []

    def one(kind: str, community: Area, skills: set[str], employer: EmployerUnit, spread: float) -> Responder:
        cx, cy = float(community.x or 0), float(community.y or 0)
        angle, radius = rng.uniform(0, 2 * math.pi), abs(rng.gauss(0, spread))
        r = Responder(
            kind=kind,
            name=person_name(rng, rng.choice("MF")),
            employer=employer,
            community=community,
            area_path=community.path,
            home_x=cx + radius * math.cos(angle),
            home_y=cy + radius * math.sin(angle),
            skills=skills_to_mask(skills),
        )
        roll = rng.random()
        if roll < 0.03:
            r.on_leave_until = today + dt.timedelta(days=rng.randint(1, 20))
        elif roll < 0.10:
            r.available_days, r.available_from, r.available_until = 0b0011111, dt.time(8), dt.time(22)
        if rng.random() < 0.03:
            r.restricted_skills = skills_to_mask(
                [s for s in skills if s not in ("general", "data_entry")][:1]
            )
            r.health_note = "慢性病,不宜体力劳动" if r.restricted_skills else ""
        r.set_id_number(people.card())
        r.set_phone(people.phone())
        return r

    for community in communities:
        for i in range(FRONTLINE_PER_COMMUNITY):
            skills = {"general", "data_entry"} | ({"medical"} if i == FRONTLINE_PER_COMMUNITY - 1 else set())
            made.append(
                one(
                    ResponderKind.FRONTLINE, community, skills, frontline_units[i % len(frontline_units)], 500
                )
            )
        for skill, need in demand[community.path].items():
            for _ in range(need + math.ceil(need * EXTRA_SHARE)):
                skills = {skill}
                if rng.random() < 0.4:
                    skills.add(rng.choice(SKILLS))
                made.append(one(ResponderKind.CADRE, community, skills, rng.choice(employers), 900))
    return made


def _employers(city: Area) -> tuple[list[EmployerUnit], list[EmployerUnit]]:
    units = []
    for i, name in enumerate(EMPLOYERS + FRONTLINE_UNITS):
        code = f"{city.path}-{i + 1:03d}"
        existing = EmployerUnit.objects.filter(code=code).first()
        units.append(existing or services.create_employer(SYSTEM, name=name, code=code, area=city))
    return units[: len(EMPLOYERS)], units[len(EMPLOYERS) :]


def past_drill(rng: random.Random, communities: list[Area], *, started: dt.datetime) -> Activation:
    """One drill a month ago for the first street's communities: acknowledgements by text, no-shows
    re-posted at the deadline, back to normal two hours later."""
    act = services.activate(
        SYSTEM,
        communities=communities,
        level=Activation.Level.IV,
        reason="防汛应急演练",
        is_drill=True,
        ack_minutes=30,
        when=started,
        notify=False,
    )
    for post in Post.objects.for_generator().filter(activation=act).order_by("id"):
        if rng.random() < 0.86:
            services.acknowledge(
                SYSTEM, post.pk, channel="sms", when=started + dt.timedelta(seconds=rng.randint(40, 25 * 60))
            )
    services.reassign_no_shows(SYSTEM, act, when=started + dt.timedelta(minutes=31))
    for post in Post.objects.for_generator().filter(activation=act, state=PostState.ASSIGNED):
        services.acknowledge(
            SYSTEM, post.pk, channel="sms", when=started + dt.timedelta(minutes=rng.randint(33, 50))
        )
    return services.deactivate(SYSTEM, act, note="演练完成,响应及时", when=started + dt.timedelta(hours=2))


@step(order=75, name="平急结合")
def generate_emergency(ctx: CityContext) -> str:
    rng = ctx.fork("emergency")
    city = Area.objects.for_generator().get(level=Level.CITY, pk=ctx.areas[Level.CITY][0].id)
    communities = _communities()
    services.ensure_city_templates(SYSTEM, city)
    employers, frontline_units = _employers(city)
    demand = _demand(communities)
    today = timezone.localdate()
    responders = build_responders(
        rng,
        communities,
        employers,
        frontline_units,
        demand,
        region=ancestor_path(city.path + "01", Level.DISTRICT),
        today=today,
    )
    services.bulk_register(SYSTEM, responders, label="generate_city")
    result = services.form_groups(SYSTEM, communities)
    services.refresh_readiness([c.path for c in communities])
    drill_communities = [
        c
        for c in communities
        if ancestor_path(c.path, Level.STREET) == ancestor_path(communities[0].path, Level.STREET)
    ][:4]
    started = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=30), dt.time(10, 0)))
    past_drill(rng, drill_communities, started=started)
    cadres = sum(1 for r in responders if r.kind == ResponderKind.CADRE)
    posted = Post.objects.for_generator().filter(activation=None, group__mode=Mode.EMERGENCY).count()
    ctx.summary.update(emergency_cadres=cadres, emergency_posts=posted)
    short = set(
        WorkGroup.objects.for_generator().exclude(shortfall={}).values_list("community_id", flat=True)
    )
    formed = result.communities - len(short)
    return (
        f"{cadres} 名下沉干部, {len(responders) - cadres} 名一线人员, {formed} 个社区编组"
        f"({result.short_groups} 个小组有缺口), 战时岗位 {posted} 个, 1 次历史演练"
    )


@step(order=93, name="平急结合演示账号")
def generate_cadre_login(ctx: CityContext) -> str:
    """A resident login bound to one cadre of the first community (the phone page of the browser tests)."""
    from gridgov.accounts import services as accounts

    grids = ctx.areas.get(Level.GRID) or []
    if not grids or User._default_manager.filter(username=DEMO_CADRE).exists():
        return "0 个账号"
    from gridgov.accounts.demo import DEMO_PASSWORD

    grid = Area.objects.for_generator().get(pk=grids[0].id)
    user = accounts.create_user(
        SYSTEM,
        username=DEMO_CADRE,
        password=DEMO_PASSWORD,
        role=Role.RESIDENT,
        area=grid,
        display_name="下沉干部",
    )
    # the nearest-living cadre holding a standing emergency post there: activation keeps such a post
    post = (
        Post.objects.for_generator()
        .filter(
            activation=None,
            group__mode=Mode.EMERGENCY,
            area_path=ancestor_path(grid.path, Level.COMMUNITY),
            responder__kind=ResponderKind.CADRE,
            responder__on_leave_until=None,
            responder__available_from=None,
            responder__user=None,
        )
        .order_by("distance_m", "id")
        .first()
    )
    if post is not None:
        services.link_user(SYSTEM, post.responder_id, user)
    return "1 个账号(cadre)"
