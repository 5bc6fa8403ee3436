"""Writes about community staff; each in one transaction, audited, and scope-checked against the community."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit, pii
from gridgov.core.scope import check_path
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.xlsx import read_sheet
from gridgov.people import validation
from gridgov.people.models import ID_PURPOSE, Resident

from .columns import (
    CATEGORY_BY_LABEL,
    EDUCATION_BY_LABEL,
    POST_BY_LABEL,
    RATE_COLUMNS,
    SOURCE_BY_LABEL,
    STAFF_COLUMNS,
)
from .models import (
    GRADES,
    Certificate,
    Competition,
    CompetitionRound,
    Education,
    Evaluation,
    GradeChange,
    GridAssignment,
    JudgeScore,
    Outcome,
    Payroll,
    PayrollLine,
    PositionRecord,
    Post,
    PostCategory,
    Presentation,
    Replacement,
    ReplacementReason,
    SalaryRate,
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

CENT = Decimal("0.01")


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _check(actor, path: str) -> None:
    if actor is not None:
        check_path(actor, path)


def _lock_staff(actor, staff: Staff, *, active: bool = True) -> Staff:
    staff = (
        Staff.objects.unscoped("lock inside a service")
        .select_for_update()
        .select_related("resident")
        .get(pk=staff.pk)
    )
    _check(actor, staff.area_path)
    if active and not staff.is_active:
        raise ServiceError(_("“%(n)s”已离岗") % {"n": staff.resident.name})
    return staff


def _lock_area(actor, area: Area, level: int) -> Area:
    area = Area.objects.unscoped("lock inside a service").select_for_update().get(pk=area.pk)
    _check(actor, area.path)
    if area.level != level:
        raise ServiceError(_("请选择%(l)s") % {"l": Level(level).label})
    if not area.is_active:
        raise ServiceError(_("区域“%(n)s”已撤销") % {"n": area.name})
    return area


# --- grades -----------------------------------------------------------------------------------------
def scale_for(on: dt.date) -> SalaryScale:
    scale = SalaryScale.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if scale is None:
        raise ServiceError(_("%(d)s 没有生效的薪酬标准") % {"d": on.isoformat()})
    return scale


def years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def compute_grade(
    scale: SalaryScale, *, education: str, hired_on: dt.date, certificates: Sequence[str], on: dt.date
) -> int:
    """Starting grade by education, one grade per `years_per_grade` years of service, plus the
    highest qualification's extra grades; capped at 18."""
    start = int(scale.education_grades.get(education, 1))
    service = max(0, years_between(hired_on, on)) // max(1, scale.years_per_grade)
    bonus = max((int(scale.certificate_grades.get(c, 0)) for c in certificates), default=0)
    return max(1, min(GRADES, start + service + bonus))


def _set_grade(staff: Staff, category: str, grade: int, on: dt.date, reason: str) -> GradeChange | None:
    if staff.category == category and staff.grade == grade:
        return None
    change = GradeChange.objects.create(
        staff=staff,
        old_category=staff.category,
        old_grade=staff.grade if staff.pk else None,
        new_category=category,
        new_grade=grade,
        effective_on=on,
        reason=reason,
        area_path=staff.area_path,
    )
    staff.category, staff.grade = category, grade
    return change


@transaction.atomic
def promote_staff(actor, staff: Staff, *, on: dt.date | None = None) -> Staff:
    """Apply the grade rules of the scale in force: years of service, education, qualifications."""
    staff = _lock_staff(actor, staff)
    on = on or timezone.localdate()
    scale = scale_for(on)
    certificates = list(staff.certificates.values_list("kind", flat=True))
    grade = compute_grade(
        scale, education=staff.education, hired_on=staff.hired_on, certificates=certificates, on=on
    )
    if grade <= staff.grade:
        raise ServiceError(_("按现行规则暂不符合晋级条件(应为第%(g)d级)") % {"g": grade})
    before = audit.snapshot(staff)
    _set_grade(staff, staff.category, grade, on, _("按工作年限、学历和职业资格晋级"))
    staff.save(update_fields=["grade", "category", "updated_at"])
    audit.record(actor, "workforce.promote", staff, before=before, after=audit.snapshot(staff))
    return staff


# --- staff ------------------------------------------------------------------------------------------
def _validate_choice(value: str, choices, message: str) -> str:
    if value not in choices.values:
        raise ServiceError(message)
    return value


