"""A staff member's record: hiring, change of post, qualifications, reserve successors, training, evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident

from ..models import (
    Certificate,
    CertificateKind,
    Education,
    Evaluation,
    GradeChange,
    Outcome,
    PositionRecord,
    Post,
    Source,
    Staff,
    Successor,
    Training,
    TrainingKind,
    category_for,
)
from ._common import _area_at, _decimal, _serving, _validate_choice
from .grades import _set_grade, compute_grade, scale_for
from .grids import _end_assignment
from .ladders import check_step
from .links import end_links

if TYPE_CHECKING:
    from gridgov.accounts.models import User


@transaction.atomic
def hire_staff(
    actor: User | SystemActor,
    *,
    resident: Resident,
    community: Area,
    post: str,
    education: str,
    hired_on: dt.date,
    source: str = "",
) -> Staff:
    community = _area_at(Area.objects.lock_in_scope(actor, community.pk), Level.COMMUNITY)
    resident = Resident.objects.unscoped(
        "staff may live anywhere in the city; the community is what is checked"
    ).get(pk=resident.pk)
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
    if (
        Staff.objects.unscoped("one record per person, whichever community holds it")
        .filter(resident=resident)
        .exists()
    ):
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
def change_post(
    actor: User | SystemActor, staff: Staff, *, post: str, on: dt.date | None = None, note: str = ""
) -> Staff:
    """A step on a career ladder (or any change of post): the old spell ends, a new one starts."""
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    _validate_choice(post, Post, _("岗位无效"))
    if post == staff.post:
        raise ServiceError(_("新岗位与现任岗位相同"))
    on = on or timezone.localdate()
    current = (
        PositionRecord.objects.unscoped("the current spell of the staff member locked and checked above")
        .filter(staff=staff, ended_on__isnull=True)
        .order_by("-started_on")
        .first()
    )
    if current is not None and on < current.started_on:
        raise ServiceError(_("变动日期不能早于现任岗位的开始日期"))
    check_step(staff, post, on)  # the two ladders (services/ladders.py)
    if (
        post == Post.SECRETARY
        and Staff.objects.unscoped("one serving secretary per community, the checked one")
        .filter(community_id=staff.community_id, post=Post.SECRETARY, is_active=True)
        .exists()
    ):
        raise ServiceError(_("该社区已有在任书记,请通过“调整撤换”办理"))
    if post == Post.GRID_WORKER:
        end_links(staff, on, _("转任专职网格员"))  # a grid worker is on one grid (一网一员), not linked
    elif staff.post == Post.GRID_WORKER:
        _end_assignment(staff, on, _("转任其他岗位"))
    before = audit.snapshot(staff)
    PositionRecord.objects.unscoped("end the spell of the staff member locked and checked above").filter(
        staff=staff, ended_on__isnull=True
    ).update(ended_on=on)
    PositionRecord.objects.create(staff=staff, post=post, area_path=staff.area_path, started_on=on, note=note)
    staff.post = post
    _set_grade(staff, category_for(post), staff.grade, on, _("岗位变动"))
    staff.save(update_fields=["post", "category", "grade", "updated_at"])
    audit.record(actor, "workforce.change_post", staff, before=before, after=audit.snapshot(staff))
    return staff


@transaction.atomic
def add_certificate(
    actor: User | SystemActor, staff: Staff, *, kind: str, issued_on: dt.date, number: str = ""
) -> Certificate:
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    _validate_choice(kind, CertificateKind, _("职业资格类型无效"))
    if (
        Certificate.objects.unscoped("one certificate of a kind per checked staff member")
        .filter(staff=staff, kind=kind)
        .exists()
    ):
        raise ServiceError(_("该人员已登记此职业资格"))
    certificate = Certificate.objects.create(
        staff=staff, kind=kind, issued_on=issued_on, number=number.strip(), area_path=staff.area_path
    )
    audit.record(actor, "workforce.add_certificate", certificate, after=audit.snapshot(certificate))
    return certificate


@transaction.atomic
def designate_successor(actor: User | SystemActor, staff: Staff, *, on: dt.date | None = None) -> Successor:
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    if staff.post == Post.SECRETARY:
        raise ServiceError(_("现任书记不能作为本社区的后备人才"))
    if (
        Successor.objects.unscoped("one open reserve listing per checked staff member")
        .filter(staff=staff, ended_on__isnull=True)
        .exists()
    ):
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
    actor: User | SystemActor,
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
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
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
        if (
            Training.objects.unscoped("one salon attendance per checked staff member")
            .filter(staff=staff, salon=salon)
            .exists()
        ):
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


@transaction.atomic
def evaluate(
    actor: User | SystemActor, staff: Staff, *, year: int, fit_score, satisfaction, outcome: str
) -> Evaluation:
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    _validate_choice(outcome, Outcome, _("评估结果无效"))
    fit, sat = _decimal(fit_score, _("人岗匹配度")), _decimal(satisfaction, _("群众满意度"))
    for value in (fit, sat):
        if not Decimal(0) <= value <= Decimal(100):
            raise ServiceError(_("评分应在 0 到 100 之间"))
    if (
        Evaluation.objects.unscoped("one evaluation a year per checked staff member")
        .filter(staff=staff, year=year)
        .exists()
    ):
        raise ServiceError(_("该人员 %(y)d 年度已评估") % {"y": year})
    evaluation = Evaluation.objects.create(
        staff=staff, year=year, fit_score=fit, satisfaction=sat, outcome=outcome, area_path=staff.area_path
    )
    audit.record(actor, "workforce.evaluate", evaluation, after=audit.snapshot(evaluation))
    return evaluation


@transaction.atomic
def join_corps(
    actor: User | SystemActor, staff: Staff, *, on: dt.date | None = None, note: str = ""
) -> Staff:
    """A qualified full-time grid worker joins the community-worker corps (一支队伍、不同岗位)."""
    locked = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
    if locked.post != Post.GRID_WORKER:
        raise ServiceError(_("只有专职网格员需要办理转入社区工作者队伍"))
    return change_post(
        actor, locked, post=Post.COMMUNITY_WORKER, on=on, note=note or _("网格员转入社区工作者队伍")
    )
