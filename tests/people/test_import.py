"""xlsx import (all or nothing, every bad row reported in Chinese) and export (sync and as a job)."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.areas import services as area_services
from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent, Job, JobStatus
from gridgov.people.models import Household, Resident

from ..factories import make_chain
from ..helpers import HEADERS, read_xlsx, resident_row, upload, xlsx_bytes

SYSTEM = SystemActor("tests.people")  # the actor of set-up steps: reaches every area, audited as such

CHINESE = re.compile(r"[\u4e00-\u9fff]")
IMPORTER = "community_worker"  # may import; scope: 东一社区 (grids A and B)


def new_id(n: int, birth: dt.date = dt.date(1980, 1, 1)) -> str:
    return idcard.build("130102", birth, n)


def _counts():
    return (
        Resident.objects.unscoped("test").count(),
        Household.objects.unscoped("test").count(),
        AuditEvent.objects.filter(action__in=["people.import_resident", "people.create_household"]).count(),
    )


def post_import(client, content: bytes, name: str = "residents.xlsx"):
    return client.post(reverse("resident-import-xlsx"), {"file": upload(content, name)}, format="multipart")


# --- a good file --------------------------------------------------------------------------------------
def test_good_file_imports_residents_households_and_audit_rows(city, users, api_for, tags):
    unit_a, unit_b = city.unit_a, city.units[1]
    rows = [
        resident_row("赵一", new_id(1), unit_a.code, "301", phone="13912345678", tags="党员、残疾人"),
        resident_row("赵二", new_id(2), unit_a.code, "301", relation="配偶"),
        resident_row("钱三", new_id(3), unit_b.code, "401", relation="户主", tags="低保对象"),
        resident_row("孙四", new_id(4), unit_a.code, "101", relation="子女"),  # the existing household
    ]
    response = post_import(api_for(IMPORTER), xlsx_bytes(rows))
    assert response.status_code == 201, response.content
    assert response.json() == {"residents": 4, "households": 2}

    imported = {
        r.name: r for r in Resident.objects.unscoped("test").filter(name__in=["赵一", "赵二", "钱三", "孙四"])
    }
    assert set(imported) == {"赵一", "赵二", "钱三", "孙四"}
    assert imported["赵一"].reveal_id_number() == new_id(1)
    assert imported["赵一"].reveal_phone() == "13912345678"
    assert imported["赵一"].household_id == imported["赵二"].household_id
    assert imported["赵二"].relation == "spouse"
    assert imported["赵一"].area_path == unit_a.path
    assert imported["钱三"].area_path == unit_b.path
    assert imported["孙四"].household_id == city.household_a.pk
    assert sorted(t.code for t in imported["赵一"].tags.all()) == ["disabled", "party_member"]
    assert imported["赵一"].birth_date == dt.date(1980, 1, 1)

    actor = users[IMPORTER]
    assert AuditEvent.objects.filter(action="people.import_resident", actor=actor).count() == 4
    assert AuditEvent.objects.filter(action="people.create_household", actor=actor).count() == 2
    event = AuditEvent.objects.get(action="people.import_resident", object_id=str(imported["钱三"].pk))
    assert event.area_path == unit_b.path
    assert event.source == "api"


def test_export_round_trips_the_imported_rows(city, api_for):
    rows = [
        resident_row("周一", new_id(11), city.unit_a.code, "501", phone="13700000001", tags="党员"),
        resident_row("周二", new_id(12), city.unit_a.code, "501", relation="子女"),
    ]
    assert post_import(api_for("community_secretary"), xlsx_bytes(rows)).status_code == 201

    response = api_for("community_secretary").get(
        reverse("resident-export-xlsx"), {"unmasked": "1", "q": "zhou"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    exported = read_xlsx(response.content)
    as_imported = [{h: ("" if r[h] is None else str(r[h])) for h in HEADERS} for r in exported]
    assert as_imported == rows
    event = AuditEvent.objects.get(action="people.export")
    assert event.after["unmasked"] is True
    assert event.after["rows"] == 2

    # The export is a valid import file: re-importing it fails only because the numbers are registered.
    again = post_import(api_for("community_secretary"), response.content)
    assert again.status_code == 400
    assert [(e["line"], e["reason"]) for e in again.json()["errors"]] == [
        (2, "该身份证号已登记"),
        (3, "该身份证号已登记"),
    ]


def test_export_only_contains_the_users_scope(city, api_for):
    exported = read_xlsx(api_for("community_worker").get(reverse("resident-export-xlsx")).content)
    assert {r["姓名"] for r in exported} == {r.name for r in city.residents[:4]}


# --- bad files ----------------------------------------------------------------------------------------
def _bad_cases(city, users):
    outside = city.unit_outside(users[IMPORTER])  # grid in the other community
    registered = city.id_numbers[city.residents[5].pk]  # someone in another grid of the city
    bad_check = new_id(21)[:17] + ("0" if new_id(21)[-1] != "0" else "1")
    bad_date = "130102" + "19800230" + "123"
    bad_date += idcard.check_digit(bad_date)
    ok = city.unit_a.code
    return {
        "bad checksum": (
            [resident_row("甲", bad_check, ok)],
            [(2, "身份证号", f"身份证号校验位错误(应为{new_id(21)[-1]})")],
        ),
        "bad date": ([resident_row("甲", bad_date, ok)], [(2, "身份证号", "身份证号中的出生日期无效")]),
        "unknown unit": (
            [resident_row("甲", new_id(22), "99999999999999999999")],
            [(2, "单元编码", "单元编码“99999999999999999999”不存在或不在您的管辖范围内")],
        ),
        "out-of-scope unit": (
            [resident_row("甲", new_id(23), outside.code)],
            [(2, "单元编码", f"单元编码“{outside.code}”不存在或不在您的管辖范围内")],
        ),
        "duplicate in file": (
            [resident_row("甲", new_id(24), ok), resident_row("乙", new_id(24), ok, relation="配偶")],
            [(3, "身份证号", "身份证号与第2行重复")],
        ),
        "already registered": ([resident_row("甲", registered, ok)], [(2, "身份证号", "该身份证号已登记")]),
        "unknown tag": (
            [resident_row("甲", new_id(25), ok, tags="党员、火星人")],
            [(2, "标签", "未知标签“火星人”")],
        ),
        "unknown relation": (
            [resident_row("甲", new_id(26), ok, relation="邻居")],
            [(2, "与户主关系", "与户主关系“邻居”无效")],
        ),
        "bad name and phone": (
            [resident_row("", new_id(27), ok, phone="12345")],
            [(2, "姓名", "姓名不能为空"), (2, "手机号", "手机号格式不正确:*****")],
        ),
    }


BAD_CASES = [
    "bad checksum",
    "bad date",
    "unknown unit",
    "out-of-scope unit",
    "duplicate in file",
    "already registered",
    "unknown tag",
    "unknown relation",
    "bad name and phone",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_row_imports_nothing_and_is_reported(case, city, users, api_for):
    rows, expected = _bad_cases(city, users)[case]
    # A good row first: it must not be imported either.
    rows = [resident_row("好人", new_id(99), city.unit_a.code, "808"), *[{**r} for r in rows]]
    expected = [
        (line + 1, field, re.sub(r"第(\d+)行", lambda m: f"第{int(m[1]) + 1}行", reason))
        for line, field, reason in expected
    ]
    before = _counts()
    response = post_import(api_for(IMPORTER), xlsx_bytes(rows))
    assert response.status_code == 400
    body = response.json()
    assert [(e["line"], e["field"], e["reason"]) for e in body["errors"]] == expected
    assert CHINESE.search(body["detail"])
    assert _counts() == before


def test_out_of_scope_unit_gets_the_same_message_as_an_unknown_one(city, users, api_for):
    outside = city.unit_outside(users[IMPORTER])
    unknown = outside.code[:-2] + "99"
    rows = [resident_row("甲", new_id(31), outside.code), resident_row("乙", new_id(32), unknown)]
    errors = post_import(api_for(IMPORTER), xlsx_bytes(rows)).json()["errors"]
    assert [e["reason"].replace(outside.code, "<c>").replace(unknown, "<c>") for e in errors] == [
        "单元编码“<c>”不存在或不在您的管辖范围内"
    ] * 2


def test_several_bad_rows_are_all_listed(city, users, api_for):
    outside = city.unit_outside(users[IMPORTER])
    ok = city.unit_a.code
    rows = [
        resident_row("好人", new_id(41), ok),
        resident_row("甲", new_id(42)[:17] + ("1" if new_id(42)[-1] == "0" else "0"), ok),
        resident_row("乙", new_id(43), outside.code),
        resident_row("好人二", new_id(44), ok, relation="配偶"),
        resident_row("丙", new_id(41), ok, relation="子女"),
        resident_row("丁", new_id(45), ok, tags="外星人"),
        resident_row("戊", new_id(46), "123"),
    ]
    before = _counts()
    response = post_import(api_for(IMPORTER), xlsx_bytes(rows))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["line"] for e in errors] == [3, 4, 6, 7, 8]
    assert all(CHINESE.search(e["reason"]) for e in errors)
    assert "共 5 处错误" in response.json()["detail"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        ([h for h in HEADERS if h != "身份证号"], "身份证号"),
        ([h for h in HEADERS if h not in ("姓名", "户号")], "姓名、户号"),
    ],
)
def test_missing_required_column(headers, missing, city, api_for):
    rows = [resident_row("甲", new_id(51), city.unit_a.code)]
    before = _counts()
    response = post_import(api_for(IMPORTER), xlsx_bytes(rows, headers=headers))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 1, "field": "", "reason": f"缺少必填列:{missing}"}]
    assert _counts() == before


def test_optional_columns_may_be_left_out(city, api_for):
    headers = ["姓名", "身份证号", "单元编码", "户号"]
    response = post_import(
        api_for(IMPORTER), xlsx_bytes([resident_row("甲", new_id(52), city.unit_a.code)], headers)
    )
    assert response.status_code == 201
    assert Resident.objects.unscoped("test").get(name="甲").relation == "head"


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (os.urandom(2048), 0, "文件不是有效的 Excel(.xlsx)表格"),
        (b"PK\x03\x04" + os.urandom(500), 0, "文件不是有效的 Excel(.xlsx)表格"),
        (
            "姓名,身份证号\n张三,11010519491231002X\n".encode(),
            0,
            "这是文本(CSV)文件,不是 Excel(.xlsx)表格:请在 Excel 或 WPS 中打开后“另存为”.xlsx",
        ),
        (b"", 0, "文件为空"),
    ],
    ids=["random bytes", "zip magic", "csv", "zero bytes"],
)
def test_not_an_xlsx(content, line, reason, city, api_for):
    before = _counts()
    response = post_import(api_for(IMPORTER), content)
    assert response.status_code == 400
    assert [(e["line"], e["reason"]) for e in response.json()["errors"]] == [(line, reason)]
    assert _counts() == before


def test_empty_workbooks(city, api_for):
    before = _counts()
    no_header = post_import(api_for(IMPORTER), xlsx_bytes([], headers=[]))
    assert no_header.status_code == 400
    assert [(e["line"], e["reason"]) for e in no_header.json()["errors"]] == [(1, "表格没有表头行")]
    header_only = post_import(api_for(IMPORTER), xlsx_bytes([]))
    assert header_only.status_code == 400
    assert [(e["line"], e["reason"]) for e in header_only.json()["errors"]] == [(2, "表格中没有数据行")]
    assert _counts() == before


def test_too_large_file_is_refused(city, api_for, settings):
    settings.GRIDGOV_IMPORT_MAX_BYTES = 1024
    content = xlsx_bytes([resident_row("甲", new_id(53), city.unit_a.code)])
    assert len(content) > 1024
    response = post_import(api_for(IMPORTER), content)
    assert response.status_code == 400
    assert "文件过大" in response.json()["errors"][0]["reason"]


def test_missing_file_field(city, api_for):
    response = api_for(IMPORTER).post(reverse("resident-import-xlsx"), {}, format="multipart")
    assert response.status_code == 400
    assert CHINESE.search(response.json()["detail"])


def test_import_into_a_retired_unit_is_refused(city, api_for):
    chain = make_chain(city.grid_a, prefix="退")
    area_services.retire_area(SYSTEM, chain[-1], reason="拆除")
    rows = [resident_row("甲", new_id(54), chain[-1].code)]
    response = post_import(api_for(IMPORTER), xlsx_bytes(rows))
    assert response.status_code == 400
    assert "不存在或不在您的管辖范围内" in response.json()["errors"][0]["reason"]


# --- the import page ----------------------------------------------------------------------------------
def test_import_page_shows_the_error_table(city, client_for):
    client = client_for(IMPORTER)
    assert client.get(reverse("people:import")).status_code == 200
    rows = [
        resident_row("甲", new_id(61), "99999999999999999999"),
        resident_row("乙", new_id(62), city.unit_a.code, relation="邻居"),
    ]
    before = _counts()
    response = client.post(reverse("people:import"), {"file": upload(xlsx_bytes(rows))})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html
    table = html[html.index('data-testid="import-errors"') :]
    assert re.search(
        r'<td class="num">2</td><td>单元编码</td><td>单元编码“99999999999999999999”不存在', table
    )
    assert re.search(r'<td class="num">3</td><td>与户主关系</td><td>与户主关系“邻居”无效</td>', table)
    assert "2 处错误" in html
    assert _counts() == before


def test_import_page_success_redirects_with_message(city, client_for):
    client = client_for(IMPORTER)
    rows = [resident_row("甲", new_id(63), city.unit_a.code)]
    response = client.post(reverse("people:import"), {"file": upload(xlsx_bytes(rows))}, follow=True)
    assert response.status_code == 200
    assert "导入成功:新增居民 1 人,新建户 1 户" in response.content.decode()
    assert AuditEvent.objects.filter(action="people.import_resident").count() == 1
    assert AuditEvent.objects.get(action="people.import_resident").source == "web"


def test_import_page_denied_to_grid_workers(city, client_for):
    assert client_for("grid_worker").get(reverse("people:import")).status_code == 403


def test_import_template_has_the_headers(city, client_for):
    response = client_for("grid_worker").get(reverse("people:import_template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS


# --- exports as background jobs -----------------------------------------------------------------------
def test_large_export_becomes_a_job_that_completes(
    city, users, api_for, settings, django_capture_on_commit_callbacks
):
    settings.GRIDGOV_SYNC_EXPORT_LIMIT = 2
    client = api_for("community_secretary")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(reverse("resident-export-xlsx"), {"unmasked": "1"})
    assert response.status_code == 202
    assert len(callbacks) == 1
    job = Job.objects.get(pk=response.json()["job"])
    assert response.json()["url"] == f"/api/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE
    assert job.total == job.done == 4
    assert job.finished_at is not None
    assert job.result_file and os.path.exists(job.result_file.path)
    assert str(job.result_file.path).startswith(str(settings.MEDIA_ROOT))
    rows = read_xlsx(job.result_file.read())
    assert {r["身份证号"] for r in rows} == {city.id_numbers[r.pk] for r in city.residents[:4]}

    body = client.get(reverse("job-detail", args=[job.pk])).json()
    assert body["status"] == "done"
    assert body["percent"] == 100
    assert body["download"] == f"/jobs/{job.pk}/download/"
    actions = list(
        AuditEvent.objects.filter(actor=users["community_secretary"]).values_list("action", flat=True)
    )
    assert sorted(actions) == ["people.export", "people.export_requested"]
    assert AuditEvent.objects.get(action="people.export").source == "task"


def test_job_download_page(city, users, client_for, settings, django_capture_on_commit_callbacks):
    settings.GRIDGOV_SYNC_EXPORT_LIMIT = 1
    client = client_for("community_worker")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("people:export"))
    assert response.status_code == 302
    job = Job.objects.get(owner=users["community_worker"])
    assert response["Location"] == reverse("web:job", args=[job.pk])
    assert client.get(response["Location"]).status_code == 200
    download = client.get(reverse("web:job_download", args=[job.pk]))
    assert download.status_code == 200
    rows = read_xlsx(b"".join(download.streaming_content))
    assert len(rows) == 4
    assert all("*" in r["身份证号"] for r in rows)  # community workers may not unmask
    other = client_for("street")
    assert other.get(reverse("web:job_download", args=[job.pk])).status_code == 404


def test_export_audit_rows_carry_the_exported_area(city, users, api_for):
    api_for("street").get(reverse("resident-export-xlsx"), {"unmasked": "1"})
    event = AuditEvent.objects.get(action="people.export")
    assert event.actor == users["street"]
    assert event.after == {"rows": 8, "unmasked": True, "filters": {}}


def test_exports_appear_on_the_audit_page_of_the_city_administrator(city, api_for, client_for):
    api_for("street").get(reverse("resident-export-xlsx"), {"unmasked": "1"})
    page = client_for("city_admin").get(reverse("web:audit"), {"action": "people.export"})
    assert len(page.context["page"]) == 1
