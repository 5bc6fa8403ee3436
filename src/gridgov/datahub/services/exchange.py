"""Receiving a source's batch — from the upload page, the push API, the inbox folder or the generator.

A batch is read (xlsx, or CSV in UTF-8, UTF-8 with BOM or GBK), every row is validated against the
source's columns (datahub.sources) — headers, ID checksums, dates in three formats, codes, area codes,
duplicate keys — and then either every row is stored as the source's new snapshot or none is. Either
way the raw file and the batch row are kept (a rejected batch with its bounded report), so what a
department sent can always be shown. `batch_id` is idempotent per source: the same id with the same
content returns the batch already received; the same id with other content is refused (409) and
changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit, idcard
from gridgov.core.actors import SystemActor, as_user, skips_checks
from gridgov.core.services import ImportRejected, RowError, ServiceError, bound_errors
from gridgov.core.xlsx import INVISIBLE, Column, check_zip, megabytes, read_sheet, text_encoding

from .. import access
from ..models import Batch, BatchError, BatchStatus, Channel, Department, DepartmentToken, Source
from ..sources import Col, Kind, SourceSpec, spec

if TYPE_CHECKING:
    from gridgov.accounts.models import User

BATCH_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class BatchRejected(ImportRejected):
    """Bad rows or a bad file: nothing imported; the rejected batch (and its report) was kept."""

    def __init__(self, errors: list[RowError], batch: Batch | None = None) -> None:
        super().__init__(errors)
        self.batch = batch


class BatchConflict(ServiceError):
    """The batch id was already used for different content (HTTP 409); nothing changed."""

    def __init__(self, message: str, batch: Batch) -> None:
        super().__init__(message)
        self.batch = batch


class SourceForbidden(PermissionError):
    """The actor (or token) may not push this source."""


@dataclass
class Received:
    batch: Batch
    created: bool  # False: the same batch id with the same content was received before


# --- reading ------------------------------------------------------------------------------------------
def _reject(reason: str, line: int = 0, field: str = "") -> ImportRejected:
    return ImportRejected([RowError(line, reason, field)])


def detect_format(data: bytes) -> tuple[str, str]:
    """("xlsx", "") or ("csv", encoding); ImportRejected for anything else (naming what it looks like)."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx", ""
    encoding = text_encoding(data[:65536])
    if encoding is None:
        check_zip(data)  # raises with the reason (an old .xls, an image, a PDF, …)
        raise _reject(_("无法识别的文件格式:请上传 xlsx 或 CSV 文件"))
    return "csv", encoding


def _csv_rows(data: bytes, encoding: str, columns: list[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        # Never guess: a file that is partly one encoding and partly another would be garbled.
        raise _reject(_("文件编码无法识别(支持 UTF-8、带 BOM 的 UTF-8 和 GBK),未导入任何数据")) from None
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    max_rows = settings.GRIDGOV_IMPORT_MAX_ROWS
    try:
        header_row = next(reader, None)
        if header_row is None:
            raise _reject(_("表格没有表头行"), 1)
        headers = [INVISIBLE.sub("", h).strip() for h in header_row]
        positions: dict[str, int] = {}
        missing = []
        for column in columns:
            if column.header in headers:
                positions[column.key] = headers.index(column.header)
            elif column.required:
                missing.append(column.header)
        if missing:
            raise _reject(_("缺少必填列:%(cols)s") % {"cols": "、".join(missing)}, 1)
        for offset, row in enumerate(reader, start=2):
            if offset > max_rows + 1:
                raise _reject(_("表格超过 %(n)d 行数据,已拒绝:请分批导入") % {"n": max_rows}, offset)
            values = {
                key: INVISIBLE.sub("", row[pos]).strip() if pos < len(row) else ""
                for key, pos in positions.items()
            }
            if any(values.values()):
                yield offset, values
    except csv.Error as exc:
        raise _reject(_("CSV 文件格式错误:%(e)s") % {"e": str(exc)[:100]}) from None


def read_rows(data: bytes, source: SourceSpec) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """(encoding or "xlsx", rows) of the file; ImportRejected for a file that cannot be read at all."""
    if not data:
        raise _reject(_("文件为空"))
    max_bytes = settings.GRIDGOV_IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        raise _reject(_("文件过大(上限 %(mb)s MB)") % {"mb": megabytes(max_bytes)})
    kind, encoding = detect_format(data)
    columns = [Column(c.key, c.header, c.required) for c in source.columns]
    if kind == "xlsx":
        return "xlsx", list(read_sheet(io.BytesIO(data), columns))
    return ("gbk" if encoding == "gb18030" else encoding), list(_csv_rows(data, encoding, columns))


# --- validating ---------------------------------------------------------------------------------------
_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), None),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), None),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), None),
)
TRUE_WORDS = {"是", "y", "yes", "1", "true", "有"}
FALSE_WORDS = {"否", "n", "no", "0", "false", "无"}
SEX_WORDS = {"男": "M", "女": "F", "m": "M", "f": "F"}