@transaction.atomic
def hire_staff(
    actor,
    *,
    resident: Resident,
    community: Area,
    post: str,
    education: str,
    hired_on: dt.date,
    source: str = "",
) -> Staff:
    community = _lock_area(actor, community, Level.COMMUNITY)
    resident = Resident.objects.unscoped("staff may live anywhere in the city").get(pk=resident.pk)
    _validate_choice(post, Post, _("岗位无效"))
    _validate_choice(education, Education, _("学历无效"))
    if post in (Post.ASSISTANT_SOCIAL_WORKER, Post.SOCIAL_WORKER):
        raise ServiceError(_("助理社会工作师、社会工作师是职级,请以社区工作者入职后晋升"))
    if source and source not in Source.values:
        raise ServiceError(_("来源无效"))
    if post == Post.SECRETARY and not source:
        raise ServiceError(_("社区书记须注明来源(选派、选拔或选聘)"))
    if hired_on > timezone.localdate():
        raise ServiceError(_("入职日期不能晚于今天"))
    if Staff.objects.unscoped("one record per person").filter(resident=resident).exists():
        raise ServiceError(_("该居民已有社区工作人员档案"))
    staff = Staff(
        resident=resident,
        community=community,
        area_path=community.path,
        post=post,
        source=source,
        education=education,
        hired_on=hired_on,
        category=category_for(post),
    )
    scale = scale_for(timezone.localdate())
    staff.grade = compute_grade(
        scale, education=education, hired_on=hired_on, certificates=[], on=timezone.localdate()
    )
    try:
        staff.save()
    except IntegrityError:
        raise ServiceError(_("该居民已有社区工作人员档案")) from None
    PositionRecord.objects.create(staff=staff, post=post, area_path=staff.area_path, started_on=hired_on)
    GradeChange.objects.create(
        staff=staff,
        new_category=staff.category,
        new_grade=staff.grade,
        effective_on=hired_on,
        reason=_("入职定级"),
        area_path=staff.area_path,
    )
    audit.record(actor, "workforce.hire", staff, after=audit.snapshot(staff))
    return staff


@transaction.atomic
def change_post(actor, staff: Staff, *, post: str, on: dt.date | None = None, note: str = "") -> Staff:
    """A step on a career ladder (or any change of post): the old spell ends, a new one starts."""
    staff = _lock_staff(actor, staff)
    _validate_choice(post, Post, _("岗位无效"))
    if post == staff.post:
        raise ServiceError(_("新岗位与现任岗位相同"))
    on = on or timezone.localdate()
    current = (
        PositionRecord.objects.unscoped("current spell")
        .filter(staff=staff, ended_on__isnull=True)
        .order_by("-started_on")
        .first()
    )
    if current is not None and on < current.started_on:
        raise ServiceError(_("变动日期不能早于现任岗位的开始日期"))
    if (
        post == Post.SECRETARY
        and Staff.objects.unscoped("one secretary")
        .filter(community_id=staff.community_id, post=Post.SECRETARY, is_active=True)
        .exists()
    ):
        raise ServiceError(_("该社区已有在任书记,请通过“调整撤换”办理"))
    if post == Post.GRID_WORKER:
        pass
    elif staff.post == Post.GRID_WORKER:
        _end_assignment(staff, on, _("转任其他岗位"))
    before = audit.snapshot(staff)
    PositionRecord.objects.unscoped("end spell").filter(staff=staff, ended_on__isnull=True).update(
        ended_on=on
    )
    PositionRecord.objects.create(staff=staff, post=post, area_path=staff.area_path, started_on=on, note=note)
    staff.post = post
    _set_grade(staff, category_for(post), staff.grade, on, _("岗位变动"))
    staff.save(update_fields=["post", "category", "grade", "updated_at"])
    audit.record(actor, "workforce.change_post", staff, before=before, after=audit.snapshot(staff))
    return staff


@transaction.atomic
def add_certificate(actor, staff: Staff, *, kind: str, issued_on: dt.date, number: str = "") -> Certificate:
    from .models import CertificateKind

    staff = _lock_staff(actor, staff)
    _validate_choice(kind, CertificateKind, _("职业资格类型无效"))
    if Certificate.objects.unscoped("uniqueness").filter(staff=staff, kind=kind).exists():
        raise ServiceError(_("该人员已登记此职业资格"))
    certificate = Certificate.objects.create(
        staff=staff, kind=kind, issued_on=issued_on, number=number.strip(), area_path=staff.area_path
    )
    audit.record(actor, "workforce.add_certificate", certificate, after=audit.snapshot(certificate))
    return certificate


