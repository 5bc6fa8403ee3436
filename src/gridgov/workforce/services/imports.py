"""Spreadsheet imports: staff (all rows or nothing) and a new version of the salary scale."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit, pii
from gridgov.core.actors import SystemActor
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.signals import imports_records
from gridgov.core.xlsx import read_sheet
from gridgov.people import validation
from gridgov.people.models import ID_PURPOSE, Resident

from ..columns import (
    CATEGORY_BY_LABEL,
    EDUCATION_BY_LABEL,
    POST_BY_LABEL,
    RATE_COLUMNS,
    SOURCE_BY_LABEL,
    STAFF_COLUMNS,
)
from ..models import (
    GRADES,
    GradeChange,
    PositionRecord,
    Post,
    PostCategory,
    SalaryRate,
    SalaryScale,
    Staff,
    category_for,
)
from ._common import CENT
from .grades import compute_grade, scale_for

if TYPE_CHECKING:
    from gridgov.accounts.models import User


@dataclass
class StaffImportResult:
    staff: int


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


@imports_records
def import_staff(actor: User | SystemActor, upload: IO[bytes]) -> StaffImportResult:
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
    if not rows:
        raise ImportRejected(errors)
    # The well-formed rows still go through the database checks, so that the answer lists every bad row.
    with transaction.atomic():
        return _import_staff_rows(actor, rows, errors)


def _import_staff_rows(actor: User | SystemActor, rows, format_errors: list[RowError]) -> StaffImportResult:
    errors: list[RowError] = list(format_errors)
    communities = {
        a.code: a
        for a in Area.objects.visible_to(actor)
        .select_for_update()
        .filter(level=Level.COMMUNITY, is_active=True, code__in={r[1]["community_code"] for r in rows})
    }
    residents = {
        r.id_index: r
        for r in Resident.objects.unscoped(
            "staff may live anywhere in the city; found by the ID number's blind index"
        ).filter(id_index__in=[r[2] for r in rows], is_active=True)
    }
    taken = set(
        Staff.objects.unscoped("one record per person, whichever community holds it")
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
    actor: User | SystemActor,
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