def parse_date(text: str) -> dt.date:
    """2024-01-31, 2024/1/31 or 20240131 (an xlsx date cell arrives as the first)."""
    for pattern, _unused in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                value = dt.date(year, month, day)
            except ValueError:
                raise ValueError(_("日期不存在:%(v)s") % {"v": text}) from None
            if not 1900 <= value.year <= 2100:
                raise ValueError(_("日期超出合理范围:%(v)s") % {"v": text})
            return value
    raise ValueError(_("日期格式无法识别:%(v)s(应为 2024-01-31、2024/1/31 或 20240131)") % {"v": text[:30]})


class _AreaCodes:
    """Which of the file's area codes exist (active) at each level: one query per level and chunk."""

    def __init__(self) -> None:
        self.known: dict[int, set[str]] = {}

    def load(self, level: int, codes: set[str]) -> None:
        found: set[str] = set()
        codes_list = sorted(codes)
        for start in range(0, len(codes_list), 500):
            chunk = codes_list[start : start + 500]
            found.update(
                Area.objects.unscoped("does a code a department sent name an area of the city; paths only")
                .filter(level=level, is_active=True, path__in=chunk)
                .values_list("path", flat=True)
            )
        self.known[level] = found


AREA_KINDS = {Kind.COMMUNITY: Level.COMMUNITY, Kind.GRID: Level.GRID, Kind.UNIT: Level.UNIT}
AREA_LABELS = {
    Kind.COMMUNITY: gettext_lazy("社区"),
    Kind.GRID: gettext_lazy("网格"),
    Kind.UNIT: gettext_lazy("单元"),
}


def _clean(col: Col, text: str) -> Any:
    """The typed value of one cell (text already stripped); ValueError with the Chinese reason."""
    if col.kind == Kind.TEXT:
        if col.max_length and len(text) > col.max_length:
            raise ValueError(_("过长(最多%(n)d字)") % {"n": col.max_length})
        return text
    if col.kind == Kind.ID:
        try:
            return idcard.parse(text).number
        except idcard.IDCardError as exc:
            raise ValueError(str(exc)) from None
    if col.kind == Kind.DATE:
        return parse_date(text)
    if col.kind in (Kind.DECIMAL, Kind.INT):
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("应为数字:%(v)s") % {"v": text[:30]}) from None
        if not number.is_finite():
            raise ValueError(_("应为数字:%(v)s") % {"v": text[:30]})
        if col.kind == Kind.INT and number != number.to_integral_value():
            raise ValueError(_("应为整数:%(v)s") % {"v": text[:30]})
        if col.bounds and not col.bounds[0] <= number <= col.bounds[1]:
            raise ValueError(_("应在 %(a)s 到 %(b)s 之间") % {"a": col.bounds[0], "b": col.bounds[1]})
        return int(number) if col.kind == Kind.INT else number.quantize(Decimal("0.01"))
    if col.kind == Kind.BOOL:
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError(_("应填“是”或“否”"))
    if col.kind == Kind.SEX:
        if text.lower() in SEX_WORDS:
            return SEX_WORDS[text.lower()]
        raise ValueError(_("应填“男”或“女”"))
    if col.kind == Kind.CHOICE:
        for code, label in col.choices:
            if text in (code, label):
                return code
        raise ValueError(
            _("代码无效:%(v)s(可填:%(c)s)")
            % {"v": text[:30], "c": "、".join(label for _c, label in col.choices)}
        )
    if col.kind in AREA_KINDS:
        length = PATH_LENGTH[AREA_KINDS[col.kind]]
        code = text[:length] if len(text) == 12 and length < 12 else text
        if not code.isdigit() or len(code) != length:
            raise ValueError(_("应为%(n)d位数字的%(k)s代码") % {"n": length, "k": AREA_LABELS[col.kind]})
        return code
    raise AssertionError(col.kind)