@transaction.atomic
def designate_successor(actor, staff: Staff, *, on: dt.date | None = None) -> Successor:
    staff = _lock_staff(actor, staff)
    if staff.post == Post.SECRETARY:
        raise ServiceError(_("现任书记不能作为本社区的后备人才"))
    if Successor.objects.unscoped("uniqueness").filter(staff=staff, ended_on__isnull=True).exists():
        raise ServiceError(_("该人员已是后备人才"))
    successor = Successor.objects.create(
        community_id=staff.community_id,
        staff=staff,
        area_path=staff.area_path,
        designated_on=on or timezone.localdate(),
    )
    audit.record(actor, "workforce.designate_successor", successor, after=audit.snapshot(successor))
    return successor


@transaction.atomic
def record_training(
    actor,
    staff: Staff,
    *,
    kind: str,
    started_on: dt.date,
    ended_on: dt.date | None = None,
    host_city: str = "",
    studio=None,
    salon=None,
    note: str = "",
) -> Training:
    staff = _lock_staff(actor, staff)
    _validate_choice(kind, TrainingKind, _("培训类型无效"))
    host_city = (host_city or "").strip()
    if ended_on is not None and ended_on < started_on:
        raise ServiceError(_("结束日期不能早于开始日期"))
    if kind == TrainingKind.SECONDMENT and not (host_city and ended_on):
        raise ServiceError(_("外地挂职须填写挂职城市和起止日期"))
    if kind == TrainingKind.STUDIO and studio is None:
        raise ServiceError(_("请选择书记工作室"))
    if kind == TrainingKind.SALON:
        if salon is None:
            raise ServiceError(_("请选择沙龙场次"))
        if Training.objects.unscoped("uniqueness").filter(staff=staff, salon=salon).exists():
            raise ServiceError(_("该人员已登记参加本场沙龙"))
    training = Training.objects.create(
        staff=staff,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        host_city=host_city,
        studio=studio if kind == TrainingKind.STUDIO else None,
        salon=salon if kind == TrainingKind.SALON else None,
        note=note,
        area_path=staff.area_path,
    )
    audit.record(actor, "workforce.record_training", training, after=audit.snapshot(training))
    return training


# --- competition and evaluation -------------------------------------------------------------------
@transaction.atomic
def add_presentation(actor, round: CompetitionRound, staff: Staff, *, topic: str = "") -> Presentation:
    round = (
        CompetitionRound.objects.unscoped("lock inside a service")
        .select_related("competition")
        .get(pk=round.pk)
    )
    _check(actor, round.area_path)
    staff = _lock_staff(actor, staff)
    if not staff.area_path.startswith(round.competition.area_path):
        raise ServiceError(_("只能登台本区县的社区书记"))
    if Presentation.objects.unscoped("uniqueness").filter(round=round, staff=staff).exists():
        raise ServiceError(_("该书记已在本场登台"))
    presentation = Presentation.objects.create(
        round=round, staff=staff, topic=topic.strip(), area_path=staff.area_path
    )
    audit.record(actor, "workforce.add_presentation", presentation, after=audit.snapshot(presentation))
    return presentation


@transaction.atomic
def score_presentation(actor, presentation: Presentation, *, judge: str, score: Decimal | str) -> JudgeScore:
    presentation = (
        Presentation.objects.unscoped("lock inside a service").select_for_update().get(pk=presentation.pk)
    )
    _check(actor, presentation.area_path)
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


def _decimal(value, label: str) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("%(f)s应为数字") % {"f": label}) from None
    if not result.is_finite():
        raise ServiceError(_("%(f)s应为数字") % {"f": label})
    return result.quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def evaluate(actor, staff: Staff, *, year: int, fit_score, satisfaction, outcome: str) -> Evaluation:
    staff = _lock_staff(actor, staff)
    _validate_choice(outcome, Outcome, _("评估结果无效"))
    fit, sat = _decimal(fit_score, _("人岗匹配度")), _decimal(satisfaction, _("群众满意度"))
    for value in (fit, sat):
        if not Decimal(0) <= value <= Decimal(100):
            raise ServiceError(_("评分应在 0 到 100 之间"))
    if Evaluation.objects.unscoped("uniqueness").filter(staff=staff, year=year).exists():
        raise ServiceError(_("该人员 %(y)d 年度已评估") % {"y": year})
    evaluation = Evaluation.objects.create(
        staff=staff, year=year, fit_score=fit, satisfaction=sat, outcome=outcome, area_path=staff.area_path
    )
    audit.record(actor, "workforce.evaluate", evaluation, after=audit.snapshot(evaluation))
    return evaluation


