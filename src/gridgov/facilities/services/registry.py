"""The registry of positions and candidate rooms: create, change, close/reopen, photos, xlsx import."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.signals import imports_records
from gridgov.core.xlsx import read_sheet

from ..columns import FACILITY_COLUMNS
from ..coverage import CITY_LENGTH
from ..location import Locator
from ..models import CandidateSite, Facility, FacilityKind, FacilityPhoto, HostType
from .recompute import invalidate_coverage
from .validation import (
    clean_coordinate,
    clean_floor_area,
    clean_host_type,
    clean_kind,
    clean_name,
    clean_services,
    resolve_location,
)

PHOTO_TYPES = {".jpg", ".jpeg", ".png", ".webp"}
PHOTO_MAX_BYTES = 10 * 2**20

if TYPE_CHECKING:
    from gridgov.accounts.models import User


# --- positions -------------------------------------------------------------------------------------------
EDITABLE = (
    "name",
    "address",
    "floor_area",
    "host_type",
    "host_name",
    "services",
    "opening_hours",
    "unified_sign",
    "shared_use",
    "shared_with",
    "contact_phone",
    "note",
)


def _clean_fields(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = clean_name(data["name"])
    if "floor_area" in data:
        out["floor_area"] = clean_floor_area(data["floor_area"], required=kind == FacilityKind.SERVICE_CENTRE)
    if "host_type" in data:
        out["host_type"] = clean_host_type(data["host_type"])
    if "services" in data:
        out["services"] = clean_services(data["services"] or [])
    for key in ("address", "host_name", "opening_hours", "shared_with", "contact_phone", "note"):
        if key in data:
            out[key] = str(data[key] or "").strip()
    for key in ("unified_sign", "shared_use"):
        if key in data:
            out[key] = bool(data[key])
    return out


@transaction.atomic
def create_facility(
    actor: User | SystemActor,
    *,
    kind: str,
    name: str,
    area: Area | None = None,
    x: Any = None,
    y: Any = None,
    locator: Locator | None = None,
    **fields: Any,
) -> Facility:
    kind = clean_kind(kind)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    cleaned = _clean_fields(kind, {"name": name, "floor_area": fields.pop("floor_area", None), **fields})
    if area is not None:
        area = Area.objects.lock_in_scope(actor, area.pk)
    area, fx, fy = resolve_location(
        actor, kind=kind, area=area, x=clean_coordinate(x, "X"), y=clean_coordinate(y, "Y"), locator=locator
    )
    facility = Facility.objects.create(kind=kind, area=area, area_path=area.path, x=fx, y=fy, **cleaned)
    audit.record(actor, "facilities.create", facility, after=audit.snapshot(facility))
    invalidate_coverage(area.path)
    return facility


@transaction.atomic
def update_facility(
    actor: User | SystemActor,
    facility: Facility,
    *,
    area: Area | None = None,
    x: Any = None,
    y: Any = None,
    **fields: Any,
) -> Facility:
    facility = Facility.objects.lock_in_scope(actor, facility.pk)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    before = audit.snapshot(facility)
    for key, value in _clean_fields(facility.kind, fields).items():
        setattr(facility, key, value)
    fx, fy = clean_coordinate(x, "X"), clean_coordinate(y, "Y")
    if area is not None or fx is not None or fy is not None:
        # A new area without coordinates takes the area's own point; new coordinates alone must stay
        # inside the current area.
        keep = area is None
        new_area, nx, ny = resolve_location(
            actor,
            kind=facility.kind,
            area=area or facility.area,
            x=fx if fx is not None else (facility.x if keep or fy is not None else None),
            y=fy if fy is not None else (facility.y if keep or fx is not None else None),
        )
        facility.area, facility.area_path, facility.x, facility.y = new_area, new_area.path, nx, ny
    facility.save()
    after = audit.snapshot(facility)
    audit.record(actor, "facilities.update", facility, before=before, after=after)
    invalidate_coverage(facility.area_path)
    return facility


@transaction.atomic
def set_facility_active(
    actor: User | SystemActor, facility: Facility, active: bool, reason: str = ""
) -> Facility:
    """Close (a reason is required; kept with the date) or reopen a position. Nothing is deleted: a closed
    position leaves the circle and the standards but stays in the registry, its closes and reopenings in
    the audit trail (`history`)."""
    facility = Facility.objects.lock_in_scope(actor, facility.pk)
    reason = (reason or "").strip()
    if facility.is_active == active:
        raise ServiceError(_("该阵地已在使用") if active else _("该阵地已关闭"))
    if not active and not reason:
        raise ServiceError(_("请填写关闭原因"))
    if len(reason) > 200:
        raise ServiceError(_("关闭原因不能超过 200 个字"))
    before = audit.snapshot(facility, ["is_active", "closed_on", "close_reason"])
    facility.is_active = active
    facility.closed_on = None if active else timezone.localdate()
    facility.close_reason = "" if active else reason
    facility.save(update_fields=["is_active", "closed_on", "close_reason", "updated_at"])
    audit.record(
        actor,
        "facilities.reopen" if active else "facilities.close",
        facility,
        before=before,
        after={"is_active": active, "reason": reason},
    )
    invalidate_coverage(facility.area_path)
    return facility


def close_facility(actor: User | SystemActor, facility: Facility, reason: str) -> Facility:
    return set_facility_active(actor, facility, False, reason)


def reopen_facility(actor: User | SystemActor, facility: Facility, reason: str = "") -> Facility:
    return set_facility_active(actor, facility, True, reason)


def history(facility: Facility) -> list[dict[str, Any]]:
    """The position's changes, newest first (its audit trail: registered, changed, closed, reopened)."""
    from django.contrib.contenttypes.models import ContentType

    from gridgov.core.models import AuditEvent

    labels = {
        "facilities.create": _("登记"),
        "facilities.update": _("修改"),
        "facilities.close": _("关闭"),
        "facilities.reopen": _("恢复使用"),
        "facilities.add_photo": _("上传照片"),
    }
    rows = AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(Facility), object_id=str(facility.pk)
    ).order_by("-created_at", "-id")[:50]
    return [
        {
            "at": row.created_at,
            "who": row.actor_label,
            "action": labels.get(row.action, row.action),
            "reason": (row.after or {}).get("reason", "") if isinstance(row.after, dict) else "",
        }
        for row in rows
    ]


