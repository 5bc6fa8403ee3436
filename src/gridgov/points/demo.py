"""Synthetic city: a year of points — funded community pools, merchants, the standard catalogue,
volunteer activities with sign-up, check-in and approval, and redemptions at merchants.

Everything goes through the points services (so every balance is backed by ledger entries and every
write is audited). At scale 1.0 that is 31,000+ approved volunteer services and ~8,000 redemptions;
service calls cost a few milliseconds each, so this step takes minutes at full scale.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.demo.context import CityContext
from gridgov.demo.registry import step
from gridgov.people.models import Resident

from . import services
from .models import ActivityKind, EarnRole, MerchantKind, MonthClose, Scenario

GENERATOR = SystemActor("demo.points")  # audited as system:demo.points
SERVICES_AT_FULL_SCALE = 31_000
REDEMPTIONS_AT_FULL_SCALE = 8_000
CAPACITY = 8
# (earning role, points per hour, points per event) — the city-wide default rules.
RULES = (
    (EarnRole.RESIDENT, 10, 5),
    (EarnRole.PARTY_MEMBER, 12, 5),
    (EarnRole.BUILDING_LEADER, 12, 8),
    (EarnRole.UNIT_LEADER, 12, 6),
)
TITLES = (
    "楼道清洁志愿服务",
    "关爱独居老人上门探访",
    "垃圾分类宣传引导",
    "文明交通劝导",
    "社区义诊协助",
    "党员报到服务日",
)
MERCHANTS = (
    (MerchantKind.SHOP, "邻里便民超市"),
    (MerchantKind.CANTEEN, "长者食堂"),
    (MerchantKind.SERVICE, "便民服务点"),
)


@step(order=88, name="积分")
def generate_points(ctx: CityContext) -> str:
    rng = ctx.fork("points")
    communities = ctx.areas.get(Level.COMMUNITY) or []
    city = Area.objects.for_generator().get(level=Level.CITY)
    services.seed_catalogue(GENERATOR, city)
    # The city's earning rules: points per hour of volunteer service, per event of a duty, with caps.
    for role, per_hour, per_event in RULES:
        for kind in ActivityKind.values:
            services.save_rule(
                GENERATOR,
                area=city,
                role=role,
                activity_kind=kind,
                points_per_hour=per_hour,
                points_per_event=per_event,
                daily_cap=60,
                monthly_cap=400,
            )
    scenarios = [s for s in Scenario.objects.for_generator().filter(is_active=True) if not s.eligible_groups]
    per_community = max(1, -(-ctx.scaled(SERVICES_AT_FULL_SCALE) // max(1, len(communities))))
    redemptions_per_community = max(1, -(-ctx.scaled(REDEMPTIONS_AT_FULL_SCALE) // max(1, len(communities))))
    now = timezone.now()
    approved = redeemed = 0
    progress = ctx.progress("积分", len(communities))
    for stub in communities:
        community = Area.objects.for_generator().get(pk=stub.id)
        with transaction.atomic():
            services.fund_pool(GENERATOR, community, 10_000_000, key=f"demo:fund:{community.pk}")
            merchants = [
                services.create_merchant(GENERATOR, name=f"{community.name}{name}", kind=kind, area=community)
                for kind, name in MERCHANTS
            ]
            ids = list(
                Resident.objects.for_generator()
                .in_area(community.path)
                .filter(is_active=True)
                .values_list("pk", flat=True)
            )
            if not ids:
                progress.advance()
                continue
            # Volunteering is done by regulars: about one resident in ten, each serving many times.
            volunteers = rng.sample(ids, max(min(CAPACITY, len(ids)), len(ids) // 10))
            participants: list[Resident] = []
            for n in range(-(-per_community // CAPACITY)):
                start = now - dt.timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 8))
                activity = services.create_activity(
                    GENERATOR,
                    title=TITLES[n % len(TITLES)],
                    kind=ActivityKind.VOLUNTEER if n % 5 else ActivityKind.PARTY_DUTY,
                    area=community,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=rng.choice((1, 2, 2, 3))),
                    capacity=CAPACITY,
                )
                for pk in rng.sample(volunteers, min(CAPACITY, len(volunteers))):
                    resident = Resident.objects.for_generator().get(pk=pk)
                    part = services.sign_up(GENERATOR, activity, resident)
                    services.check_in(GENERATOR, part)
                    services.approve(GENERATOR, part)
                    participants.append(resident)
                    approved += 1
            for i in range(redemptions_per_community):
                resident = rng.choice(participants)
                merchant = rng.choice(merchants)
                balance = services.resident_account(resident).balance
                fitting = [
                    s
                    for s in scenarios
                    if s.price <= balance and (not s.merchant_kinds or merchant.kind in s.merchant_kinds)
                ]
                if not fitting:
                    continue
                try:
                    with transaction.atomic():
                        services.redeem(
                            GENERATOR,
                            merchant=merchant,
                            scenario=rng.choice(fitting),
                            key=f"demo:redeem:{community.pk}:{i}",
                            resident=resident,
                        )
                    redeemed += 1
                except ServiceError:
                    pass  # not enough points yet, a monthly limit or stock: as in real life, refused
        progress.advance()
    progress.close()
    # 双报到: the party step recorded in-service members' services with its hook muted (no rules or pools
    # then); with the 党员报到服务 rules seeded and the pools funded, post what those records earn.
    from . import dual_report

    dual = dual_report.award_missing()
    return (
        f"{approved} 次志愿服务(已审核计分), {redeemed} 次积分兑换, {dual} 次双报到服务计分, "
        f"{len(communities) * len(MERCHANTS)} 家商户"
    )


@step(order=97, name="积分演示账号")
def link_demo_accounts(ctx: CityContext) -> str:
    """The demo resident login sees a resident's points; the demo merchant login runs a community shop."""
    linked = []
    resident_user = User._default_manager.select_related("area").filter(username="resident").first()
    if resident_user is not None and resident_user.area is not None:
        resident = (
            Resident.objects.for_generator()
            .in_area(resident_user.area.path)
            .filter(is_active=True)
            .order_by("id")
            .first()
        )
        if resident is not None:
            services.link_resident(GENERATOR, resident_user, resident)
            linked.append("resident")
    merchant_user = User._default_manager.select_related("area").filter(username="merchant").first()
    if merchant_user is not None and merchant_user.area is not None:
        from .models import Merchant

        shop = (
            Merchant.objects.for_generator()
            .filter(area_path=merchant_user.area.path, kind=MerchantKind.SHOP)
            .first()
        )
        if shop is not None:
            Merchant.objects.for_generator().filter(pk=shop.pk).update(user=merchant_user)
            linked.append("merchant")
    return "、".join(linked) or "-"