@transaction.atomic
def replace_secretary(
    actor,
    outgoing: Staff,
    *,
    reason: str,
    incoming: Staff | None = None,
    note: str = "",
    on: dt.date | None = None,
) -> Replacement:
    """Replace a community secretary: the outgoing leaves the post (and the staff), the incoming takes it."""
    outgoing = _lock_staff(actor, outgoing)
    if outgoing.post != Post.SECRETARY:
        raise ServiceError(_("“%(n)s”不是现任社区书记") % {"n": outgoing.resident.name})
    _validate_choice(reason, ReplacementReason, _("撤换原因无效"))
    if reason == ReplacementReason.OTHER and not note.strip():
        raise ServiceError(_("请说明调整原因"))
    on = on or timezone.localdate()
    if incoming is not None:
        incoming = _lock_staff(actor, incoming)
        if incoming.pk == outgoing.pk:
            raise ServiceError(_("新任书记不能是原书记本人"))
        if incoming.community_id != outgoing.community_id:
            raise ServiceError(_("新任书记应为本社区工作人员(外部人选请先办理入职)"))
    before = audit.snapshot(outgoing)
    PositionRecord.objects.unscoped("end spell").filter(staff=outgoing, ended_on__isnull=True).update(
        ended_on=on
    )
    outgoing.is_active = False
    outgoing.left_on = on
    outgoing.save(update_fields=["is_active", "left_on", "updated_at"])
    Successor.objects.unscoped("end").filter(staff=outgoing, ended_on__isnull=True).update(ended_on=on)
    if incoming is not None:
        PositionRecord.objects.unscoped("end spell").filter(staff=incoming, ended_on__isnull=True).update(
            ended_on=on
        )
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
        Successor.objects.unscoped("end").filter(staff=incoming, ended_on__isnull=True).update(ended_on=on)
    replacement = Replacement.objects.create(
        community_id=outgoing.community_id,
        outgoing=outgoing,
        incoming=incoming,
        reason=reason,
        note=note.strip(),
        replaced_on=on,
        area_path=outgoing.area_path,
        actor=_user(actor),
    )
    audit.record(
        actor, "workforce.replace_secretary", replacement, before=before, after=audit.snapshot(replacement)
    )
    return replacement


# --- grid workers (一网一员) -------------------------------------------------------------------------
def _end_assignment(staff: Staff, on: dt.date, reason: str) -> int:
    return (
        GridAssignment.objects.unscoped("end assignment")
        .filter(staff=staff, ended_on__isnull=True)
        .update(ended_on=on, reason=reason)
    )


@transaction.atomic
def assign_grid(
    actor, staff: Staff, grid: Area, *, on: dt.date | None = None, reason: str = ""
) -> GridAssignment:
    """Put a full-time grid worker on a grid (ending their previous assignment: history is kept)."""
    staff = _lock_staff(actor, staff)
    grid = _lock_area(actor, grid, Level.GRID)
    if staff.post != Post.GRID_WORKER:
        raise ServiceError(_("只有专职网格员可以配置到网格"))
    if not grid.path.startswith(staff.area_path):
        raise ServiceError(_("网格不在该网格员所在社区内"))
    current = GridAssignment.objects.unscoped("current").filter(grid=grid, ended_on__isnull=True).first()
    if current is not None:
        if current.staff_id == staff.pk:
            raise ServiceError(_("该网格员已在此网格"))
        raise ServiceError(_("该网格已有专职网格员(一网一员),请先调离原网格员"))
    on = on or timezone.localdate()
    before = list(
        GridAssignment.objects.unscoped("history")
        .filter(staff=staff, ended_on__isnull=True)
        .values_list("grid_id", flat=True)
    )
    _end_assignment(staff, on, reason or _("调整网格"))
    try:
        with transaction.atomic():
            assignment = GridAssignment.objects.create(
                staff=staff, grid=grid, area_path=grid.path, started_on=on, reason=reason
            )
    except IntegrityError:
        raise ServiceError(_("该网格刚配置了其他网格员,请刷新后重试")) from None
    audit.record(
        actor, "workforce.assign_grid", assignment, before={"grids": before}, after=audit.snapshot(assignment)
    )
    return assignment


