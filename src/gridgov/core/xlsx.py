"""xlsx in and out with Chinese headers (what staff open), tolerant of how Excel stores cells and
hostile to files built to hurt (docs/hardening.md).

Out: every text cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) is
written as a text cell with Excel's quote prefix — the cell shows exactly what was typed and stays text
even when someone edits it; numbers stay numbers. `neutralise_formulas` does the same to a finished
workbook (xlsx_response runs it on every download), for a sheet written without `write_sheet`.

In: the file must be a real xlsx (an image, a CSV or an old .xls renamed is named as such), its zip may
not declare more members or more uncompressed bytes than the settings allow, and at most
GRIDGOV_IMPORT_MAX_ROWS rows and GRIDGOV_IMPORT_MAX_COLUMNS columns are read. Any refusal is an
ImportRejected (a 4xx with a Chinese reason), never a 500.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from .services import ImportRejected, RowError

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A text cell starting with one of these is a formula (or DDE) to Excel, WPS and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses to open a cell longer than this.
MAX_CELL_CHARS = 32767
# Invisible characters a CSV-to-Excel round trip or a copy from a web page leaves in a cell.
INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese header as shown in the sheet
    required: bool = False


def megabytes(limit: int) -> str:
    """A byte limit as people read it: "20", "2.5", "0.05"."""
    return f"{limit / 2**20:.2f}".rstrip("0").rstrip(".")


# --- out -------------------------------------------------------------------------------------------------
def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _clean_text(value: str) -> str:
    # Control characters are not allowed in the sheet's XML (openpyxl would raise and the export 500).
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_CHARS]


def safe_cell(sheet, value: Any, *, bold: bool = False) -> Any:
    """A cell for `sheet.append`: text that looks like a formula becomes an explicit text cell with the
    quote prefix (the visible value is exactly `value`); anything else is written as it is."""
    if isinstance(value, str):
        value = _clean_text(value)
    if not (bold or is_formula_like(value)):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_sheet(title: str, columns: list[Column], rows: Iterable[dict[str, Any]]) -> bytes:
    return write_book([(title, columns, rows)])


def write_book(sheets: Iterable[tuple[str, list, Iterable[dict[str, Any]]]]) -> bytes:
    """Several sheets in one workbook, each (title, columns, rows); columns need `key` and `header`."""
    workbook = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(str(title)))
        sheet.append([safe_cell(sheet, str(column.header), bold=True) for column in columns])
        for row in rows:
            sheet.append([safe_cell(sheet, row.get(column.key, "")) for column in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    # Excel forbids these in a sheet name (openpyxl raises); a hostile name must not fail the export.
    return re.sub(r"[\\/*?:\[\]]", "_", _clean_text(title))[:31] or "Sheet"


_FORMULA_CELL = re.compile(rb"<c ([^>]*?)>\s*<f>(.*?)</f>\s*(?:<v\s*/>|<v>.*?</v>)?\s*</c>", re.S)
_TYPE_ATTR = re.compile(rb'\s+t="[^"]*"')


def _as_text_cell(match: re.Match) -> bytes:
    attrs = _TYPE_ATTR.sub(b"", match.group(1))
    return b'<c %s t="inlineStr"><is><t xml:space="preserve">=%s</t></is></c>' % (attrs, match.group(2))


def neutralise_formulas(content: bytes) -> bytes:
    """The workbook with every formula cell turned into the text it was written from (`=1+1` shows as
    `=1+1`). A workbook without formulas (everything `write_sheet` writes) comes back unchanged."""
    try:
        source = zipfile.ZipFile(io.BytesIO(content))
        parts = {
            info.filename: source.read(info)
            for info in source.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        }
    except (zipfile.BadZipFile, OSError, zlib.error):
        return content
    changed = {name: _FORMULA_CELL.sub(_as_text_cell, xml) for name, xml in parts.items() if b"<f>" in xml}
    if not changed:
        return content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, changed.get(info.filename) or source.read(info))
    return out.getvalue()


# --- in --------------------------------------------------------------------------------------------------
def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return INVISIBLE.sub("", str(value)).strip()


def _reject(reason: str, line: int = 0) -> ImportRejected:
    return ImportRejected([RowError(line, reason)])


def _not_xlsx_reason(data: bytes) -> str:
    """Why `data` is not an xlsx, naming what it looks like (the usual mistakes first)."""
    head = data[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("这是旧版 Excel(.xls)文件:请在 Excel 中“另存为”.xlsx 后再上传")
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head[:6] in (b"GIF87a", b"GIF89a"):
        return _("这是图片文件,不是 Excel(.xlsx)表格")
    if head.startswith(b"%PDF"):
        return _("这是 PDF 文件,不是 Excel(.xlsx)表格")
    if text_encoding(data[:4096]) is not None:
        return _("这是文本(CSV)文件,不是 Excel(.xlsx)表格:请在 Excel 或 WPS 中打开后“另存为”.xlsx")
    return _("文件不是有效的 Excel(.xlsx)表格")


def text_encoding(sample: bytes) -> str | None:
    """The encoding a text file (CSV) was saved in — UTF-8 with or without a BOM, UTF-16 with a BOM,
    or GBK/GB18030 as Chinese Excel saves it — or None if the bytes are not text."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in sample:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # A sample may end inside a multi-byte character: drop up to three trailing bytes.
            for cut in range(4):
                try:
                    text = sample[: len(sample) - cut].decode(encoding)
                    break
                except UnicodeDecodeError:
                    if cut == 3:
                        raise
            if not any(ch < " " and ch not in "\t\r\n" for ch in text):
                return encoding
        except UnicodeDecodeError:
            continue
    return None