# The points loop as a demo visitor walks it: the demo resident has earned points, can sign up for
# upcoming activities, can report hours for ones that took place, and the community's approvers have
# reports from neighbours waiting. Dates are relative to the day the city is generated.
HISTORY_DAYS = (45, 30, 16, 9)  # past services of the demo resident, approved (each on its own day)
RECENT = (  # (days ago, title, at grid level): taken place, open for self-reports
    (3, "社区环境整治志愿服务", False),
    (2, "敬老院陪伴志愿服务", False),
    (1, "网格楼道清洁志愿服务", True),
)
UPCOMING = (  # (days ahead, title): open for sign-up
    (2, "周末楼道清洁志愿服务"),
    (5, "关爱独居老人上门探访"),
    (9, "垃圾分类宣传引导"),
)


def _at(day_offset: int, hour: int) -> dt.datetime:
    local = timezone.localtime(timezone.now()) + dt.timedelta(days=day_offset)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


@step(order=98, name="积分演示闭环")
def demo_points_loop(ctx: CityContext) -> str:
    resident_user = User._default_manager.filter(username="resident").first()
    resident = services.resident_of_user(resident_user) if resident_user is not None else None
    if resident is None:
        return "-"
    rng = ctx.fork("points-loop")
    community = Area.objects.for_generator().get(path=ancestor_path(resident.area_path, Level.COMMUNITY))
    grid = Area.objects.for_generator().get(path=ancestor_path(resident.area_path, Level.GRID))
    neighbours = list(
        Resident.objects.for_generator()
        .in_area(community.path)
        .filter(is_active=True)
        .exclude(pk=resident.pk)
        .order_by("id")[:200]
    )
    rng.shuffle(neighbours)

    def activity(title: str, area: Area, start: dt.datetime, capacity: int = 20):
        return services.create_activity(
            GENERATOR,
            title=title,
            kind=ActivityKind.VOLUNTEER,
            area=area,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            capacity=capacity,
        )

    with transaction.atomic():
        earned = 0
        for n, days in enumerate(HISTORY_DAYS):
            past = activity(TITLES[n % len(TITLES)], community, _at(-days, 9))
            part = services.sign_up(GENERATOR, past, resident)
            services.check_in(GENERATOR, part)
            earned += services.approve(GENERATOR, part).points
        pending = 0
        for days, title, at_grid in RECENT:
            recent = activity(title, grid if at_grid else community, _at(-days, 9))
            for neighbour in neighbours[pending : pending + 2]:
                services.report_participation(
                    GENERATOR, recent, neighbour, minutes=rng.choice((60, 90, 120)), note="参加了本次活动"
                )
                pending += 1
        for days, title in UPCOMING:
            upcoming = activity(title, community, _at(days, 9))
            for neighbour in neighbours[pending : pending + 2]:
                services.sign_up(GENERATOR, upcoming, neighbour)
    return f"演示居民获得 {earned} 积分;{len(UPCOMING)} 个可报名活动,{pending} 条待审核申报"