@transaction.atomic
def unassign_grid(actor, staff: Staff, *, reason: str, on: dt.date | None = None) -> Staff:
    staff = _lock_staff(actor, staff)
    if not (reason or "").strip():
        raise ServiceError(_("请填写调离原因"))
    if not _end_assignment(staff, on or timezone.localdate(), reason.strip()):
        raise ServiceError(_("该网格员当前未配置网格"))
    audit.record(actor, "workforce.unassign_grid", staff, after={"reason": reason.strip()})
    return staff


# --- payroll ----------------------------------------------------------------------------------------
def _month(value: dt.date) -> dt.date:
    return value.replace(day=1)


def rates_of(scale: SalaryScale) -> dict[tuple[str, int], SalaryRate]:
    return {(r.category, r.grade): r for r in scale.rates.all()}


def split(total: Decimal, city_share: Decimal) -> tuple[Decimal, Decimal]:
    """City and district parts of a total: the city's rounded to the fen (half up), the district the rest."""
    city = (total * city_share).quantize(CENT, rounding=ROUND_HALF_UP)
    return city, total - city


@transaction.atomic
def compute_payroll(actor, community: Area, month: dt.date) -> Payroll:
    """One community's payroll for a month from the scale in force; computed once per month."""
    community = _lock_area(actor, community, Level.COMMUNITY)
    month = _month(month)
    if Payroll.objects.unscoped("once per month").filter(community=community, month=month).exists():
        raise ServiceError(
            _("%(c)s %(m)s 的工资表已生成,不能重复核算") % {"c": community.name, "m": month.strftime("%Y-%m")}
        )
    scale = scale_for(month)
    rates = rates_of(scale)
    staff = list(
        Staff.objects.unscoped("payroll of a locked community")
        .filter(community=community, is_active=True, hired_on__lt=_next_month(month))
        .select_related("resident")
        .order_by("post", "id")
    )
    if not staff:
        raise ServiceError(_("该社区没有在岗人员"))
    lines = []
    for person in staff:
        rate = rates.get((person.category, person.grade))
        if rate is None:
            raise ServiceError(
                _("薪酬标准缺少“%(c)s 第%(g)d级”")
                % {"c": PostCategory(person.category).label, "g": person.grade}
            )
        lines.append(
            PayrollLine(
                staff=person,
                category=person.category,
                grade=person.grade,
                post_pay=rate.post_pay,
                grade_pay=rate.grade_pay,
                performance_pay=rate.performance_pay,
                allowance=rate.allowance,
                total=rate.total,
                area_path=community.path,
            )
        )
    total = sum((line.total for line in lines), Decimal("0.00"))
    city, district = split(total, scale.city_share)
    payroll = Payroll.objects.create(
        community=community,
        month=month,
        scale=scale,
        total=total,
        city_amount=city,
        district_amount=district,
        headcount=len(lines),
        area_path=community.path,
    )
    for line in lines:
        line.payroll = payroll
    PayrollLine.objects.bulk_create(lines)
    audit.record(actor, "workforce.compute_payroll", payroll, after=audit.snapshot(payroll))
    return payroll


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# --- imports ----------------------------------------------------------------------------------------
@dataclass
class StaffImportResult:
    staff: int


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def import_staff(actor, upload: IO[bytes]) -> StaffImportResult:
    """Staff by the ID number of a registered resident: all rows or nothing."""
    errors: list[RowError] = []
    rows = []
    seen: dict[str, int] = {}
    today = timezone.localdate()
    for line, values in read_sheet(upload, STAFF_COLUMNS):
        count = len(errors)
        card = None
        try:
            card = validation.clean_id_number(values.get("id_number", ""))
        except ServiceError as exc:
            errors.append(RowError(line, str(exc), "身份证号"))
        post = POST_BY_LABEL.get(values.get("post", ""))
        if post is None or post in (Post.ASSISTANT_SOCIAL_WORKER, Post.SOCIAL_WORKER):
            errors.append(RowError(line, _("岗位“%(p)s”无效") % {"p": values.get("post", "")}, "岗位"))
        education = EDUCATION_BY_LABEL.get(values.get("education", ""))
        if education is None:
            errors.append(RowError(line, _("学历“%(e)s”无效") % {"e": values.get("education", "")}, "学历"))
        source = SOURCE_BY_LABEL.get(values.get("source", ""), "") if values.get("source") else ""
        if values.get("source") and not source:
            errors.append(RowError(line, _("来源“%(s)s”无效") % {"s": values["source"]}, "来源"))
        if post == Post.SECRETARY and not source:
            errors.append(RowError(line, _("社区书记须注明来源"), "来源"))
        hired_on = None
        try:
            hired_on = _parse_date(values.get("hired_on", ""))
            if hired_on > today:
                errors.append(RowError(line, _("入职日期不能晚于今天"), "入职日期"))
        except ValueError:
            errors.append(RowError(line, _("入职日期格式应为 2020-03-01"), "入职日期"))
        if not values.get("community_code"):
            errors.append(RowError(line, _("社区编码不能为空"), "社区编码"))
        if card is not None:
            if card.number in seen:
                errors.append(
                    RowError(line, _("身份证号与第%(l)d行重复") % {"l": seen[card.number]}, "身份证号")
                )
            seen[card.number] = line
        if len(errors) == count and card is not None:
            rows.append(
                (
                    line,
                    values,
                    pii.blind_index(card.number, purpose=ID_PURPOSE),
                    post,
                    education,
                    source,
                    hired_on,
                )
            )
    if not rows and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        return _import_staff_rows(actor, rows)


