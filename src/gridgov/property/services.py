"""Every write on red property: companies, estates, the standards checklist, the public-interest fallback,
round-table meetings (each decision a work order), and the three-100% scores, talks and eliminations.

Scoring formulas (docs/events-property.md):

* professional service = 60 % computed from the month's work orders dispatched to the company
  + 40 % the property management centre's inspection score. Computed part:
  40 × on-time rate + 30 × response (1 − mean working hours from dispatch to start ÷ 8, at least 0)
  + 30 × (1 − reopen rate), scaled to 100. No work orders in the month → the inspection score alone.
* resident satisfaction = 70 % ratings on the month's closed work orders ((mean stars − 1) ÷ 4 × 100)
  + 30 % surveys (satisfied ÷ respondents × 100); either part alone if the other is missing; neither → refused.
* party-building coverage: the street party office's score as entered.
* monthly total = mean of the three; ranked only with all three present.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level, ancestor_path
from gridgov.core import audit
from gridgov.core.actors import SystemActor, actor_may, as_user, skips_checks
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError

from . import queries
from .models import (
    MEMBERSHIP_KINDS,
    STANDARD_CODES,
    CompanyAccount,
    CoverageModel,
    Decision,
    Elimination,
    Estate,
    MeetingDecision,
    MonthlyScore,
    OrgMembership,
    PartyOrgStatus,
    PropertyCompany,
    RoundTable,
    Scorer,
    StandardsCheck,
    Survey,
    Talk,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User

SCORER_PERMISSION: dict[str, str] = {
    Scorer.PARTY: "property.score_party",
    Scorer.PROFESSIONAL: "property.score_professional",
    Scorer.SATISFACTION: "property.score_satisfaction",
}


# Which login enters which third (docs/events-property.md): the street administrator acts for the street
# party office (街道党建办公室), the district administrator for the property management centre
# (物业管理中心, the district's property department), the community secretary for the community party
# organisation. Each role holds exactly one scorer permission (roles.py), so a login is one scorer.
SCORER_ROLE: dict[str, str] = {
    Scorer.PARTY: "street",
    Scorer.PROFESSIONAL: "district",
    Scorer.SATISFACTION: "community_secretary",
}


def scorer_of(user: Any) -> str | None:
    """The scorer a login enters for: the first scorer permission it holds (None: it scores nothing)."""
    for scorer in Scorer.values:
        if actor_may(user, SCORER_PERMISSION[scorer]):
            return scorer
    return None


def _d(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def serves_in_scope(actor: User | SystemActor, company: PropertyCompany) -> bool:
    """A company registered in the actor's subtree, or serving an estate there (a community scores its estates' company)."""
    from gridgov.core.scope import user_can_reach

    return (
        user_can_reach(actor, company.area_path)
        or Estate.objects.visible_to(actor).filter(company=company).exists()
    )


def _check_company_reach(actor: User | SystemActor, company: PropertyCompany, estate_path: str) -> None:
    """A company may serve an estate if it is registered above the estate (its street or district) or in
    the actor's own subtree; an inactive (eliminated) company serves no new estate."""
    from gridgov.core.scope import user_can_reach

    if not company.is_active:
        raise ServiceError(_("该物业企业已不在管"))
    if (
        skips_checks(actor)
        or estate_path.startswith(company.area_path)
        or user_can_reach(actor, company.area_path)
    ):
        return
    raise OutOfScope(company.area_path)


