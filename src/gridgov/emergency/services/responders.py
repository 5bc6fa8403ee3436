"""The two responder databases: registration, availability, xlsx import (all rows or none) and export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit, pii
from gridgov.core.scope import check_path
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.signals import imports_records
from gridgov.core.xlsx import read_sheet, write_sheet
from gridgov.people import validation

from ..columns import EXPORT_COLUMNS, EXPORT_TITLE, RESPONDER_COLUMNS
from ..models import (
    ID_PURPOSE,
    SKILL_BY_LABEL,
    SKILLS,
    EmployerUnit,
    Responder,
    ResponderKind,
    skill_label,
    skills_to_mask,
)
from ._common import require

KIND_BY_LABEL = {str(k.label): k.value for k in ResponderKind} | {"一线": "frontline", "下沉干部": "cadre"}


def clean_skills(values) -> int:
    """Skill codes or Chinese labels → mask; an unknown one is a ServiceError naming it."""
    codes = []
    for value in values:
        code = value if value in SKILLS else SKILL_BY_LABEL.get(value)
        if code is None:
            raise ServiceError(_("未知技能“%(s)s”") % {"s": value})
        codes.append(code)
    return skills_to_mask(codes)


def _split(text: str) -> list[str]:
    for sep in ",,;;/ ":
        text = text.replace(sep, "、")
    return [t for t in (s.strip() for s in text.split("、")) if t]


def _community(actor, community: Area | int) -> Area:
    pk = community.pk if isinstance(community, Area) else community
    try:
        area = Area.objects.lock_in_scope(actor, pk)
    except Area.DoesNotExist:
        raise ServiceError(_("社区不存在或不在您的管辖范围内")) from None
    if area.level != Level.COMMUNITY or not area.is_active:
        raise ServiceError(_("报到单位应为社区"))
    return area


@transaction.atomic
def create_employer(actor, *, name: str, code: str, area: Area) -> EmployerUnit:
    require(actor, "emergency.add_employerunit")
    check_path(actor, area.path)
    name, code = (name or "").strip(), (code or "").strip()
    if not name or not code:
        raise ServiceError(_("单位名称和代码不能为空"))
    if EmployerUnit.objects.filter(code=code).exists():
        raise ServiceError(_("单位代码“%(c)s”已存在") % {"c": code})
    unit = EmployerUnit.objects.create(name=name, code=code, area=area)
    audit.record(actor, "emergency.create_employer", unit, after=audit.snapshot(unit), area_path=area.path)
    return unit


@transaction.atomic
def register_responder(
    actor,
    *,
    kind: str,
    name: str,
    id_number: str,
    employer: EmployerUnit,
    community: Area,
    home_x: float,
    home_y: float,
    skills: list[str],
    restricted_skills: list[str] = (),  # type: ignore[assignment]
    health_note: str = "",
    phone: str = "",
    on_leave_until: dt.date | None = None,
    available_days: int = 0b1111111,
    available_from: dt.time | None = None,
    available_until: dt.time | None = None,
    user=None,
) -> Responder:
    require(actor, "emergency.add_responder")
    area = _community(actor, community)
    if kind not in ResponderKind.values:
        raise ServiceError(_("人员类别无效"))
    card = validation.clean_id_number(id_number)
    mask = clean_skills(skills)
    if not mask:
        raise ServiceError(_("至少填写一项技能"))
    responder = Responder(
        kind=kind,
        name=validation.clean_name(name),
        employer=employer,
        community=area,
        area_path=area.path,
        home_x=float(home_x),
        home_y=float(home_y),
        skills=mask,
        restricted_skills=clean_skills(restricted_skills),
        health_note=(health_note or "")[:100],
        on_leave_until=on_leave_until,
        available_days=int(available_days) & 0b1111111,
        available_from=available_from,
        available_until=available_until,
        user=user,
    )
    responder.set_id_number(card)
    responder.set_phone(validation.clean_phone(phone))
    if Responder.objects.unscoped("ID uniqueness is city-wide").filter(id_index=responder.id_index).exists():
        raise ServiceError(_("该身份证号已登记"))
    responder.save()
    audit.record(actor, "emergency.register_responder", responder, after=audit.snapshot(responder))
    return responder


@transaction.atomic
def update_availability(
    actor,
    responder: Responder | int,
    *,
    on_leave_until: dt.date | None = None,
    available_days: int | None = None,
    available_from: dt.time | None = None,
    available_until: dt.time | None = None,
    restricted_skills: list[str] | None = None,
    health_note: str | None = None,
    recompute: bool = True,
) -> Responder:
    """Leave, weekly days and daily window, health restrictions; readiness of the community is recomputed."""
    require(actor, "emergency.change_responder")
    pk = responder.pk if isinstance(responder, Responder) else responder
    try:
        obj = Responder.objects.lock_in_scope(actor, pk)
    except Responder.DoesNotExist:
        raise ServiceError(_("人员不存在或不在您的管辖范围内")) from None
    before = audit.snapshot(obj)
    obj.on_leave_until = on_leave_until
    if available_days is not None:
        obj.available_days = int(available_days) & 0b1111111
    obj.available_from, obj.available_until = available_from, available_until
    if restricted_skills is not None:
        obj.restricted_skills = clean_skills(restricted_skills)
    if health_note is not None:
        obj.health_note = health_note[:100]
    obj.save()
    audit.record(actor, "emergency.update_availability", obj, before=before, after=audit.snapshot(obj))
    if recompute:
        from .readiness import refresh_readiness

        refresh_readiness([obj.area_path])
    return obj


# --- import / export ------------------------------------------------------------------------------
@dataclass
class ImportResult:
    responders: int


def _float(text: str, line: int, field: str, errors: list[RowError]) -> float:
    try:
        value = float(text)
    except ValueError:
        errors.append(RowError(line, _("应为数字"), field))
        return 0.0
    if not -1e7 < value < 1e7:
        errors.append(RowError(line, _("坐标超出范围"), field))
    return value


@imports_records
def import_responders(actor, upload: IO[bytes], *, employer: EmployerUnit | None = None) -> ImportResult:
    """All rows or none. With `employer` (a unit registering its own staff) the unit column may be blank."""
    require(actor, "emergency.import_responder")
    errors: list[RowError] = []
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for line, values in read_sheet(upload, RESPONDER_COLUMNS):
        row_errors: list[RowError] = []
        kind = KIND_BY_LABEL.get(values.get("kind", ""), values.get("kind", ""))
        if kind not in ResponderKind.values:
            row_errors.append(RowError(line, _("类别应为“应急一线人员”或“下沉干部”"), "类别"))
        name, card, phone = validation.clean_person_row(line, values, row_errors)
        employer_code = values.get("employer_code", "") or (employer.code if employer else "")
        if employer is not None and employer_code != employer.code:
            row_errors.append(RowError(line, _("只能登记本单位人员"), "单位代码"))
        if not employer_code:
            row_errors.append(RowError(line, _("单位代码不能为空"), "单位代码"))
        x = _float(values.get("home_x", ""), line, "住址X(米)", row_errors)
        y = _float(values.get("home_y", ""), line, "住址Y(米)", row_errors)
        skills = restricted = 0
        try:
            skills = clean_skills(_split(values.get("skills", "")))
            if not skills:
                row_errors.append(RowError(line, _("至少填写一项技能"), "技能"))
        except ServiceError as exc:
            row_errors.append(RowError(line, str(exc), "技能"))
        try:
            restricted = clean_skills(_split(values.get("restricted", "")))
        except ServiceError as exc:
            row_errors.append(RowError(line, str(exc), "健康限制岗位"))
        leave = None
        if values.get("on_leave_until"):
            try:
                leave = dt.date.fromisoformat(values["on_leave_until"])
            except ValueError:
                row_errors.append(RowError(line, _("日期格式应为 YYYY-MM-DD"), "请假至"))
        if card is not None:
            if card.number in seen:
                row_errors.append(
                    RowError(line, _("身份证号与第%(l)d行重复") % {"l": seen[card.number]}, "身份证号")
                )
            else:
                seen[card.number] = line
        if row_errors:
            errors.extend(row_errors)
            continue
        assert card is not None
        rows.append(
            {
                "line": line,
                "kind": kind,
                "name": name,
                "card": card,
                "phone": phone,
                "employer_code": employer_code,
                "community_code": values.get("community_code", ""),
                "x": x,
                "y": y,
                "skills": skills,
                "restricted": restricted,
                "health_note": values.get("health_note", "")[:100],
                "leave": leave,
            }
        )
    if not rows and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    with transaction.atomic():
        return _import_rows(actor, rows, errors)


def _import_rows(actor, rows: list[dict], errors: list[RowError]) -> ImportResult:
    communities = {
        a.code: a
        for a in Area.objects.visible_to(actor)
        .select_for_update()
        .filter(level=Level.COMMUNITY, is_active=True, code__in={r["community_code"] for r in rows})
    }
    employers = {e.code: e for e in EmployerUnit.objects.filter(code__in={r["employer_code"] for r in rows})}
    indexes = {r["line"]: pii.blind_index(r["card"].number, purpose=ID_PURPOSE) for r in rows}
    existing = set(
        Responder.objects.unscoped("ID uniqueness is city-wide")
        .filter(id_index__in=list(indexes.values()))
        .values_list("id_index", flat=True)
    )
    for row in rows:
        if row["community_code"] not in communities:
            errors.append(
                RowError(
                    row["line"],
                    _("社区代码“%(c)s”不存在或不在您的管辖范围内") % {"c": row["community_code"]},
                    "报到社区代码",
                )
            )
        if row["employer_code"] not in employers:
            errors.append(
                RowError(row["line"], _("未知单位代码“%(c)s”") % {"c": row["employer_code"]}, "单位代码")
            )
        if indexes[row["line"]] in existing:
            errors.append(RowError(row["line"], _("该身份证号已登记"), "身份证号"))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    made = []
    for row in rows:
        community = communities[row["community_code"]]
        r = Responder(
            kind=row["kind"],
            name=row["name"],
            employer=employers[row["employer_code"]],
            community=community,
            area_path=community.path,
            home_x=row["x"],
            home_y=row["y"],
            skills=row["skills"],
            restricted_skills=row["restricted"],
            health_note=row["health_note"],
            on_leave_until=row["leave"],
        )
        r.set_id_number(row["card"])
        r.set_phone(row["phone"])
        made.append(r)
    Responder.objects.bulk_create(made, batch_size=2000)
    audit.record_many(actor, "emergency.import_responder", made)
    return ImportResult(responders=len(made))


def export_responders(actor, queryset) -> bytes:
    """The actor's visible responders as xlsx; ID and phone numbers masked (the export is audited)."""
    require(actor, "emergency.export_responder")
    rows = []
    qs = queryset.select_related("employer", "community")
    for r in qs.iterator(chunk_size=2000):
        rows.append(
            {
                "kind": r.get_kind_display(),
                "name": r.name,
                "id_number": r.id_masked,
                "phone": r.phone_masked,
                "employer_code": r.employer.code,
                "employer": r.employer.name,
                "community_code": r.community.code,
                "community": r.community.name,
                "home_x": round(r.home_x, 1),
                "home_y": round(r.home_y, 1),
                "skills": "、".join(skill_label(s) for s in r.skill_list),
                "restricted": "、".join(
                    skill_label(s) for s in SKILLS if r.restricted_skills & (1 << SKILLS.index(s))
                ),
                "health_note": r.health_note,
                "on_leave_until": r.on_leave_until.isoformat() if r.on_leave_until else "",
            }
        )
    with transaction.atomic():
        audit.record(actor, "emergency.export_responder", None, after={"rows": len(rows)})
    return write_sheet(str(EXPORT_TITLE), EXPORT_COLUMNS, rows)