def _import_staff_rows(actor, rows) -> StaffImportResult:
    errors: list[RowError] = []
    communities = {
        a.code: a
        for a in Area.objects.visible_to(actor)
        .select_for_update()
        .filter(level=Level.COMMUNITY, is_active=True, code__in={r[1]["community_code"] for r in rows})
    }
    residents = {
        r.id_index: r
        for r in Resident.objects.unscoped("staff may live anywhere in the city").filter(
            id_index__in=[r[2] for r in rows], is_active=True
        )
    }
    taken = set(
        Staff.objects.unscoped("one record per person")
        .filter(resident__in=residents.values())
        .values_list("resident_id", flat=True)
    )
    scale = scale_for(timezone.localdate())
    today = timezone.localdate()
    staff_rows = []
    for line, values, index, post, education, source, hired_on in rows:
        community = communities.get(values["community_code"])
        resident = residents.get(index)
        if community is None:
            errors.append(
                RowError(
                    line,
                    _("社区编码“%(c)s”不存在或不在您的管辖范围内") % {"c": values["community_code"]},
                    "社区编码",
                )
            )
        if resident is None:
            errors.append(RowError(line, _("该身份证号的居民未登记"), "身份证号"))
        elif resident.pk in taken:
            errors.append(RowError(line, _("该居民已有社区工作人员档案"), "身份证号"))
        elif values.get("name") and values["name"] != resident.name:
            errors.append(RowError(line, _("姓名与登记信息不一致"), "姓名"))
        if errors and errors[-1].line == line:
            continue
        assert community is not None and resident is not None
        staff = Staff(
            resident=resident,
            community=community,
            area_path=community.path,
            post=post,
            source=source,
            education=education,
            hired_on=hired_on,
            category=category_for(post),
            grade=compute_grade(scale, education=education, hired_on=hired_on, certificates=[], on=today),
        )
        staff_rows.append(staff)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    Staff.objects.bulk_create(staff_rows, batch_size=2000)
    PositionRecord.objects.bulk_create(
        [
            PositionRecord(staff=s, post=s.post, area_path=s.area_path, started_on=s.hired_on)
            for s in staff_rows
        ]
    )
    GradeChange.objects.bulk_create(
        [
            GradeChange(
                staff=s,
                new_category=s.category,
                new_grade=s.grade,
                effective_on=s.hired_on,
                reason=_("入职定级"),
                area_path=s.area_path,
            )
            for s in staff_rows
        ]
    )
    audit.record_many(actor, "workforce.import_staff", staff_rows)
    return StaffImportResult(staff=len(staff_rows))