@transaction.atomic
def add_photo(actor: User | SystemActor, facility: Facility, upload, caption: str = "") -> FacilityPhoto:
    facility = Facility.objects.lock_in_scope(actor, facility.pk)
    name = str(getattr(upload, "name", "") or "")
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in PHOTO_TYPES:
        raise ServiceError(_("照片须为 JPG、PNG 或 WebP 格式"))
    if getattr(upload, "size", 0) > PHOTO_MAX_BYTES:
        raise ServiceError(_("照片不能超过 10 MB"))
    photo = FacilityPhoto(facility=facility, caption=(caption or "").strip()[:100])
    photo.image.save(f"facility-{facility.pk}{suffix}", upload, save=False)
    photo.save()
    audit.record(
        actor, "facilities.add_photo", facility, after={"photo": photo.image.name, "caption": photo.caption}
    )
    return photo


# --- candidate rooms -------------------------------------------------------------------------------------
@transaction.atomic
def create_candidate(
    actor: User | SystemActor,
    *,
    name: str,
    room_type: str = HostType.IDLE,
    area: Area | None = None,
    x: Any = None,
    y: Any = None,
    floor_area: Any = None,
    host_name: str = "",
    address: str = "",
) -> CandidateSite:
    if area is not None:
        area = Area.objects.lock_in_scope(actor, area.pk)
    area, fx, fy = resolve_location(
        actor,
        kind=FacilityKind.RED_STATION,
        area=area,
        x=clean_coordinate(x, "X"),
        y=clean_coordinate(y, "Y"),
    )
    site = CandidateSite.objects.create(
        name=clean_name(name),
        room_type=clean_host_type(room_type),
        area=area,
        area_path=area.path,
        x=fx,
        y=fy,
        floor_area=clean_floor_area(floor_area),
        host_name=(host_name or "").strip(),
        address=(address or "").strip(),
    )
    audit.record(actor, "facilities.create_candidate", site, after=audit.snapshot(site))
    return site


@transaction.atomic
def update_candidate(
    actor: User | SystemActor,
    site: CandidateSite,
    *,
    name: Any = None,
    room_type: Any = None,
    area: Area | None = None,
    x: Any = None,
    y: Any = None,
    floor_area: Any = "unchanged",
    host_name: Any = None,
    address: Any = None,
    is_available: bool | None = None,
) -> CandidateSite:
    """Change a candidate room; a new place is checked like a new room (inside an area the actor sees)."""
    site = CandidateSite.objects.lock_in_scope(actor, site.pk)
    before = audit.snapshot(site)
    if name is not None:
        site.name = clean_name(name)
    if room_type is not None:
        site.room_type = clean_host_type(room_type)
    if floor_area != "unchanged":
        site.floor_area = clean_floor_area(floor_area)
    if host_name is not None:
        site.host_name = str(host_name).strip()[:100]
    if address is not None:
        site.address = str(address).strip()[:200]
    if is_available is not None:
        site.is_available = bool(is_available)
    fx, fy = clean_coordinate(x, "X"), clean_coordinate(y, "Y")
    if area is not None or fx is not None or fy is not None:
        if area is not None:
            area = Area.objects.lock_in_scope(actor, area.pk)
        keep = area is None
        new_area, nx, ny = resolve_location(
            actor,
            kind=FacilityKind.RED_STATION,
            area=area or site.area,
            x=fx if fx is not None else (site.x if keep or fy is not None else None),
            y=fy if fy is not None else (site.y if keep or fx is not None else None),
        )
        site.area, site.area_path, site.x, site.y = new_area, new_area.path, nx, ny
    site.save()
    audit.record(actor, "facilities.update_candidate", site, before=before, after=audit.snapshot(site))
    return site


