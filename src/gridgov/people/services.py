"""Writes about residents and households; each one audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit, idcard, pii
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.scope import check_path
from gridgov.core.services import ImportRejected, RateLimited, RowError, ServiceError
from gridgov.core.signals import imports_records
from gridgov.core.tasks import enqueue_on_commit
from gridgov.core.text import pinyin_pair
from gridgov.core.xlsx import read_sheet

from . import validation
from .columns import RESIDENT_COLUMNS
from .models import (
    CORRECTION_PURPOSE,
    ID_PURPOSE,
    PHONE_PURPOSE,
    CorrectionField,
    CorrectionOrigin,
    CorrectionRequest,
    CorrectionStatus,
    Household,
    Relation,
    Resident,
    ResidentTag,
    Tag,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User

RELATION_BY_LABEL = {str(label): value for value, label in Relation.choices}


def _usable_unit(unit: Area) -> Area:
    if unit.level != Level.UNIT:
        raise ServiceError(_("户必须登记在单元下"))
    if not unit.is_active:
        raise ServiceError(_("该单元已撤销"))
    return unit


@transaction.atomic
def create_household(actor: User | SystemActor, *, unit: Area, number: str) -> Household:
    unit = _usable_unit(Area.objects.lock_in_scope(actor, unit.pk))
    number = validation.clean_household_number(number)
    if (
        Household.objects.unscoped("a unit's household numbers: the unit was checked in scope")
        .filter(unit=unit, number=number)
        .exists()
    ):
        raise ServiceError(_("该单元已有户号 %(n)s") % {"n": number})
    household = Household.objects.create(unit=unit, number=number, area_path=unit.path)
    audit.record(actor, "people.create_household", household, after=audit.snapshot(household))
    return household


def _check_id_free(index: str, exclude_pk: int | None = None) -> None:
    qs = Resident.objects.unscoped(
        "an ID number is registered once city-wide; the answer names no row"
    ).filter(id_index=index)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        # Do not say where: the other record may lie outside the user's scope.
        raise ServiceError(_("该身份证号已登记"))


def _active_household(household: Household) -> Household:
    if not household.is_active:
        raise ServiceError(_("该户已注销"))
    return household


@transaction.atomic
def register_resident(
    actor: User | SystemActor,
    *,
    household: Household,
    name: str,
    id_number: str,
    phone: str = "",
    relation: str = Relation.HEAD,
    tags: Iterable[Tag] = (),
) -> Resident:
    household = _active_household(Household.objects.lock_in_scope(actor, household.pk))
    card = validation.clean_id_number(id_number)
    if relation not in Relation.values:
        raise ServiceError(_("与户主关系无效"))
    resident = Resident(household=household, relation=relation, area_path=household.area_path)
    resident.name = validation.clean_name(name)
    resident.name_pinyin, resident.name_initials = pinyin_pair(resident.name)
    resident.set_id_number(card)
    resident.set_phone(validation.clean_phone(phone))
    _check_id_free(resident.id_index)
    resident.save()
    resident.tags.set(list(tags))
    audit.record(actor, "people.register_resident", resident, after=audit.snapshot(resident))
    return resident


@transaction.atomic
def update_resident(
    actor: User | SystemActor,
    resident: Resident,
    *,
    name: str | None = None,
    phone: str | None = None,
    relation: str | None = None,
    household: Household | None = None,
    tags: Iterable[Tag] | None = None,
) -> Resident:
    resident = Resident.objects.lock_in_scope(actor, resident.pk)
    before = audit.snapshot(resident)
    before["tags"] = sorted(resident.tags.values_list("code", flat=True))
    if name is not None:
        resident.name = validation.clean_name(name)
        resident.name_pinyin, resident.name_initials = pinyin_pair(resident.name)
    if phone is not None:
        resident.set_phone(validation.clean_phone(phone))
    if relation is not None:
        if relation not in Relation.values:
            raise ServiceError(_("与户主关系无效"))
        resident.relation = relation
    if household is not None and household.pk != resident.household_id:
        # Moving into a household outside the actor's area is a scope violation (404 upstream).
        household = _active_household(Household.objects.lock_in_scope(actor, household.pk))
        resident.household = household
        resident.area_path = household.area_path
    resident.save()
    if tags is not None:
        resident.tags.set(list(tags))
    after = audit.snapshot(resident)
    after["tags"] = sorted(resident.tags.values_list("code", flat=True))
    audit.record(actor, "people.update_resident", resident, before=before, after=after)
    return resident


@transaction.atomic
def deregister_resident(actor: User | SystemActor, resident: Resident, *, reason: str) -> Resident:
    """Take a resident off the register (death, moving away): the record is kept, no longer active."""
    resident = Resident.objects.lock_in_scope(actor, resident.pk)
    if not resident.is_active:
        raise ServiceError(_("该居民已注销"))
    before = audit.snapshot(resident)
    resident.is_active = False
    resident.save(update_fields=["is_active", "updated_at"])
    after = {**audit.snapshot(resident), "reason": reason}
    audit.record(actor, "people.deregister_resident", resident, before=before, after=after)
    return resident


@transaction.atomic
def correct_id_number(actor: User | SystemActor, resident: Resident, *, id_number: str) -> Resident:
    """A wrong ID number on record replaced by the right one (an approved correction): checked, unique."""
    resident = Resident.objects.lock_in_scope(actor, resident.pk)
    card = validation.clean_id_number(id_number)
    before = audit.snapshot(resident)
    resident.set_id_number(card)
    _check_id_free(resident.id_index, exclude_pk=resident.pk)
    resident.save()
    audit.record(actor, "people.correct_id_number", resident, before=before, after=audit.snapshot(resident))
    return resident


# --- corrections (更正申请) ------------------------------------------------------------------------------
CORRECTION_FIELDS = tuple(CorrectionField.values)
MAX_REASON = 500


def _current_display(resident: Resident, field: str) -> str:
    if field == CorrectionField.NAME:
        return resident.name
    if field == CorrectionField.PHONE:
        return resident.phone_masked
    if field == CorrectionField.RELATION:
        return str(resident.get_relation_display())
    if field == CorrectionField.ID_NUMBER:
        return resident.id_masked
    return str(_("在册")) if resident.is_active else str(_("已注销"))


def _clean_correction(resident: Resident, field: str, value: str) -> tuple[str, str]:
    """The value to store and the value to show for one requested change; a value equal to what is on
    record is refused (there is nothing to correct)."""
    value = (value or "").strip()
    if field == CorrectionField.NAME:
        name = validation.clean_name(value)
        if name == resident.name:
            raise ServiceError(_("新的姓名与登记的相同"))
        return name, name
    if field == CorrectionField.PHONE:
        phone = validation.clean_phone(value)
        if not phone:
            raise ServiceError(_("请填写新的手机号"))
        if resident.phone_index and pii.blind_index(phone, purpose=PHONE_PURPOSE) == resident.phone_index:
            raise ServiceError(_("新的手机号与登记的相同"))
        return phone, idcard.mask_phone(phone)
    if field == CorrectionField.RELATION:
        if value not in Relation.values:
            raise ServiceError(_("与户主关系无效"))
        if value == resident.relation:
            raise ServiceError(_("与户主关系与登记的相同"))
        return value, str(Relation(value).label)
    if field == CorrectionField.ID_NUMBER:
        card = validation.clean_id_number(value)
        if pii.blind_index(card.number, purpose=ID_PURPOSE) == resident.id_index:
            raise ServiceError(_("新的身份证号与登记的相同"))
        return card.number, idcard.mask(card.number)
    if field == CorrectionField.DEREGISTER:
        if not resident.is_active:
            raise ServiceError(_("该居民已注销"))
        return "", str(_("注销"))
    raise ServiceError(_("更正项目无效:%(f)s") % {"f": field[:20]})


def _resident_for_request(actor: User | SystemActor, resident: Resident, as_self: bool) -> Resident:
    if as_self:
        # The caller (points.services.request_own_correction) found this resident through the account's
        # own link; a resident account reaches nothing else.
        if getattr(actor, "role", None) != "resident":
            raise PermissionError("as_self is for a resident's own account")
        return Resident.objects.unscoped("the resident's own record, found through the account's link").get(
            pk=resident.pk
        )
    if not isinstance(actor, SystemActor) and not actor.has_perm("people.change_resident"):
        raise PermissionError("people.change_resident")
    return Resident.objects.lock_in_scope(actor, resident.pk)


@transaction.atomic
def request_correction(
    actor: User | SystemActor,
    resident: Resident,
    *,
    changes: dict[str, str],
    reason: str,
    origin: str = CorrectionOrigin.STAFF,
    origin_ref: str = "",
    as_self: bool = False,
) -> list[CorrectionRequest]:
    """One pending request per item to change; every item is checked before any is saved, and an item
    that already has a pending request is refused (a double submission makes no second request)."""
    resident = _resident_for_request(actor, resident, as_self)
    if not resident.is_active:
        raise ServiceError(_("该居民已注销,不能申请更正"))
    if origin not in CorrectionOrigin.values:
        raise ServiceError(_("来源无效"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写更正理由"))
    if len(reason) > MAX_REASON:
        raise ServiceError(_("理由过长(最多%(n)d字)") % {"n": MAX_REASON})
    if not changes:
        raise ServiceError(_("请选择要更正的项目"))
    pending = set(
        CorrectionRequest.objects.unscoped("the resident's own pending requests; the resident was checked")
        .filter(resident=resident, status=CorrectionStatus.PENDING)
        .values_list("field", flat=True)
    )
    cleaned = []
    for field, value in changes.items():
        if field in pending:
            raise ServiceError(_("“%(f)s”已有待审核的更正申请") % {"f": CorrectionField(field).label})
        stored, shown = _clean_correction(resident, field, value)
        cleaned.append((field, stored, shown))
    made = []
    requested_by = None if isinstance(actor, SystemActor) else actor
    for field, stored, shown in cleaned:
        request = CorrectionRequest(
            resident=resident,
            area_path=resident.area_path,
            field=field,
            value_cipher=pii.encrypt(stored, purpose=CORRECTION_PURPOSE) if stored else None,
            value_display=shown[:60],
            current_display=_current_display(resident, field)[:60],
            reason=reason,
            origin=origin,
            origin_ref=(origin_ref or "")[:60],
            requested_by=requested_by,
        )
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            raise ServiceError(
                _("“%(f)s”已有待审核的更正申请") % {"f": CorrectionField(field).label}
            ) from None
        audit.record(actor, "people.request_correction", request, after=audit.snapshot(request))
        made.append(request)
    return made


def _decidable(actor: User | SystemActor, request: CorrectionRequest) -> CorrectionRequest:
    if not isinstance(actor, SystemActor) and not actor.has_perm("people.decide_correctionrequest"):
        raise PermissionError("people.decide_correctionrequest")
    request = CorrectionRequest.objects.lock_in_scope(actor, request.pk)
    if request.status != CorrectionStatus.PENDING:
        raise ServiceError(_("该申请已审核(%(s)s)") % {"s": request.get_status_display()})
    return request


def _decide(actor, request: CorrectionRequest, status: str, note: str) -> CorrectionRequest:
    before = audit.snapshot(request)
    request.status = status
    request.decided_by = None if isinstance(actor, SystemActor) else actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save()
    audit.record(actor, f"people.{status}_correction", request, before=before, after=audit.snapshot(request))
    return request


@transaction.atomic
def approve_correction(
    actor: User | SystemActor, request: CorrectionRequest, *, note: str = ""
) -> CorrectionRequest:
    """Apply the requested change through the service that owns it, then mark the request approved."""
    request = _decidable(actor, request)
    note = (note or "").strip()[:MAX_REASON]
    resident = request.resident
    value = request.requested_value()
    if request.field == CorrectionField.NAME:
        update_resident(actor, resident, name=value)
    elif request.field == CorrectionField.PHONE:
        update_resident(actor, resident, phone=value)
    elif request.field == CorrectionField.RELATION:
        update_resident(actor, resident, relation=value)
    elif request.field == CorrectionField.ID_NUMBER:
        correct_id_number(actor, resident, id_number=value)
    else:
        deregister_resident(actor, resident, reason=request.reason)
    return _decide(actor, request, CorrectionStatus.APPROVED, note)


@transaction.atomic
def reject_correction(
    actor: User | SystemActor, request: CorrectionRequest, *, note: str
) -> CorrectionRequest:
    request = _decidable(actor, request)
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("驳回时请填写审核意见"))
    return _decide(actor, request, CorrectionStatus.REJECTED, note[:MAX_REASON])


UNMASK_WINDOW = dt.timedelta(hours=1)


def _count_unmask(actor: User | SystemActor) -> None:
    """At most GRIDGOV_UNMASK_PER_HOUR full numbers per login in any hour (default 30): a task needs a
    handful, a login revealing hundreds is harvesting. Counted from the audit rows every unmask leaves
    (one indexed query; the same answer for every worker); a system job is not limited."""
    if isinstance(actor, SystemActor):
        return
    limit = int(getattr(settings, "GRIDGOV_UNMASK_PER_HOUR", 30))
    since = timezone.now() - UNMASK_WINDOW
    recent = AuditEvent.objects.filter(actor=actor, action="people.unmask", created_at__gte=since)
    if recent.count() >= limit:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first() or since
        raise RateLimited(
            _("一小时内查看完整证件号已达 %(n)d 次上限,请稍后再试") % {"n": limit},
            retry_after=max(1, int((oldest - since).total_seconds())),
        )


@transaction.atomic
def unmask_resident(actor: User | SystemActor, resident: Resident) -> dict[str, str]:
    """The full ID-card and phone numbers, for a user allowed to see them; every call is audited, and a
    login may reveal only so many an hour (`_count_unmask`)."""
    if not actor.has_perm("people.unmask_resident"):
        raise PermissionError("unmask")
    check_path(actor, resident.area_path)
    _count_unmask(actor)
    audit.record(actor, "people.unmask", resident, after={"fields": ["id_number", "phone", "birth_date"]})
    return {
        "id_number": resident.reveal_id_number(),
        "phone": resident.reveal_phone(),
        "birth_date": resident.birth_date.isoformat(),
    }


# --- import -----------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    residents: int
    households: int


@dataclass
class _Row:
    line: int
    name: str
    card_number: str
    index: str
    phone: str
    unit_code: str
    household_number: str
    relation: str
    tag_codes: list[str]


def _split_tags(text: str) -> list[str]:
    for sep in ",,;;/ ":
        text = text.replace(sep, "、")
    return [t for t in (s.strip() for s in text.split("、")) if t]


@imports_records
def import_residents(actor: User | SystemActor, upload: IO[bytes]) -> ImportResult:
    """All rows or nothing: any bad row rejects the file and every bad row is reported."""
    errors: list[RowError] = []
    rows: list[_Row] = []
    tags_by_name = {t.name: t for t in Tag.objects.all()}
    seen_numbers: dict[str, int] = {}
    for line, values in read_sheet(upload, RESIDENT_COLUMNS):
        row_errors: list[RowError] = []
        name, card, phone = validation.clean_person_row(line, values, row_errors)
        unit_code = values.get("unit_code", "")
        if not unit_code:
            row_errors.append(RowError(line, _("单元编码不能为空"), "单元编码"))
        try:
            household_number = validation.clean_household_number(values.get("household_number", ""))
        except ServiceError as exc:
            row_errors.append(RowError(line, str(exc), "户号"))
            household_number = ""
        relation_label = values.get("relation", "") or str(Relation.HEAD.label)
        relation = RELATION_BY_LABEL.get(relation_label, "")
        if not relation:
            row_errors.append(
                RowError(line, _("与户主关系“%(r)s”无效") % {"r": relation_label}, "与户主关系")
            )
        tag_codes = []
        for tag_name in _split_tags(values.get("tags", "")):
            if tag_name in tags_by_name:
                tag_codes.append(tags_by_name[tag_name].code)
            else:
                row_errors.append(RowError(line, _("未知标签“%(t)s”") % {"t": tag_name}, "标签"))
        if card is not None:
            if card.number in seen_numbers:
                row_errors.append(
                    RowError(
                        line, _("身份证号与第%(l)d行重复") % {"l": seen_numbers[card.number]}, "身份证号"
                    )
                )
            else:
                seen_numbers[card.number] = line
        if row_errors:
            errors.extend(row_errors)
            continue
        assert card is not None
        rows.append(
            _Row(
                line,
                name,
                card.number,
                pii.blind_index(card.number, purpose=ID_PURPOSE),
                phone,
                unit_code,
                household_number,
                relation,
                tag_codes,
            )
        )
    if not rows and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    with transaction.atomic():
        result = _import_rows(actor, rows, errors)
    return result


def _import_rows(actor: User | SystemActor, rows: list[_Row], errors: list[RowError]) -> ImportResult:
    # Resolve units through the actor's scope inside the transaction: unknown and out-of-scope
    # codes get the same answer.
    units = {
        a.code: a
        for a in Area.objects.visible_to(actor)
        .select_for_update()
        .filter(level=Level.UNIT, is_active=True, code__in={r.unit_code for r in rows})
    }
    existing = set(
        Resident.objects.unscoped("an ID number is registered once city-wide; the answer names no row")
        .filter(id_index__in=[r.index for r in rows])
        .values_list("id_index", flat=True)
    )
    for row in rows:
        if row.unit_code not in units:
            errors.append(
                RowError(
                    row.line,
                    _("单元编码“%(c)s”不存在或不在您的管辖范围内") % {"c": row.unit_code},
                    "单元编码",
                )
            )
        if row.index in existing:
            errors.append(RowError(row.line, _("该身份证号已登记"), "身份证号"))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))

    households = {
        (h.unit_id, h.number): h
        for h in Household.objects.unscoped(
            "households of the units just resolved through the actor's scope"
        ).filter(unit__in=list(units.values()))
    }
    new_households = []
    for row in rows:
        unit = units[row.unit_code]
        key = (unit.pk, row.household_number)
        if key not in households:
            household = Household(unit=unit, number=row.household_number, area_path=unit.path)
            households[key] = household
            new_households.append(household)
    Household.objects.bulk_create(new_households, batch_size=2000)
    if any(h.pk is None for h in new_households):  # backends without RETURNING ids
        raise RuntimeError("bulk_create did not return primary keys")

    tag_ids = dict(Tag.objects.values_list("code", "pk"))
    residents = []
    for row in rows:
        unit = units[row.unit_code]
        household = households[(unit.pk, row.household_number)]
        resident = Resident(
            household=household, relation=row.relation, area_path=household.area_path, name=row.name
        )
        resident.name_pinyin, resident.name_initials = pinyin_pair(row.name)
        resident.set_id_number(validation.clean_id_number(row.card_number))
        resident.set_phone(row.phone)
        residents.append(resident)
    Resident.objects.bulk_create(residents, batch_size=2000)
    ResidentTag.objects.bulk_create(
        [
            ResidentTag(resident=resident, tag_id=tag_ids[code])
            for resident, row in zip(residents, rows, strict=True)
            for code in row.tag_codes
        ],
        batch_size=5000,
    )
    audit.record_many(actor, "people.create_household", new_households)
    audit.record_many(actor, "people.import_resident", residents)
    return ImportResult(residents=len(residents), households=len(new_households))


# --- export -----------------------------------------------------------------------------------------
def can_unmask(actor: User | SystemActor | None) -> bool:
    return actor is not None and actor.has_perm("people.unmask_resident")


@transaction.atomic
def export_residents_now(actor: User | SystemActor, params: dict, *, unmasked: bool) -> tuple[bytes, int]:
    """A small export, built in the request; full numbers only for users allowed to unmask."""
    from gridgov.core.xlsx import write_sheet

    from .columns import EXPORT_EXTRA_COLUMNS, EXPORT_TITLE
    from .queries import export_rows
    from .tasks import filtered_residents

    unmasked = unmasked and can_unmask(actor)
    qs = filtered_residents(actor, params)
    rows = list(export_rows(qs, unmasked=unmasked))
    content = write_sheet(str(EXPORT_TITLE), RESIDENT_COLUMNS + EXPORT_EXTRA_COLUMNS, rows)
    audit.record(
        actor,
        "people.export",
        None,
        object_repr=str(EXPORT_TITLE),
        after={"rows": len(rows), "unmasked": unmasked, "filters": params},
    )
    return content, len(rows)


@transaction.atomic
def start_export_job(actor: User, params: dict, *, unmasked: bool):
    """A large export runs as a Celery task; the returned job reports its progress to the person who
    started it (a job has a user as owner: no SystemActor here)."""
    from gridgov.core.models import Job

    from .tasks import export_residents

    job = Job.objects.create(
        kind="people.export_residents",
        owner=actor,
        params={"filters": params, "unmasked": unmasked and can_unmask(actor)},
    )
    audit.record(actor, "people.export_requested", job, after=job.params)
    enqueue_on_commit(export_residents, job.pk)
    return job


@transaction.atomic
def export_households_now(actor: User | SystemActor, params: dict) -> bytes:
    """A small household export, built in the request, of the list as filtered in the actor's scope."""
    from gridgov.core.xlsx import write_sheet

    from .columns import HOUSEHOLD_EXPORT_COLUMNS, HOUSEHOLD_EXPORT_TITLE
    from .queries import household_export_rows
    from .tasks import filtered_households

    rows = list(household_export_rows(filtered_households(actor, params)))
    content = write_sheet(str(HOUSEHOLD_EXPORT_TITLE), HOUSEHOLD_EXPORT_COLUMNS, rows)
    audit.record(
        actor,
        "people.export_households",
        None,
        object_repr=str(HOUSEHOLD_EXPORT_TITLE),
        after={"rows": len(rows), "filters": params},
    )
    return content


@transaction.atomic
def start_household_export_job(actor: User, params: dict):
    """A large household export runs as a Celery task, like the resident export."""
    from gridgov.core.models import Job

    from .tasks import export_households

    job = Job.objects.create(kind="people.export_households", owner=actor, params={"filters": params})
    audit.record(actor, "people.export_households_requested", job, after=job.params)
    enqueue_on_commit(export_households, job.pk)
    return job