def import_salary_scale(
    actor,
    upload: IO[bytes],
    *,
    name: str,
    effective_from: dt.date,
    city_share,
    years_per_grade: int = 3,
) -> SalaryScale:
    """A new version of the 3 × 18 table: every cell exactly once, or nothing is saved."""
    errors: list[RowError] = []
    cells: dict[tuple[str, int], dict] = {}
    share = None
    try:
        share = Decimal(str(city_share).strip())
        if not Decimal(0) <= share <= Decimal(1):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append(RowError(0, _("市级财政承担比例应为 0 到 1 之间的小数"), "市级财政承担比例"))
    for line, values in read_sheet(upload, RATE_COLUMNS):
        count = len(errors)
        category = CATEGORY_BY_LABEL.get(values.get("category", ""))
        if category is None:
            errors.append(
                RowError(line, _("岗位类别“%(c)s”无效") % {"c": values.get("category", "")}, "岗位类别")
            )
        grade = values.get("grade", "")
        if not grade.isdigit() or not 1 <= int(grade) <= GRADES:
            errors.append(RowError(line, _("薪级应为 1 到 18 的整数"), "薪级"))
        amounts = {}
        for key, header in (
            ("post_pay", "岗位工资"),
            ("grade_pay", "薪级工资"),
            ("performance_pay", "绩效工资"),
            ("allowance", "津贴补贴"),
        ):
            try:
                value = Decimal(values.get(key, "") or "x")
                if value < 0 or not value.is_finite() or value != value.quantize(CENT):
                    raise InvalidOperation
                amounts[key] = value.quantize(CENT)
            except InvalidOperation:
                errors.append(RowError(line, _("金额应为不小于 0、最多两位小数的数字"), header))
        if len(errors) > count:
            continue
        assert category is not None
        cell = (category, int(grade))
        if cell in cells:
            errors.append(
                RowError(line, _("岗位类别与薪级重复(第%(l)d行已有)") % {"l": cells[cell]["line"]}, "薪级")
            )
            continue
        cells[cell] = {"line": line, **amounts}
    missing = [
        f"{PostCategory(c).label}{g}"
        for c in PostCategory.values
        for g in range(1, GRADES + 1)
        if (c, g) not in cells
    ]
    if missing and not any(e.line > 1 for e in errors):
        errors.append(
            RowError(0, _("缺少 %(n)d 个薪级:%(m)s") % {"n": len(missing), "m": "、".join(missing[:10])})
        )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    assert share is not None
    with transaction.atomic():
        base = (
            scale_for(effective_from)
            if SalaryScale.objects.filter(effective_from__lte=effective_from).exists()
            else None
        )
        if SalaryScale.objects.filter(effective_from=effective_from).exists():
            raise ImportRejected(
                [RowError(0, _("%(d)s 起生效的薪酬标准已存在") % {"d": effective_from.isoformat()})]
            )
        scale = SalaryScale.objects.create(
            name=(name or "").strip() or _("薪酬标准"),
            effective_from=effective_from,
            city_share=share,
            years_per_grade=years_per_grade,
            education_grades=base.education_grades if base else {},
            certificate_grades=base.certificate_grades if base else {},
        )
        rates = [
            SalaryRate(scale=scale, category=c, grade=g, **{k: v for k, v in cell.items() if k != "line"})
            for (c, g), cell in sorted(cells.items())
        ]
        SalaryRate.objects.bulk_create(rates)
        audit.record(
            actor, "workforce.import_scale", scale, after={**audit.snapshot(scale), "rates": len(rates)}
        )
    return scale


# --- exports (audited: staff lists and pay are personal data) ----------------------------------------
@transaction.atomic
def export_staff(actor, qs) -> bytes:
    from gridgov.core.xlsx import write_sheet

    from .columns import STAFF_EXPORT_COLUMNS, STAFF_TITLE
    from .queries import staff_export_rows

    rows = list(staff_export_rows(qs))
    audit.record(
        actor, "workforce.export_staff", None, object_repr=str(STAFF_TITLE), after={"rows": len(rows)}
    )
    return write_sheet(str(STAFF_TITLE), STAFF_EXPORT_COLUMNS, rows)


@transaction.atomic
def export_payroll(actor, payroll: Payroll) -> bytes:
    from gridgov.core.xlsx import write_sheet

    from .columns import PAYROLL_COLUMNS, PAYROLL_TITLE

    _check(actor, payroll.area_path)
    rows = [
        {
            "name": line.staff.resident.name,
            "post": line.staff.get_post_display(),
            "category": str(PostCategory(line.category).label),
            "grade": line.grade,
            "post_pay": line.post_pay,
            "grade_pay": line.grade_pay,
            "performance_pay": line.performance_pay,
            "allowance": line.allowance,
            "total": line.total,
        }
        for line in payroll.lines.select_related("staff__resident").order_by("id")
    ]
    rows.append({"name": str(_("合计")), "total": payroll.total})
    rows.append({"name": str(_("市级财政承担")), "total": payroll.city_amount})
    rows.append({"name": str(_("区县财政承担")), "total": payroll.district_amount})
    audit.record(actor, "workforce.export_payroll", payroll, after={"rows": len(rows) - 3})
    return write_sheet(f"{PAYROLL_TITLE} {payroll.month:%Y-%m}", PAYROLL_COLUMNS, rows)