def validate(source: SourceSpec, rows: list[tuple[int, dict[str, str]]]) -> tuple[list[dict], list[RowError]]:
    """Every row typed, or every error found (per row, per column; duplicate keys name the first line)."""
    errors: list[RowError] = []
    cleaned: list[dict] = []
    area_codes: dict[str, set[str]] = {k: set() for k in AREA_KINDS}
    seen: dict[tuple, int] = {}
    today = dt.date.today()
    for line, raw in rows:
        values: dict[str, Any] = {"line": line}
        row_errors: list[RowError] = []
        for col in source.columns:
            text = raw.get(col.key, "")
            if not text:
                if col.required:
                    row_errors.append(RowError(line, _("必填"), col.header))
                values[col.key] = None
                continue
            try:
                values[col.key] = _clean(col, text)
            except ValueError as exc:
                row_errors.append(RowError(line, str(exc), col.header))
                continue
            if col.kind in AREA_KINDS:
                area_codes[col.kind].add(values[col.key])
        if not row_errors:
            row_errors += _cross_checks(source, line, values, today)
        if not row_errors:
            key = tuple(values.get(k) for k in source.key)
            if all(k is not None for k in key):
                first = seen.setdefault(key, line)
                if first != line:
                    headers = "、".join(c.header for c in source.columns if c.key in source.key)
                    row_errors.append(
                        RowError(line, _("与第 %(n)d 行重复(%(k)s)") % {"n": first, "k": headers})
                    )
        errors += row_errors
        if not row_errors:
            cleaned.append(values)
    # Area codes are checked against the tree once per level (codes only, no rows are read).
    for kind, codes in area_codes.items():
        if not codes:
            continue
        known = _AreaCodes()
        known.load(AREA_KINDS[kind], codes)
        cols = [c for c in source.columns if c.kind == kind]
        for values in list(cleaned):
            bad = [
                c for c in cols if values.get(c.key) and values[c.key] not in known.known[AREA_KINDS[kind]]
            ]
            for col in bad:
                errors.append(
                    RowError(
                        values["line"],
                        _("%(k)s代码不存在:%(v)s") % {"k": AREA_LABELS[kind], "v": values[col.key]},
                        col.header,
                    )
                )
            if bad:
                cleaned.remove(values)
    errors.sort(key=lambda e: e.line)
    return cleaned, errors


def _cross_checks(source: SourceSpec, line: int, values: dict, today: dt.date) -> list[RowError]:
    errors = []
    cols = {c.key: c for c in source.columns}
    no_id = "id_number" in cols and not cols["id_number"].required and not values.get("id_number")
    if no_id and "birth_date" in cols and (values.get("birth_date") is None or values.get("sex") is None):
        errors.append(RowError(line, _("未填身份证号时须填出生日期和性别"), cols["id_number"].header))
    if values.get("start_date") and values.get("end_date") and values["end_date"] < values["start_date"]:
        errors.append(RowError(line, _("到期日期早于起租日期"), cols["end_date"].header))
    if values.get("death_date") and values["death_date"] > today:
        errors.append(RowError(line, _("死亡日期晚于今天"), cols["death_date"].header))
    return errors