# --- 积分联奖惩: a year of grid scores, staff points and performance pay --------------------------------
MONTHS = 12
LINKED_POSTS = ("secretary", "deputy_secretary", "committee_member", "party_affairs")
PAYEE_REDEMPTIONS_AT_FULL_SCALE = 1_500  # property-fee reductions and canteen meals, settled with their payee


def _link_committee_members(rng, community: Area, start: dt.date) -> int:
    """两委成员联网格 where the workforce step made none: each committee member, party-affairs worker and the
    secretary linked to one to three grids of their community (through the workforce service)."""
    from gridgov.workforce import services as workforce
    from gridgov.workforce.models import GridLink, Staff

    if GridLink.objects.for_generator().filter(area_path__startswith=community.path).exists():
        return 0
    grids = list(
        Area.objects.for_generator().filter(level=Level.GRID, path__startswith=community.path, is_active=True)
    )
    if not grids:
        return 0
    made = 0
    members = (
        Staff.objects.for_generator()
        .filter(community=community, is_active=True, post__in=LINKED_POSTS)
        .select_related("resident")
        .order_by("id")
    )
    for member in members:
        for grid in rng.sample(grids, min(len(grids), rng.randint(1, 3))):
            try:
                workforce.link_grid(
                    GENERATOR, member, grid, on=max(start, member.hired_on), reason="两委成员联网格"
                )
                made += 1
            except ServiceError:
                pass  # e.g. a post that is not linked
    return made


def _months_to_close(count: int) -> list[dt.date]:
    """The `count` months before last month: last month stays open for the secretary's button (or the
    beat task on the 1st), so the demo shows a month to preview and close."""
    month = timezone.localdate().replace(day=1)
    out = []
    for _i in range(count + 1):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        out.append(month)
    return sorted(out)[:-1]


