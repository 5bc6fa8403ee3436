"""Grades on the salary scale: the scale in force, the grade rules, and promotion by them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError

from ..models import GRADES, GradeChange, SalaryScale, Staff
from ._common import _serving

if TYPE_CHECKING:
    from gridgov.accounts.models import User


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
def promote_staff(actor: User | SystemActor, staff: Staff, *, on: dt.date | None = None) -> Staff:
    """Apply the grade rules of the scale in force: years of service, education, qualifications."""
    staff = _serving(Staff.objects.select_related("resident").lock_in_scope(actor, staff.pk))
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
