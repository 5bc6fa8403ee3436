"""Community secretaries (书记队伍): replacement, competitions (擂台赛) and their scoring, studios, salons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor, as_user
from gridgov.core.services import ServiceError

from ..models import (
    Competition,
    CompetitionRound,
    JudgeScore,
    PositionRecord,
    Post,
    PostCategory,
    Presentation,
    Replacement,
    ReplacementReason,
    Salon,
    Staff,
    Studio,
    Successor,
)
from ._common import _area_at, _decimal, _serving, _text, _validate_choice, _year
from .grades import _set_grade
from .links import end_links

if TYPE_CHECKING:
    from gridgov.accounts.models import User


@transaction.atomic
def replace_secretary(
    actor: User | SystemActor,
    outgoing: Staff,
    *,
    reason: str,
    incoming: Staff | None = None,
    note: str = "",
    on: dt.date | None = None,
) -> Replacement:
    """Replace a community secretary: the outgoing leaves the post (and the staff), the incoming takes it."""
    outgoing = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, outgoing.pk))
    if outgoing.post != Post.SECRETARY:
        raise ServiceError(_("“%(n)s”不是现任社区书记") % {"n": outgoing.resident.name})
    _validate_choice(reason, ReplacementReason, _("撤换原因无效"))
    if reason == ReplacementReason.OTHER and not note.strip():
        raise ServiceError(_("请说明调整原因"))
    on = on or timezone.localdate()
    if incoming is not None:
        incoming = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, incoming.pk))
        if incoming.pk == outgoing.pk:
            raise ServiceError(_("新任书记不能是原书记本人"))
        if incoming.community_id != outgoing.community_id:
            raise ServiceError(_("新任书记应为本社区工作人员(外部人选请先办理入职)"))
    before = audit.snapshot(outgoing)
    PositionRecord.objects.unscoped("end the spell of the outgoing secretary, locked and checked").filter(
        staff=outgoing, ended_on__isnull=True
    ).update(ended_on=on)
    end_links(outgoing, on, _("书记调整撤换"))
    outgoing.is_active = False
    outgoing.left_on = on
    outgoing.save(update_fields=["is_active", "left_on", "updated_at"])
    Successor.objects.unscoped("end the outgoing secretary's reserve listing").filter(
        staff=outgoing, ended_on__isnull=True
    ).update(ended_on=on)
    if incoming is not None:
        PositionRecord.objects.unscoped("end the spell of the incoming secretary, locked and checked").filter(
            staff=incoming, ended_on__isnull=True
        ).update(ended_on=on)
        PositionRecord.objects.create(
            staff=incoming,
            post=Post.SECRETARY,
            area_path=incoming.area_path,
            started_on=on,
            note=_("接任书记"),
        )
        incoming.post = Post.SECRETARY
        _set_grade(incoming, PostCategory.LEAD, incoming.grade, on, _("接任书记"))
        incoming.save(update_fields=["post", "category", "grade", "updated_at"])
        Successor.objects.unscoped("the incoming secretary leaves the reserve list").filter(
            staff=incoming, ended_on__isnull=True
        ).update(ended_on=on)
    replacement = Replacement.objects.create(
        community_id=outgoing.community_id,
        outgoing=outgoing,
        incoming=incoming,
        reason=reason,
        note=note.strip(),
        replaced_on=on,
        area_path=outgoing.area_path,
        actor=as_user(actor),
    )
    audit.record(
        actor, "workforce.replace_secretary", replacement, before=before, after=audit.snapshot(replacement)
    )
    return replacement


# --- competitions (擂台赛): rounds, presentations, judges' scores ---------------------------------------
# A double submission of the same create is refused with a Chinese message (not idempotent): the
# competition per district, year and title; the round per competition and number; the studio by name;
# the salon per area, date and title. Each create locks the parent row first, so two concurrent
# submissions are serialised and the second one sees the first.


def _competition_taken(district_id: int, year: int, title: str, exclude: int | None = None) -> bool:
    qs = Competition.objects.unscoped("district, year and title are unique; the district was checked").filter(
        district_id=district_id, year=year, title=title
    )
    return qs.exclude(pk=exclude).exists() if exclude else qs.exists()


@transaction.atomic
def create_competition(actor: User | SystemActor, district: Area, *, title: str, year) -> Competition:
    """A district's secretaries' competition (擂台赛); the same district, year and title twice is refused."""
    district = _area_at(Area.objects.lock_in_scope(actor, district.pk), Level.DISTRICT)
    title = _text(title, _("名称"), 200)
    year = _year(year)
    if _competition_taken(district.pk, year, title):
        raise ServiceError(
            _("%(d)s %(y)d 年度已有擂台赛“%(t)s”,请勿重复创建") % {"d": district.name, "y": year, "t": title}
        )
    competition = Competition.objects.create(
        district=district, title=title, year=year, area_path=district.path
    )
    audit.record(actor, "workforce.create_competition", competition, after=audit.snapshot(competition))
    return competition


@transaction.atomic
def update_competition(
    actor: User | SystemActor, competition: Competition, *, title: str, year
) -> Competition:
    competition = Competition.objects.lock_in_scope(actor, competition.pk)
    title = _text(title, _("名称"), 200)
    year = _year(year)
    if _competition_taken(competition.district_id, year, title, exclude=competition.pk):
        raise ServiceError(_("该区县 %(y)d 年度已有擂台赛“%(t)s”") % {"y": year, "t": title})
    before = audit.snapshot(competition)
    competition.title, competition.year = title, year
    competition.save(update_fields=["title", "year"])
    audit.record(
        actor, "workforce.update_competition", competition, before=before, after=audit.snapshot(competition)
    )
    return competition


@transaction.atomic
def add_round(
    actor: User | SystemActor, competition: Competition, *, held_on: dt.date, number: int | None = None
) -> CompetitionRound:
    """A round (场次) of a competition; without a number it is the next one."""
    competition = Competition.objects.lock_in_scope(actor, competition.pk)
    if held_on is None:
        raise ServiceError(_("请填写日期"))
    if held_on.year != competition.year:
        raise ServiceError(_("场次日期应在 %(y)d 年度内") % {"y": competition.year})
    rounds = CompetitionRound.objects.unscoped(
        "the rounds of the competition locked and checked above"
    ).filter(competition=competition)
    if number is None:
        number = (max(rounds.values_list("number", flat=True), default=0)) + 1
    if number < 1:
        raise ServiceError(_("场次应为正整数"))
    if rounds.filter(number=number).exists():
        raise ServiceError(_("第%(n)d场已存在,请勿重复添加") % {"n": number})
    row = CompetitionRound.objects.create(
        competition=competition, number=number, held_on=held_on, area_path=competition.area_path
    )
    audit.record(actor, "workforce.add_round", row, after=audit.snapshot(row))
    return row


@transaction.atomic
def add_presentation(
    actor: User | SystemActor, round: CompetitionRound, staff: Staff, *, topic: str = ""
) -> Presentation:
    round = CompetitionRound.objects.select_related("competition").lock_in_scope(actor, round.pk)
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    if not staff.area_path.startswith(round.competition.area_path):
        raise ServiceError(_("只能登台本区县的社区书记"))
    if (
        Presentation.objects.unscoped(
            "once per round: the checked round's presentations by this staff member"
        )
        .filter(round=round, staff=staff)
        .exists()
    ):
        raise ServiceError(_("该书记已在本场登台"))
    presentation = Presentation.objects.create(
        round=round, staff=staff, topic=topic.strip(), area_path=staff.area_path
    )
    audit.record(actor, "workforce.add_presentation", presentation, after=audit.snapshot(presentation))
    return presentation


@transaction.atomic
def score_presentation(
    actor: User | SystemActor, presentation: Presentation, *, judge: str, score: Decimal | str
) -> JudgeScore:
    presentation = Presentation.objects.lock_in_scope(actor, presentation.pk)
    judge = (judge or "").strip()
    if not judge:
        raise ServiceError(_("请填写评委"))
    value = _decimal(score, _("得分"))
    if not Decimal(0) <= value <= Decimal(100):
        raise ServiceError(_("得分应在 0 到 100 之间"))
    if JudgeScore.objects.filter(presentation=presentation, judge=judge).exists():
        raise ServiceError(_("该评委已为此登台打分"))
    row = JudgeScore.objects.create(presentation=presentation, judge=judge, score=value)
    audit.record(actor, "workforce.score", presentation, after={"judge": judge, "score": str(value)})
    return row


# --- studios and salons -------------------------------------------------------------------------------
def _studio_lead(actor: User | SystemActor, lead: Staff | None) -> Staff | None:
    if lead is None:
        return None
    lead = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, lead.pk))
    if lead.post != Post.SECRETARY:
        raise ServiceError(_("领衔书记须为在任社区书记"))
    return lead


def _studio_fields(name: str, training_base: str, established_on: dt.date | None) -> tuple[str, str]:
    name = _text(name, _("名称"), 100)
    training_base = _text(training_base, _("实训体悟基地"), 200, required=False)
    if established_on is not None and established_on > timezone.localdate():
        raise ServiceError(_("创建日期不能晚于今天"))
    return name, training_base


@transaction.atomic
def create_studio(
    actor: User | SystemActor,
    community: Area,
    *,
    name: str,
    training_base: str = "",
    lead: Staff | None = None,
    established_on: dt.date | None = None,
) -> Studio:
    """A secretary studio (书记工作室) hosted by a community, with its training base; names are unique."""
    community = _area_at(Area.objects.lock_in_scope(actor, community.pk), Level.COMMUNITY)
    name, training_base = _studio_fields(name, training_base, established_on)
    lead = _studio_lead(actor, lead)
    if Studio.objects.unscoped("studio names are unique city-wide").filter(name=name).exists():
        raise ServiceError(_("已有名为“%(n)s”的书记工作室,请勿重复创建") % {"n": name})
    try:
        with transaction.atomic():
            studio = Studio.objects.create(
                name=name,
                lead=lead,
                training_base=training_base,
                established_on=established_on,
                area_path=community.path,
            )
    except IntegrityError:
        raise ServiceError(_("已有名为“%(n)s”的书记工作室,请勿重复创建") % {"n": name}) from None
    audit.record(actor, "workforce.create_studio", studio, after=audit.snapshot(studio))
    return studio


@transaction.atomic
def update_studio(
    actor: User | SystemActor,
    studio: Studio,
    *,
    name: str,
    training_base: str = "",
    lead: Staff | None = None,
    established_on: dt.date | None = None,
) -> Studio:
    studio = Studio.objects.lock_in_scope(actor, studio.pk)
    name, training_base = _studio_fields(name, training_base, established_on)
    if (lead.pk if lead is not None else None) != studio.lead_id:
        lead = _studio_lead(actor, lead)  # a new lead must be a serving secretary; the current one stays
    if (
        Studio.objects.unscoped("studio names are unique city-wide")
        .filter(name=name)
        .exclude(pk=studio.pk)
        .exists()
    ):
        raise ServiceError(_("已有名为“%(n)s”的书记工作室") % {"n": name})
    before = audit.snapshot(studio)
    studio.name, studio.training_base, studio.lead, studio.established_on = (
        name,
        training_base,
        lead,
        established_on,
    )
    try:
        with transaction.atomic():
            studio.save(update_fields=["name", "training_base", "lead", "established_on"])
    except IntegrityError:
        raise ServiceError(_("已有名为“%(n)s”的书记工作室") % {"n": name}) from None
    audit.record(actor, "workforce.update_studio", studio, before=before, after=audit.snapshot(studio))
    return studio


SALON_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET)


@transaction.atomic
def create_salon(actor: User | SystemActor, area: Area, *, title: str, held_on: dt.date) -> Salon:
    """A salon session (书记沙龙) held by a city, district or street; the same one twice is refused."""
    area = Area.objects.lock_in_scope(actor, area.pk)
    if area.level not in SALON_LEVELS:
        raise ServiceError(_("书记沙龙由市、区县或街道举办"))
    if not area.is_active:
        raise ServiceError(_("区域“%(n)s”已撤销") % {"n": area.name})
    title = _text(title, _("主题"), 200)
    if held_on is None:
        raise ServiceError(_("请填写举办日期"))
    if (
        Salon.objects.unscoped("once per host, date and title; the host area was checked")
        .filter(area_path=area.path, held_on=held_on, title=title)
        .exists()
    ):
        raise ServiceError(_("该沙龙已登记(同一举办方、日期和主题),请勿重复提交"))
    salon = Salon.objects.create(title=title, held_on=held_on, area_path=area.path)
    audit.record(actor, "workforce.create_salon", salon, after=audit.snapshot(salon))
    return salon
