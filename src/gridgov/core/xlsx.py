"""xlsx in and out with Chinese headers (what staff open), tolerant of how Excel stores cells."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from .services import ImportRejected, RowError


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese header as shown in the sheet
    required: bool = False


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(upload: IO[bytes], columns: list[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (sheet line number, {key: text}) for each non-empty row; raise ImportRejected for a bad file."""
    data = upload.read()
    if len(data) > settings.GRIDGOV_IMPORT_MAX_BYTES:
        raise ImportRejected(
            [RowError(0, _("文件过大(上限 %(mb)d MB)") % {"mb": settings.GRIDGOV_IMPORT_MAX_BYTES // 2**20})]
        )
    if not data:
        raise ImportRejected([RowError(0, _("文件为空"))])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportRejected([RowError(0, _("文件不是有效的 Excel(.xlsx)表格"))]) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None:
        raise ImportRejected([RowError(1, _("表格没有表头行"))])
    headers = [_cell_text(h) for h in header_row]
    positions: dict[str, int] = {}
    missing = []
    for column in columns:
        if column.header in headers:
            positions[column.key] = headers.index(column.header)
        elif column.required:
            missing.append(column.header)
    if missing:
        raise ImportRejected([RowError(1, _("缺少必填列:%(cols)s") % {"cols": "、".join(missing)})])
    for offset, row in enumerate(rows, start=2):
        values = {key: _cell_text(row[pos]) if pos < len(row) else "" for key, pos in positions.items()}
        if any(values.values()):
            yield offset, values
    workbook.close()


def write_sheet(title: str, columns: list[Column], rows: Iterable[dict[str, Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([row.get(column.key, "") for column in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