# --- competitions, studios, salons --------------------------------------------------------------------
# A double submission of the same create is refused with a Chinese message (not idempotent): the
# competition per district, year and title; the round per competition and number; the studio by name;
# the salon per area, date and title. Each create locks the parent row first, so two concurrent
# submissions are serialised and the second one sees the first.
def _text(value: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("请填写%(f)s") % {"f": label})
    if len(value) > max_length:
        raise ServiceError(_("%(f)s不能超过 %(n)d 个字") % {"f": label, "n": max_length})
    return value


def _year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ServiceError(_("年度应为数字")) from None
    if not 2000 <= year <= 2100:
        raise ServiceError(_("年度应在 2000 到 2100 之间"))
    return year


def _lock_competition(actor, competition: Competition) -> Competition:
    competition = (
        Competition.objects.unscoped("lock inside a service").select_for_update().get(pk=competition.pk)
    )
    _check(actor, competition.area_path)
    return competition


def _competition_taken(district_id: int, year: int, title: str, exclude: int | None = None) -> bool:
    qs = Competition.objects.unscoped("uniqueness").filter(district_id=district_id, year=year, title=title)
    return qs.exclude(pk=exclude).exists() if exclude else qs.exists()


@transaction.atomic
def create_competition(actor, district: Area, *, title: str, year) -> Competition:
    """A district's secretaries' competition (擂台赛); the same district, year and title twice is refused."""
    district = _lock_area(actor, district, Level.DISTRICT)
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
def update_competition(actor, competition: Competition, *, title: str, year) -> Competition:
    competition = _lock_competition(actor, competition)
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
    actor, competition: Competition, *, held_on: dt.date, number: int | None = None
) -> CompetitionRound:
    """A round (场次) of a competition; without a number it is the next one."""
    competition = _lock_competition(actor, competition)
    if held_on is None:
        raise ServiceError(_("请填写日期"))
    if held_on.year != competition.year:
        raise ServiceError(_("场次日期应在 %(y)d 年度内") % {"y": competition.year})
    rounds = CompetitionRound.objects.unscoped("rounds of a locked competition").filter(
        competition=competition
    )
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


def _studio_lead(actor, lead: Staff | None) -> Staff | None:
    if lead is None:
        return None
    lead = _lock_staff(actor, lead)
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
    actor,
    community: Area,
    *,
    name: str,
    training_base: str = "",
    lead: Staff | None = None,
    established_on: dt.date | None = None,
) -> Studio:
    """A secretary studio (书记工作室) hosted by a community, with its training base; names are unique."""
    community = _lock_area(actor, community, Level.COMMUNITY)
    name, training_base = _studio_fields(name, training_base, established_on)
    lead = _studio_lead(actor, lead)
    if Studio.objects.unscoped("unique name").filter(name=name).exists():
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
    actor,
    studio: Studio,
    *,
    name: str,
    training_base: str = "",
    lead: Staff | None = None,
    established_on: dt.date | None = None,
) -> Studio:
    studio = Studio.objects.unscoped("lock inside a service").select_for_update().get(pk=studio.pk)
    _check(actor, studio.area_path)
    name, training_base = _studio_fields(name, training_base, established_on)
    if (lead.pk if lead is not None else None) != studio.lead_id:
        lead = _studio_lead(actor, lead)  # a new lead must be a serving secretary; the current one stays
    if Studio.objects.unscoped("unique name").filter(name=name).exclude(pk=studio.pk).exists():
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
def create_salon(actor, area: Area, *, title: str, held_on: dt.date) -> Salon:
    """A salon session (书记沙龙) held by a city, district or street; the same one twice is refused."""
    area = Area.objects.unscoped("lock inside a service").select_for_update().get(pk=area.pk)
    _check(actor, area.path)
    if area.level not in SALON_LEVELS:
        raise ServiceError(_("书记沙龙由市、区县或街道举办"))
    if not area.is_active:
        raise ServiceError(_("区域“%(n)s”已撤销") % {"n": area.name})
    title = _text(title, _("主题"), 200)
    if held_on is None:
        raise ServiceError(_("请填写举办日期"))
    if (
        Salon.objects.unscoped("uniqueness")
        .filter(area_path=area.path, held_on=held_on, title=title)
        .exists()
    ):
        raise ServiceError(_("该沙龙已登记(同一举办方、日期和主题),请勿重复提交"))
    salon = Salon.objects.create(title=title, held_on=held_on, area_path=area.path)
    audit.record(actor, "workforce.create_salon", salon, after=audit.snapshot(salon))
    return salon