# --- storing ------------------------------------------------------------------------------------------
def _city_path() -> str:
    city = (
        Area.objects.unscoped("the platform's city root: a batch belongs to the whole city")
        .filter(level=Level.CITY)
        .order_by("path")
        .values_list("path", flat=True)
        .first()
    )
    if city is None:
        raise ServiceError(_("尚未建立区域树,无法接收数据"))
    return city


def _check_push(actor: User | SystemActor, source_code: str, token: DepartmentToken | None) -> None:
    if token is not None:
        if token.department.code != spec(source_code).department:
            raise SourceForbidden(source_code)
        return
    if skips_checks(actor):
        return
    if not actor.has_perm("datahub.push_batch") or not access.may_use_source(actor, source_code):
        raise SourceForbidden(source_code)


def clean_batch_id(batch_id: str) -> str:
    batch_id = (batch_id or "").strip()
    if not BATCH_ID_RE.match(batch_id):
        raise ImportRejected(
            [RowError(0, _("批次号应为 1–64 位字母、数字或 . _ : -,且以字母或数字开头"), "batch_id")]
        )
    return batch_id


def receive_batch(
    actor: User | SystemActor,
    source_code: str,
    *,
    content: bytes,
    filename: str,
    batch_id: str = "",
    channel: str = Channel.UPLOAD,
    token: DepartmentToken | None = None,
) -> Received:
    """Validate and store one batch. Returns the batch (created, or the one this id already names with
    the same content); raises SourceForbidden (nothing stored), BatchConflict (409, nothing stored) or
    BatchRejected (the rejected batch and its report stored, no records)."""
    if source_code not in {s.code for s in _all_specs()}:
        raise SourceForbidden(source_code)
    _check_push(actor, source_code, token)
    source_spec = spec(source_code)
    sha = hashlib.sha256(content).hexdigest()
    batch_id = clean_batch_id(batch_id) if batch_id else f"{channel}-{sha[:16]}"
    filename = (filename or "batch").replace("/", "_").replace("\\", "_")[-200:]

    existing = _existing(source_code, batch_id, sha)
    if existing is not None:
        return Received(existing, created=False)

    errors: list[RowError] = []
    encoding, rows = "", []  # type: tuple[str, list[tuple[int, dict[str, str]]]]
    try:
        encoding, rows = read_rows(content, source_spec)
        records, errors = validate(source_spec, rows)
        error_count = len(errors)
    except ImportRejected as exc:
        errors, records, error_count = list(exc.errors), [], exc.error_count
    if not rows and not errors:
        errors, error_count = [RowError(0, _("文件中没有数据行"))], 1

    with transaction.atomic():
        source = Source.objects.select_for_update().get(code=source_code)
        existing = _existing(source_code, batch_id, sha)  # a concurrent push of the same id
        if existing is not None:
            return Received(existing, created=False)
        batch = Batch(
            source=source,
            batch_id=batch_id,
            sha256=sha,
            channel=channel,
            uploaded_by=as_user(actor) if token is None else None,
            token=token,
            uploaded_label=(str(token) if token is not None else str(actor))[:150],
            filename=filename,
            size=len(content),
            encoding=encoding,
            row_count=len(rows),
            area_path=_city_path(),
        )
        if errors:
            listed, omitted = bound_errors(errors)
            batch.status = BatchStatus.REJECTED
            batch.error_count = error_count
            batch.omitted_rows = omitted
            batch.file.save(filename, ContentFile(content), save=False)
            batch.save()
            BatchError.objects.bulk_create(
                BatchError(
                    batch=batch, line=e.line, field=str(e.field)[:50], reason=str(e.reason)[:200], seq=i
                )
                for i, e in enumerate(listed)
            )
            audit.record(actor, "datahub.batch_rejected", batch, after=_batch_summary(batch))
        else:
            last = Batch.objects.unscoped("the source's last version number").filter(source=source)
            batch.status = BatchStatus.ACCEPTED
            batch.version = (last.aggregate(v=Max("version"))["v"] or 0) + 1
            batch.file.save(filename, ContentFile(content), save=False)
            batch.save()
            _store_records(source_spec, batch, records)
            source.current_batch = batch
            source.save(update_fields=["current_batch"])
            audit.record(actor, "datahub.batch_accepted", batch, after=_batch_summary(batch))
        if token is not None:
            DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    if errors:
        raise BatchRejected(errors, batch=batch)
    return Received(batch, created=True)