def check_zip(data: bytes) -> None:
    """Refuse a file that is not a zip, or a zip bomb: too many members, or more declared uncompressed
    bytes than GRIDGOV_XLSX_MAX_UNCOMPRESSED_BYTES (zipfile never inflates past a member's declared size)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _reject(_not_xlsx_reason(data)) from None
    max_members = settings.GRIDGOV_XLSX_MAX_MEMBERS
    if len(infos) > max_members:
        raise _reject(_("文件结构异常(压缩包内超过 %(n)d 个部件),已拒绝") % {"n": max_members})
    limit = settings.GRIDGOV_XLSX_MAX_UNCOMPRESSED_BYTES
    if sum(info.file_size for info in infos) > limit:
        raise _reject(
            _("文件解压后超过 %(mb)s MB,已拒绝:请删除无关内容或分批导入") % {"mb": megabytes(limit)}
        )
    if not any(info.filename == "xl/workbook.xml" for info in infos):
        raise _reject(_("文件不是有效的 Excel(.xlsx)表格"))


def read_sheet(upload: IO[bytes], columns: list[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (sheet line number, {key: text}) for each non-empty row; raise ImportRejected for a bad file."""
    max_bytes = settings.GRIDGOV_IMPORT_MAX_BYTES
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _reject(_("文件过大(上限 %(mb)s MB)") % {"mb": megabytes(max_bytes)})
    if not data:
        raise _reject(_("文件为空"))
    check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError) as exc:
        raise _reject(_("文件不是有效的 Excel(.xlsx)表格")) from exc
    except (OSError, EOFError, zlib.error, ParseError, AttributeError) as exc:
        raise _reject(_("文件已损坏,无法读取")) from exc
    try:
        yield from _rows(sheet, columns)
    except ImportRejected:
        raise
    except (KeyError, ValueError, TypeError, IndexError, OSError, EOFError, zlib.error, ParseError) as exc:
        # openpyxl parses lazily: a damaged sheet (or an XML entity bomb) fails here, mid-iteration.
        raise _reject(_("文件已损坏,无法读取")) from exc
    finally:
        workbook.close()


def _rows(sheet, columns: list[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    max_rows = settings.GRIDGOV_IMPORT_MAX_ROWS
    max_cols = settings.GRIDGOV_IMPORT_MAX_COLUMNS
    rows = sheet.iter_rows(values_only=True, max_col=max_cols)
    header_row = next(rows, None)
    if header_row is None:
        raise _reject(_("表格没有表头行"), 1)
    headers = [_cell_text(h) for h in header_row]
    positions: dict[str, int] = {}
    missing = []
    for column in columns:
        if column.header in headers:
            positions[column.key] = headers.index(column.header)
        elif column.required:
            missing.append(column.header)
    if missing:
        raise _reject(_("缺少必填列:%(cols)s") % {"cols": "、".join(missing)}, 1)
    for offset, row in enumerate(rows, start=2):
        if offset > max_rows + 1:
            # Blank rows past the limit are tolerated (Excel keeps formatted empty rows), up to a bound.
            if offset > 2 * max_rows + 1 or any(cell not in (None, "") for cell in row):
                raise _reject(_("表格超过 %(n)d 行数据,已拒绝:请分批导入") % {"n": max_rows}, offset)
            continue
        values = {key: _cell_text(row[pos]) if pos < len(row) else "" for key, pos in positions.items()}
        if any(values.values()):
            yield offset, values
