"""Hypothesis on the xlsx reader and writer: any cell values give rows or an ImportRejected, never an
unhandled exception; every error is attached to a row; whatever is written reads back as written."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import IllegalCharacterError

from gridgov.core.services import ImportRejected
from gridgov.core.xlsx import INVISIBLE, Column, read_sheet, write_sheet

COLUMNS = [Column("name", "姓名", required=True), Column("id_number", "身份证号"), Column("note", "备注")]
HEADERS = [c.header for c in COLUMNS]

# What openpyxl can hold in a cell: text (control characters included: openpyxl refuses some),
# numbers of every size, dates, booleans and empty cells.
cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["=1+1", "+86 139", "-", "@", "\t", "\ufeff姓名", "1e308", "NaN", "张三"]),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
)
rows = st.lists(st.lists(cell_values, max_size=5), max_size=8)
headers = st.one_of(
    st.just(HEADERS), st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=5)), max_size=5)
)


def workbook_bytes(header: list, body: list[list]) -> bytes | None:
    workbook = Workbook()
    sheet = workbook.active
    try:
        sheet.append(header)
        for row in body:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
    except (
        ValueError,
        TypeError,
        IllegalCharacterError,
    ):  # a value openpyxl itself refuses to write: not a file anyone sends
        return None
    return out.getvalue()


@given(header=headers, body=rows)
def test_reader_gives_rows_or_a_rejection_with_lines(header, body):
    content = workbook_bytes(header, body)
    if content is None:
        return
    try:
        read = list(read_sheet(io.BytesIO(content), COLUMNS))
    except ImportRejected as exc:
        assert exc.errors
        assert all(isinstance(e.line, int) and e.line >= 0 and str(e.reason) for e in exc.errors)
        return
    for line, values in read:
        assert 2 <= line <= len(body) + 1
        assert set(values) <= {c.key for c in COLUMNS}
        assert all(isinstance(v, str) for v in values.values()) and any(values.values())


@given(content=st.binary(max_size=2000))
def test_reader_refuses_arbitrary_bytes_cleanly(content):
    try:
        list(read_sheet(io.BytesIO(content), COLUMNS))
    except ImportRejected as exc:
        assert [e.line for e in exc.errors] == [0]


@given(
    body=st.lists(
        st.fixed_dictionaries(
            {"name": st.text(max_size=30), "id_number": st.text(max_size=20), "note": cell_values}
        ),
        max_size=6,
    )
)
def test_what_is_written_reads_back_as_text_never_as_a_formula(body):
    content = write_sheet("表", COLUMNS, body)
    try:
        read = dict(read_sheet(io.BytesIO(content), COLUMNS))
    except ImportRejected:
        return  # a sheet whose every row is blank has no rows: fine
    for line, values in read.items():
        written = ILLEGAL_CHARACTERS_RE.sub("", body[line - 2]["name"])
        # The reader strips spaces and invisible marks; XML reads CR LF and a bare CR as LF.
        expected = INVISIBLE.sub("", written.replace("\r\n", "\n").replace("\r", "\n")).strip()
        assert values.get("name", "") == expected