@transaction.atomic
def set_candidate_available(actor: User | SystemActor, site: CandidateSite, available: bool) -> CandidateSite:
    site = CandidateSite.objects.lock_in_scope(actor, site.pk)
    before = audit.snapshot(site, ["is_available"])
    site.is_available = available
    site.save(update_fields=["is_available", "updated_at"])
    audit.record(actor, "facilities.update_candidate", site, before=before, after={"is_available": available})
    return site


# --- xlsx import -----------------------------------------------------------------------------------------
@imports_records
def import_facilities(actor: User | SystemActor, upload: IO[bytes]) -> int:
    """All rows or nothing: every bad row (bad kind, negative area, outside every area …) is listed."""
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for line, values in read_sheet(upload, FACILITY_COLUMNS):
        row: dict[str, Any] = {}
        row_errors: list[RowError] = []

        checks: list[tuple[str, str, Callable[[], Any]]] = [
            ("kind", "类型", partial(clean_kind, values.get("kind", ""))),
            ("name", "名称", partial(clean_name, values.get("name", ""))),
            ("x", "X", partial(clean_coordinate, values.get("x"), "X")),
            ("y", "Y", partial(clean_coordinate, values.get("y"), "Y")),
            ("host_type", "用房类型", partial(clean_host_type, values.get("host_type", ""))),
            ("services", "服务内容", partial(clean_services, values.get("services", ""))),
        ]
        for field, header, check in checks:
            try:
                row[field] = check()
            except ServiceError as exc:
                row_errors.append(RowError(line, str(exc), header))
        try:
            row["floor_area"] = clean_floor_area(
                values.get("floor_area"), required=row.get("kind") == FacilityKind.SERVICE_CENTRE
            )
        except ServiceError as exc:
            row_errors.append(RowError(line, str(exc), "面积"))
        for key in ("address", "host_name", "opening_hours", "shared_with", "contact_phone", "note"):
            row[key] = values.get(key, "")
        row["unified_sign"] = values.get("unified_sign", "") in {"是", "1", "true", "TRUE", "Y", "y"}
        row["shared_use"] = values.get("shared_use", "") in {"是", "1", "true", "TRUE", "Y", "y"}
        row["area_code"] = values.get("area_code", "")
        if row_errors:
            errors.extend(row_errors)
        else:
            parsed.append((line, row))
    if not parsed and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    with transaction.atomic():
        areas = {
            a.code: a
            for a in Area.objects.visible_to(actor).filter(
                code__in={r["area_code"] for _l, r in parsed if r["area_code"]}
            )
        }
        locator = Locator.for_user(actor)  # a SystemActor reaches every area
        created: list[Facility] = []
        for line, row in parsed:
            area = None
            if row["area_code"]:
                area = areas.get(row["area_code"])
                if area is None:
                    errors.append(
                        RowError(
                            line,
                            _("区域编码“%(c)s”不存在或不在您的管辖范围内") % {"c": row["area_code"]},
                            "区域编码",
                        )
                    )
                    continue
            try:
                area, fx, fy = resolve_location(
                    actor, kind=row["kind"], area=area, x=row["x"], y=row["y"], locator=locator
                )
            except ServiceError as exc:
                errors.append(RowError(line, str(exc), "X"))
                continue
            fields = {k: row[k] for k in EDITABLE if k in row}
            created.append(Facility(kind=row["kind"], area=area, area_path=area.path, x=fx, y=fy, **fields))
        if errors:
            errors.sort(key=lambda e: e.line)
            raise ImportRejected(errors)
        Facility.objects.bulk_create(created, batch_size=2000)
        audit.record_many(actor, "facilities.import", created)
        for city_path in {f.area_path[:CITY_LENGTH] for f in created}:
            invalidate_coverage(city_path)
    return len(created)