@step(order=89, name="积分联奖惩")
def generate_month_closes(ctx: CityContext) -> str:
    """A year of month closes per community through the services: grid scores from the generated work
    orders, patrols and points events → staff points for grid workers and linked committee members →
    payroll (made when missing) → performance pay. Then residents redeem the property-fee reduction (settled
    with their estate's property company) and canteen meals (settled with the canteen)."""
    rng = ctx.fork("points-month-close")
    communities = ctx.areas.get(Level.COMMUNITY) or []
    months = _months_to_close(MONTHS)
    closed = failed = links = awards = 0
    progress = ctx.progress("积分联奖惩", len(communities))
    for stub in communities:
        community = Area.objects.for_generator().get(pk=stub.id)
        with transaction.atomic():
            links += _link_committee_members(rng, community, months[0])
        for month in months:
            if MonthClose.objects.for_generator().filter(community=community, month=month).exists():
                continue
            try:
                with transaction.atomic():
                    done = services.close_month(GENERATOR, community, month)
                closed += 1
                awards += done.awards
            except ServiceError:
                failed += 1  # e.g. no salary scale in force that month
        progress.advance()
    progress.close()
    redeemed = _redeem_with_payees(ctx, rng, communities)
    # Links are made here only where the workforce step made none: say so only when it happened.
    extra = f",另建 {links} 条两委成员联网格" if links else ""
    return (
        f"{closed} 个社区月度结算({awards} 笔网格评分工作积分{extra}), "
        f"{failed} 个未能结算, {redeemed['property_fee']} 次物业费减免(与物业企业结算), "
        f"{redeemed['meal_subsidy']} 次长者食堂餐补(与食堂结算)"
    )


def _redeem_with_payees(ctx: CityContext, rng, communities) -> dict[str, int]:
    """Residents of managed estates and elderly residents earn points in a property-assistance volunteer
    service (three sessions, through the earning services), then redeem the property-fee reduction — settled
    with the property company of their estate — and elderly-canteen meals, settled with the canteen
    (services.redeem_for_payee)."""
    from . import payees

    scenarios = {
        s.code: s for s in Scenario.objects.for_generator().filter(code__in=("property_fee", "meal_subsidy"))
    }
    redeemed = {"property_fee": 0, "meal_subsidy": 0}
    if len(scenarios) < 2:
        return redeemed
    per_community = max(1, -(-ctx.scaled(PAYEE_REDEMPTIONS_AT_FULL_SCALE) // max(1, len(communities))))
    elderly_born = timezone.localdate().replace(month=1, day=1).replace(year=timezone.localdate().year - 61)
    for stub in communities:
        community = Area.objects.for_generator().get(pk=stub.id)
        residents = list(
            Resident.objects.for_generator()
            .in_area(community.path)
            .filter(is_active=True)
            .order_by("id")[: 40 * per_community]
        )
        rng.shuffle(residents)
        elderly = [r for r in residents if r.birth_date < elderly_born][:per_community]
        tenants: list[Resident] = []
        for r in residents:  # stop looking once there are enough (each look-up reads the estate)
            if len(tenants) >= per_community:
                break
            if payees.resolve("property", r) is not None:
                tenants.append(r)
        people = list({r.pk: r for r in tenants + elderly}.values())
        if not people:
            continue
        with transaction.atomic():
            for days in (20, 13, 6):
                start = timezone.now() - dt.timedelta(days=days, hours=rng.randint(0, 4))
                activity = services.create_activity(
                    GENERATOR,
                    title="物业协管志愿服务",
                    kind=ActivityKind.VOLUNTEER,
                    area=community,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=3),
                    capacity=len(people),
                )
                for resident in people:
                    part = services.sign_up(GENERATOR, activity, resident)
                    services.check_in(GENERATOR, part)
                    services.approve(GENERATOR, part)
        for code, group in (("property_fee", tenants), ("meal_subsidy", elderly)):
            for resident in group:
                try:
                    with transaction.atomic():
                        services.redeem_for_payee(
                            GENERATOR,
                            scenario=scenarios[code],
                            resident=resident,
                            key=f"demo:payee:{code}:{resident.pk}",
                        )
                    redeemed[code] += 1
                except ServiceError:
                    pass  # the month's limit or too few points: refused, as in real life
    return redeemed