def _clean_name(value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(_("请填写%(label)s") % {"label": label})
    return value[:100]


# --- companies and estates ---------------------------------------------------------------------------
@transaction.atomic
def create_company(
    actor: User | SystemActor,
    *,
    name: str,
    area: Area,
    is_public_interest: bool = False,
    party_status: str = PartyOrgStatus.NONE,
    party_org_name: str = "",
    contact_phone: str = "",
) -> PropertyCompany:
    area = Area.objects.get_in_scope(actor, area.pk)
    if area.level > Level.COMMUNITY:
        raise ServiceError(_("物业企业须登记在区县、街道或社区"))
    if party_status not in PartyOrgStatus.values:
        raise ServiceError(_("党组织建设情况无效"))
    company = PropertyCompany.objects.create(
        name=_clean_name(name, _("企业名称")),
        area=area,
        area_path=area.path,
        is_public_interest=is_public_interest,
        party_status=party_status,
        party_org_name=(party_org_name or "").strip()[:100],
        contact_phone=(contact_phone or "").strip()[:20],
    )
    audit.record(actor, "property.create_company", company, after=audit.snapshot(company))
    return company


def _results_of(results: Any) -> list[dict[str, Any]]:
    """{code: (met, note)} or [{"code", "met", "note"}] → one entry per standard, in order; every
    standard must be answered and no unknown code given."""
    if isinstance(results, dict):
        items = [
            {"code": code, "met": value[0], "note": value[1]}
            if isinstance(value, tuple | list)
            else {"code": code, "met": value, "note": ""}
            for code, value in results.items()
        ]
    else:
        items = list(results or [])
    by_code: dict[str, dict[str, Any]] = {}
    for item in items:
        code = str(item.get("code", ""))
        if code not in STANDARD_CODES:
            raise ServiceError(_("未知的标准:%(codes)s") % {"codes": code or "—"})
        by_code[code] = {
            "code": code,
            "met": bool(item.get("met")),
            "note": str(item.get("note") or "").strip()[:200],
        }
    missing = [code for code in STANDARD_CODES if code not in by_code]
    if missing:
        raise ServiceError(_("请逐项填写十项标准,缺少:%(codes)s") % {"codes": "、".join(missing)})
    return [by_code[code] for code in STANDARD_CODES]


@transaction.atomic
def record_standards_check(
    actor: User | SystemActor,
    company: PropertyCompany,
    *,
    checked_on: dt.date,
    results: Any,
) -> StandardsCheck:
    """The 10-standards check of a company on a date (each standard met or not, with a note). A second
    check on the same date corrects the first (audited with the old results); the latest check is
    mirrored into the company's `standards_met`."""
    company = PropertyCompany.objects.lock_in_scope(actor, company.pk)
    if checked_on > timezone.localdate():
        raise ServiceError(_("检查日期不能晚于今天"))
    items = _results_of(results)
    check = (
        StandardsCheck.objects.unscoped("one check per company and date, whoever recorded it")
        .filter(company=company, checked_on=checked_on)
        .first()
    )
    before = {"results": check.results} if check is not None else None
    if check is None:
        check = StandardsCheck(company=company, area_path=company.area_path, checked_on=checked_on)
    check.results = items
    check.checked_by = as_user(actor)
    check.save()
    latest = (
        StandardsCheck.objects.unscoped("the latest check of the company locked above")
        .filter(company=company)
        .order_by("-checked_on", "-id")
        .first()
    )
    if latest is not None and latest.pk == check.pk:
        company.standards_met = [item["code"] for item in items if item["met"]]
        company.save(update_fields=["standards_met", "updated_at"])
    audit.record(
        actor,
        "property.standards_check",
        check,
        before=before,
        after={"checked_on": str(checked_on), "results": items, "met": check.met_count},
    )
    return check


def set_standards(actor: User | SystemActor, company: PropertyCompany, codes: list[str]) -> PropertyCompany:
    """Today's check with the given codes met and the others not (no notes): the API's short form."""
    unknown = set(codes) - set(STANDARD_CODES)
    if unknown:
        raise ServiceError(_("未知的标准:%(codes)s") % {"codes": "、".join(sorted(unknown))})
    check = record_standards_check(
        actor,
        company,
        checked_on=timezone.localdate(),
        results={code: (code in set(codes), "") for code in STANDARD_CODES},
    )
    return check.company


# --- party organisations of the property sector: member companies ------------------------------------
def _membership_org(actor: User | SystemActor, org: Any):
    """The organisation locked in the actor's scope; only the property industry organisations and the
    red-property alliances take companies."""
    from gridgov.party.models import PartyOrg

    org = PartyOrg.objects.lock_in_scope(actor, org.pk)
    if org.kind not in MEMBERSHIP_KINDS:
        raise ServiceError(_("只有物业服务行业党组织和红色物业党建联盟可以吸纳成员企业"))
    if not org.is_active:
        raise ServiceError(_("该党组织已撤销"))
    return org


@transaction.atomic
def join_org(
    actor: User | SystemActor,
    *,
    org: Any,
    company: PropertyCompany,
    joined_on: dt.date | None = None,
    note: str = "",
) -> OrgMembership:
    """A company joins a property industry party organisation or a street's alliance: the company must
    be registered in the organisation's area or serve an estate there."""
    org = _membership_org(actor, org)
    company = (
        PropertyCompany.objects.unscoped("lock the company by id; the organisation's area decides next")
        .select_for_update()
        .get(pk=company.pk)
    )
    serves_there = (
        Estate.objects.unscoped("whether the company serves an estate in the organisation's area")
        .filter(company=company, area_path__startswith=org.area_path)
        .exists()
    )
    if not (company.area_path.startswith(org.area_path) or serves_there):
        raise ServiceError(_("该企业既未在本组织所在区域登记,也未在此服务小区"))
    if not company.is_active:
        raise ServiceError(_("该物业企业已不在管"))
    joined_on = joined_on or timezone.localdate()
    if joined_on > timezone.localdate():
        raise ServiceError(_("加入日期不能晚于今天"))
    if (
        OrgMembership.objects.unscoped("one open membership per organisation and company")
        .filter(org=org, company=company, left_on__isnull=True)
        .exists()
    ):
        raise ServiceError(
            _("%(company)s 已是%(org)s的成员单位") % {"company": company.name, "org": org.name}
        )
    try:
        with transaction.atomic():
            row = OrgMembership.objects.create(
                org=org,
                company=company,
                area_path=org.area_path,
                joined_on=joined_on,
                note=(note or "").strip()[:200],
            )
    except IntegrityError:
        raise ServiceError(_("该企业已是成员单位")) from None
    audit.record(actor, "property.join_org", row, after=audit.snapshot(row))
    return row


@transaction.atomic
def leave_org(
    actor: User | SystemActor, membership: OrgMembership, *, left_on: dt.date | None = None, note: str = ""
) -> OrgMembership:
    """A member company leaves (the row stays, ended, as history)."""
    membership = OrgMembership.objects.lock_in_scope(actor, membership.pk)
    if membership.left_on is not None:
        raise ServiceError(_("该企业已于 %(d)s 退出") % {"d": membership.left_on})
    left_on = membership.leave(left_on)
    if note:
        membership.note = note.strip()[:200]
    membership.save(update_fields=["left_on", "note", "updated_at"])
    audit.record(actor, "property.leave_org", membership, after={"left_on": str(left_on)})
    return membership


def alliance_for(company: PropertyCompany):
    """The active red-property alliance of the company's street (None when the street has none)."""
    from gridgov.party.models import OrgKind, PartyOrg

    return (
        PartyOrg.objects.unscoped("the alliance of the street of a company the caller already holds")
        .filter(
            kind=OrgKind.PROPERTY_ALLIANCE,
            is_active=True,
            area_path=ancestor_path(company.area_path, Level.STREET),
        )
        .first()
    )


def join_alliance(
    actor: User | SystemActor, company: PropertyCompany, *, joined_on: dt.date | None = None
) -> PropertyCompany:
    """The company joins its street's red-property alliance (the API's short form of join_org)."""
    org = alliance_for(company)
    if org is None or len(company.area_path) < PATH_LENGTH[Level.STREET]:
        raise ServiceError(_("该企业所在街道尚未成立红色物业党建联盟"))
    if (
        OrgMembership.objects.unscoped("whether the company is already in its street's alliance")
        .filter(org=org, company=company, left_on__isnull=True)
        .exists()
    ):
        raise ServiceError(_("该企业已加入红色物业党建联盟"))
    join_org(actor, org=org, company=company, joined_on=joined_on)
    return company


@transaction.atomic
def link_account(actor: User | SystemActor, user, company: PropertyCompany) -> CompanyAccount:
    from gridgov.accounts.roles import Role

    company = PropertyCompany.objects.lock_in_scope(actor, company.pk)
    if user.role != Role.PROPERTY:
        raise ServiceError(_("只有物业企业角色的账号可以绑定物业企业"))
    account, _created = CompanyAccount.objects.update_or_create(user=user, defaults={"company": company})
    audit.record(actor, "property.link_account", company, after={"user": user.username})
    return account


@transaction.atomic
def create_estate(
    actor: User | SystemActor,
    *,
    name: str,
    area: Area,
    company: PropertyCompany | None = None,
    coverage_model: str | None = None,
    households: int = 0,
    buildings: list[Area] | None = None,
) -> Estate:
    area = Area.objects.get_in_scope(actor, area.pk)
    if area.level not in (Level.COMMUNITY, Level.GRID):
        raise ServiceError(_("小区须落在社区或网格"))
    model = coverage_model or (CoverageModel.INTRODUCED if company else CoverageModel.NONE)
    if model not in CoverageModel.values:
        raise ServiceError(_("覆盖模式无效"))
    if company is None and model != CoverageModel.NONE:
        raise ServiceError(_("有物业服务的小区须指定物业企业"))
    if company is not None:
        company = PropertyCompany.objects.unscoped(
            "the serving company may sit above the actor's area: _check_company_reach decides next"
        ).get(pk=company.pk)
        _check_company_reach(actor, company, area.path)
    estate = Estate.objects.create(
        name=_clean_name(name, _("小区名称")),
        area=area,
        area_path=area.path,
        company=company,
        coverage_model=model,
        households=max(0, int(households or 0)),
    )
    if buildings:
        bad = [b for b in buildings if not b.path.startswith(area.path) or b.level != Level.BUILDING]
        if bad:
            raise ServiceError(_("楼院须在小区所在区域内"))
        estate.buildings.set(buildings)
    audit.record(actor, "property.create_estate", estate, after=audit.snapshot(estate))
    return estate


@transaction.atomic
def assign_fallback(actor: User | SystemActor, estate: Estate, organisation: PropertyCompany) -> Estate:
    """A public-interest property organisation takes over an estate with no company (兜底)."""
    estate = Estate.objects.lock_in_scope(actor, estate.pk)
    if estate.company_id is not None:
        raise ServiceError(_("该小区已有物业服务企业"))
    organisation = PropertyCompany.objects.unscoped(
        "the fallback organisation may sit above the actor's area: _check_company_reach decides next"
    ).get(pk=organisation.pk)
    if not organisation.is_public_interest:
        raise ServiceError(_("兜底须由公益性物业组织承接"))
    _check_company_reach(actor, organisation, estate.area_path)
    estate.company = organisation
    estate.coverage_model = CoverageModel.SOCIAL_ORG
    estate.save(update_fields=["company", "coverage_model", "updated_at"])
    audit.record(actor, "property.fallback", estate, after={"company": organisation.pk})
    return estate


@transaction.atomic
def set_fee_collection(actor: User | SystemActor, estate: Estate, rate: Any) -> Estate:
    estate = Estate.objects.lock_in_scope(actor, estate.pk)
    try:
        value = Decimal(str(rate))
    except Exception:
        raise ServiceError(_("收缴率须为 0 到 100 之间的数")) from None
    if not Decimal(0) <= value <= Decimal(100):
        raise ServiceError(_("收缴率须为 0 到 100 之间的数"))
    before = {"fee_collection_rate": str(estate.fee_collection_rate)}
    estate.fee_collection_rate = _d(value)
    estate.save(update_fields=["fee_collection_rate", "updated_at"])
    audit.record(actor, "property.fee_rate", estate, before=before, after={"fee_collection_rate": str(value)})
    return estate


# --- round-table meetings ----------------------------------------------------------------------------
@transaction.atomic
def record_round_table(
    actor: User | SystemActor,
    *,
    community: Area,
    held_on: dt.date,
    convener: str,
    attendees: list[str],
    topics: str,
    decisions: list[str],
    category,
    estate: Estate | None = None,
) -> RoundTable:
    """The meeting and one work order per decision (dispatched later like any other event)."""
    from gridgov.events import services as event_services
    from gridgov.events.models import Source

    community = Area.objects.get_in_scope(actor, community.pk)
    if community.level != Level.COMMUNITY:
        raise ServiceError(_("圆桌会议由社区党组织召集,须选择社区"))
    attendees = [a.strip() for a in attendees if a and a.strip()]
    if len(attendees) < 3:
        raise ServiceError(_("圆桌会议须有居委会、业委会和物业企业等至少三方参会"))
    decisions = [d.strip() for d in decisions if d and d.strip()]
    topics = (topics or "").strip()
    if not topics:
        raise ServiceError(_("请填写议题"))
    if estate is not None and not estate.area_path.startswith(community.path):
        raise ServiceError(_("小区不在该社区"))
    meeting = RoundTable.objects.create(
        area=community,
        area_path=community.path,
        estate=estate,
        company=estate.company if estate is not None else None,
        held_on=held_on,
        convener=_clean_name(convener, _("召集人")),
        attendees=attendees,
        topics=topics[:4000],
    )
    for text in decisions:
        event = event_services.report_event(
            actor,
            category=category,
            title=text[:100],
            description=_("圆桌会议(%(date)s)决定:%(text)s") % {"date": held_on, "text": text},
            area=estate.area if estate is not None else community,
            source=Source.MEETING,
            origin=f"roundtable:{meeting.pk}",
        )
        MeetingDecision.objects.create(meeting=meeting, content=text[:300], event=event)
    audit.record(
        actor, "property.round_table", meeting, after=audit.snapshot(meeting) | {"decisions": decisions}
    )
    return meeting


# --- the three-100% evaluation -----------------------------------------------------------------------
def _month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    nxt = (month + dt.timedelta(days=32)).replace(day=1)
    return start, timezone.make_aware(dt.datetime.combine(nxt, dt.time.min))


def work_order_stats(company: PropertyCompany, month: dt.date) -> dict[str, Any]:
    """The month's work orders dispatched to the company: counts, on-time, mean response, reopens, ratings."""
    from gridgov.events import sla
    from gridgov.events.models import AssigneeKind, Event, State

    start, stop = _month_range(month)
    rows = list(
        Event.objects.unscoped("a company's score counts all its work orders, wherever; only figures leave")
        .filter(
            assignee_kind=AssigneeKind.PROPERTY,
            assignee_id=company.pk,
            dispatched_at__gte=start,
            dispatched_at__lt=stop,
        )
        .values("dispatched_at", "started_at", "handled_at", "finish_due", "reopen_count", "state", "rating")
    )
    finished = [r for r in rows if r["handled_at"] is not None]
    on_time = [r for r in finished if r["finish_due"] is None or r["handled_at"] <= r["finish_due"]]
    started = [r for r in rows if r["started_at"] is not None]
    response = (
        sum(sla.working_hours_between(r["dispatched_at"], r["started_at"]) for r in started) / len(started)
        if started
        else None
    )
    ratings = [r["rating"] for r in rows if r["rating"] is not None and r["state"] == State.RATED]
    return {
        "orders": len(rows),
        "finished": len(finished),
        "on_time": len(on_time),
        "on_time_rate": round(len(on_time) / len(finished), 4) if finished else None,
        "response_hours": round(response, 2) if response is not None else None,
        "reopened": sum(1 for r in rows if r["reopen_count"]),
        "reopen_rate": round(sum(1 for r in rows if r["reopen_count"]) / len(finished), 4)
        if finished
        else None,
        "ratings": len(ratings),
        "rating_mean": round(sum(ratings) / len(ratings), 3) if ratings else None,
    }


def professional_score(stats: dict[str, Any], inspection: float) -> float:
    if not stats["finished"]:
        return inspection
    response = stats["response_hours"] if stats["response_hours"] is not None else 8.0
    computed = 40 * stats["on_time_rate"] + 30 * max(0.0, 1 - response / 8) + 30 * (1 - stats["reopen_rate"])
    return 0.6 * computed + 0.4 * inspection


def survey_stats(company: PropertyCompany, month: dt.date) -> dict[str, Any]:
    totals = (
        Survey.objects.unscoped("a company's score counts all its surveys, wherever; only sums leave")
        .filter(company=company, month=month)
        .aggregate(respondents=Sum("respondents"), satisfied=Sum("satisfied"))
    )
    respondents = totals["respondents"] or 0
    return {
        "respondents": respondents,
        "satisfied": totals["satisfied"] or 0,
        "survey_rate": round((totals["satisfied"] or 0) / respondents, 4) if respondents else None,
    }


def satisfaction_score(stats: dict[str, Any], surveys: dict[str, Any]) -> float | None:
    rating = (stats["rating_mean"] - 1) / 4 * 100 if stats["rating_mean"] is not None else None
    survey = surveys["survey_rate"] * 100 if surveys["survey_rate"] is not None else None
    if rating is not None and survey is not None:
        return 0.7 * rating + 0.3 * survey
    return rating if rating is not None else survey


def _clean_score(value: Any, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(_("%(label)s须为 0 到 100 之间的数") % {"label": label}) from None
    if not 0 <= number <= 100:
        raise ServiceError(_("%(label)s须为 0 到 100 之间的数") % {"label": label})
    return number


@transaction.atomic
def score_month(
    actor: User | SystemActor,
    company: PropertyCompany,
    *,
    month: dt.date,
    scorer: str,
    score: Any = None,
    inspection: Any = None,
) -> MonthlyScore:
    """One scorer's score of one company for one month; a second score for the same month is refused."""
    if scorer not in Scorer.values:
        raise ServiceError(_("评分方无效"))
    if not actor_may(actor, SCORER_PERMISSION[scorer]):
        raise ServiceError(_("您无权以“%(s)s”评分方打分") % {"s": Scorer(scorer).label})
    company = (
        PropertyCompany.objects.unscoped("lock the company by id; serves_in_scope checks it on the next line")
        .select_for_update()
        .get(pk=company.pk)
    )
    if not skips_checks(actor) and not serves_in_scope(actor, company):
        raise OutOfScope(company.area_path)
    month = month_start(month)
    if month > timezone.localdate():
        raise ServiceError(_("不能为未来的月份评分"))
    if (
        MonthlyScore.objects.unscoped("one score per company, month and scorer, whoever scored")
        .filter(company=company, month=month, scorer=scorer)
        .exists()
    ):
        raise ServiceError(
            _("%(company)s %(month)s 的“%(scorer)s”已评分,不能重复评分")
            % {"company": company.name, "month": f"{month:%Y-%m}", "scorer": Scorer(scorer).label}
        )
    detail: dict[str, Any] = {}
    if scorer == Scorer.PARTY:
        value = _clean_score(score, _("党建覆盖得分"))
    elif scorer == Scorer.PROFESSIONAL:
        stats = work_order_stats(company, month)
        insp = _clean_score(inspection if inspection is not None else score, _("检查考核得分"))
        value = professional_score(stats, insp)
        detail = stats | {"inspection": insp}
    else:
        stats = work_order_stats(company, month)
        surveys = survey_stats(company, month)
        computed = satisfaction_score(stats, surveys)
        if computed is None:
            raise ServiceError(_("该月既无工单评价也无满意度调查,无法计算居民满意得分"))
        value = computed
        detail = {"ratings": stats["ratings"], "rating_mean": stats["rating_mean"], **surveys}
    try:
        with transaction.atomic():
            row = MonthlyScore.objects.create(
                company=company,
                area_path=company.area_path,
                month=month,
                scorer=scorer,
                score=_d(value),
                detail=detail,
                scored_by=as_user(actor),
            )
    except IntegrityError:
        raise ServiceError(_("该月该评分方已评分,不能重复评分")) from None
    audit.record(actor, "property.score", row, after=audit.snapshot(row))
    return row


@transaction.atomic
def record_survey(
    actor: User | SystemActor, estate: Estate, *, month: dt.date, respondents: int, satisfied: int
) -> Survey:
    estate = Estate.objects.get_in_scope(actor, estate.pk)
    if estate.company_id is None:
        raise ServiceError(_("该小区没有物业服务企业"))
    if respondents <= 0 or not 0 <= satisfied <= respondents:
        raise ServiceError(_("满意户数须在 0 与受访户数之间"))
    survey = Survey.objects.create(
        estate=estate,
        company_id=estate.company_id,
        area_path=estate.area_path,
        month=month_start(month),
        respondents=respondents,
        satisfied=satisfied,
    )
    audit.record(actor, "property.survey", survey, after=audit.snapshot(survey))
    return survey


def _ranked_among(actor: User | SystemActor, company: PropertyCompany):
    """The companies a talk or a decision ranks the company among: the actor's (what its ranking page
    shows); for a job, the company's own street peers (queries.ranking_peers)."""
    if isinstance(actor, SystemActor):
        return queries.ranking_peers(company)
    return PropertyCompany.objects.visible_to(actor)


@transaction.atomic
def record_talk(
    actor: User | SystemActor,
    company: PropertyCompany,
    *,
    year: int,
    quarter: int,
    held_on: dt.date,
    content: str,
    rectification: str = "",
) -> Talk:
    company = PropertyCompany.objects.lock_in_scope(actor, company.pk)
    if not 1 <= quarter <= 4:
        raise ServiceError(_("季度须为 1 到 4"))
    bottom = queries.quarter_bottom(_ranked_among(actor, company), year, quarter)
    if company.pk not in {row.company.pk for row in bottom}:
        raise ServiceError(_("该企业不在本季度排名末位名单中"))
    if (
        Talk.objects.unscoped("one talk per company and quarter, whoever recorded it")
        .filter(company=company, year=year, quarter=quarter)
        .exists()
    ):
        raise ServiceError(_("本季度已有该企业的约谈记录"))
    content = (content or "").strip()
    if not content:
        raise ServiceError(_("请填写约谈内容"))
    talk = Talk.objects.create(
        company=company,
        area_path=company.area_path,
        year=year,
        quarter=quarter,
        held_on=held_on,
        content=content,
        rectification=(rectification or "").strip(),
        recorded_by=as_user(actor),
    )
    audit.record(actor, "property.talk", talk, after=audit.snapshot(talk))
    return talk


@transaction.atomic
def decide_elimination(
    actor: User | SystemActor, company: PropertyCompany, *, year: int, decision: str, note: str = ""
) -> Elimination:
    if not actor_may(actor, "property.decide_elimination"):
        raise ServiceError(_("您无权作出淘汰决定"))
    company = PropertyCompany.objects.lock_in_scope(actor, company.pk)
    if decision not in Decision.values:
        raise ServiceError(_("决定无效"))
    listed = {row.company.pk: row for row in queries.elimination_list(_ranked_among(actor, company), year)}
    if company.pk not in listed:
        raise ServiceError(_("该企业年度平均分未低于淘汰标准,不在淘汰名单中"))
    if (
        Elimination.objects.unscoped("one decision per company and year, whoever made it")
        .filter(company=company, year=year)
        .exists()
    ):
        raise ServiceError(_("该企业本年度已有淘汰决定"))
    row = Elimination.objects.create(
        company=company,
        area_path=company.area_path,
        year=year,
        average=_d(listed[company.pk].average),
        decision=decision,
        note=(note or "").strip(),
        decided_by=as_user(actor),
    )
    if decision == Decision.ELIMINATE:
        company.is_active = False
        company.eliminated_on = timezone.localdate()
        company.save(update_fields=["is_active", "eliminated_on", "updated_at"])
    audit.record(actor, "property.eliminate", row, after=audit.snapshot(row))
    return row