def _all_specs():
    from ..sources import SOURCES

    return SOURCES


def _existing(source_code: str, batch_id: str, sha: str) -> Batch | None:
    existing = (
        Batch.objects.unscoped("is this batch id of the source taken; the caller may push the source")
        .filter(source__code=source_code, batch_id=batch_id)
        .select_related("source")
        .first()
    )
    if existing is None:
        return None
    if existing.sha256 != sha:
        raise BatchConflict(
            _("批次号“%(b)s”已用于内容不同的另一批数据(%(t)s 提交),未作任何处理;请使用新的批次号")
            % {"b": batch_id, "t": timezone.localtime(existing.created_at).strftime("%Y-%m-%d %H:%M")},
            existing,
        )
    return existing


def _batch_summary(batch: Batch) -> dict:
    return {
        "source": batch.source.code,
        "batch_id": batch.batch_id,
        "sha256": batch.sha256,
        "version": batch.version,
        "status": batch.status,
        "channel": batch.channel,
        "rows": batch.row_count,
        "errors": batch.error_count,
        "filename": batch.filename,
    }


def _store_records(source_spec: SourceSpec, batch: Batch, rows: list[dict]) -> None:
    model = source_spec.model
    fields = {f.name for f in model._meta.concrete_fields}
    objs = []
    for values in rows:
        obj = model(batch=batch, line=values["line"], area_path=batch.area_path)
        for key, value in values.items():
            if key in ("line", "id_number"):
                continue
            if key in fields and value is not None:
                setattr(obj, key, value)
        number = values.get("id_number")
        if number:
            obj.set_id_number(number)  # birth date and sex from the number, over what the file said
        objs.append(obj)
    model.objects.bulk_create(objs, batch_size=2000)


# --- tokens -------------------------------------------------------------------------------------------
TOKEN_PREFIX = "dh_"  # noqa: S105 - the marker of a department token, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_token(
    actor: User | SystemActor, department: Department, *, label: str
) -> tuple[DepartmentToken, str]:
    """A new push token for the department; the token is returned once and only its hash is kept."""
    if not skips_checks(actor) and not actor.has_perm("datahub.add_departmenttoken"):
        raise PermissionError("datahub.add_departmenttoken")
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise ServiceError(_("请填写令牌用途(最多100字)"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DepartmentToken.objects.create(
        department=department,
        label=label,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_by=as_user(actor),
    )
    audit.record(
        actor,
        "datahub.issue_token",
        token,
        after={"department": department.code, "label": label, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def revoke_token(actor: User | SystemActor, token: DepartmentToken) -> DepartmentToken:
    if not skips_checks(actor) and not actor.has_perm("datahub.add_departmenttoken"):
        raise PermissionError("datahub.add_departmenttoken")
    token = DepartmentToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "datahub.revoke_token", token, after={"prefix": token.prefix})
    return token


def token_from_header(header: str) -> DepartmentToken | None:
    """The live token named by an `Authorization: Bearer <token>` (or `Token <token>`) header."""
    scheme, _sep, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() not in ("bearer", "token") or not value.startswith(TOKEN_PREFIX) or len(value) > 100:
        return None
    return (
        DepartmentToken.objects.select_related("department")
        .filter(token_hash=hash_token(value), revoked_at__isnull=True)
        .first()
    )