@transaction.atomic
def bulk_register(actor, responders: list[Responder], *, label: str = "") -> int:
    """A bulk load of already-built responders (the city generator): communities re-checked against the
    actor's scope, ID numbers unique, one audit row for the batch (as the generator's other steps do)."""
    require(actor, "emergency.add_responder")
    for path in {r.area_path for r in responders}:
        check_path(actor, path)
    indexes = [r.id_index for r in responders]
    if len(set(indexes)) != len(indexes) or (
        Responder.objects.unscoped("ID uniqueness is city-wide").filter(id_index__in=indexes).exists()
    ):
        raise ServiceError(_("该身份证号已登记"))
    Responder.objects.bulk_create(responders, batch_size=2000)
    audit.record(
        actor, "emergency.bulk_register", None, after={"responders": len(responders), "label": label}
    )
    return len(responders)


@transaction.atomic
def link_user(actor, responder: Responder | int, user) -> Responder:
    """Bind a login to a responder, so that its phone page shows the responder's posts."""
    require(actor, "emergency.change_responder")
    pk = responder.pk if isinstance(responder, Responder) else responder
    obj = Responder.objects.lock_in_scope(actor, pk)
    before = audit.snapshot(obj, ["user"])
    obj.user = user
    obj.save(update_fields=["user", "updated_at"])
    audit.record(actor, "emergency.link_user", obj, before=before, after=audit.snapshot(obj, ["user"]))
    return obj
