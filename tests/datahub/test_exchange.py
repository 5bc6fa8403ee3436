"""Receiving batches: formats and encodings, validation (headers, checksums, dates, codes, duplicate keys),
atomicity, idempotent batch ids, who may push what, the inbox folder."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.accounts.roles import Role
from gridgov.core import pii
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.datahub import services
from gridgov.datahub.models import Batch, BatchError, BatchStatus, CaDeath, CaSubsistence, Department, Source
from gridgov.datahub.services.exchange import parse_date
from gridgov.datahub.sources import DEPARTMENT_NAMES, SOURCES
from gridgov.people.models import ID_PURPOSE

from .exchange_helpers import bad_checksum, csv_bytes, death_rows, department_user, id_number, xlsx_bytes

SYSTEM = SystemActor("tests.datahub")
pytestmark = pytest.mark.django_db


def deaths(city, n=3):
    return [(f"王{i}", id_number(i)) for i in range(n)]


def test_migration_seeds_the_sources_of_the_reference_module():
    assert {s.code: (s.name, s.department.code) for s in Source.objects.select_related("department")} == {
        s.code: (s.name, str(s.department)) for s in SOURCES
    }
    assert dict(Department.objects.values_list("code", "name")) == DEPARTMENT_NAMES


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_is_read_without_garbling(city, encoding):
    headers, rows = death_rows(city, [("张伟", id_number(1)), ("欧阳娜", id_number(2))])
    received = services.receive_batch(
        SYSTEM, "ca_death", content=csv_bytes(headers, rows, encoding), filename="d.csv", batch_id="b1"
    )
    batch = received.batch
    assert received.created and batch.status == BatchStatus.ACCEPTED and batch.version == 1
    assert batch.encoding == {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "gbk": "gbk"}[encoding]
    stored = list(CaDeath.objects.unscoped("test").filter(batch=batch).order_by("line"))
    assert [r.name for r in stored] == ["张伟", "欧阳娜"]
    assert stored[0].id_index == pii.blind_index(id_number(1), purpose=ID_PURPOSE)
    assert stored[0].reveal_id_number() == id_number(1)
    assert stored[0].id_masked == id_number(1)[:6] + "********" + id_number(1)[14:]
    assert stored[0].birth_date == dt.date(1950, 3, 4)
    assert Source.objects.get(code="ca_death").current_batch_id == batch.pk
    assert batch.file.read() == csv_bytes(headers, rows, encoding)


def test_xlsx_with_date_cells_and_text_dates(city):
    headers, rows = death_rows(city, deaths(city, 2))
    rows[0][2] = dt.date(2024, 1, 31)
    content = xlsx_bytes(headers, rows)
    batch = services.receive_batch(SYSTEM, "ca_death", content=content, filename="d.xlsx").batch
    assert (
        sorted(CaDeath.objects.unscoped("test").filter(batch=batch).values_list("death_date", flat=True))
        == [dt.date(2024, 1, 31)] * 2
    )


@pytest.mark.parametrize("text", ["2024-01-31", "2024/1/31", "20240131"])
def test_three_date_formats(text):
    assert parse_date(text) == dt.date(2024, 1, 31)


@pytest.mark.parametrize("text", ["2024-02-30", "31/01/2024", "2024.1.31", "1850-01-01"])
def test_bad_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def _rejected(city, content, source="ca_death", batch_id="bad"):
    before = (CaDeath.objects.unscoped("test").count(), CaSubsistence.objects.unscoped("test").count())
    with pytest.raises(services.BatchRejected) as exc:
        services.receive_batch(SYSTEM, source, content=content, filename="x.csv", batch_id=batch_id)
    after = (CaDeath.objects.unscoped("test").count(), CaSubsistence.objects.unscoped("test").count())
    assert before == after  # nothing imported
    batch = exc.value.batch
    assert batch is not None and batch.status == BatchStatus.REJECTED and batch.version is None
    return exc.value, batch


def test_every_bad_row_is_reported_and_nothing_is_imported(city):
    people = deaths(city, 6)
    headers, rows = death_rows(city, people)
    rows[1][1] = bad_checksum(rows[1][1])  # checksum
    rows[2][2] = "2024-13-01"  # no such date
    rows[3][3] = "999999999999"  # no such community
    rows[4][1] = rows[0][1]  # duplicate key
    rows[5][0] = ""  # required
    exc, batch = _rejected(city, csv_bytes(headers, rows))
    found = {(e.line, e.field) for e in exc.errors}
    assert found == {(3, "身份证号"), (4, "死亡日期"), (5, "户籍社区代码"), (6, ""), (7, "姓名")}
    dup = next(e for e in exc.errors if e.line == 6)
    assert "与第 2 行重复" in dup.reason
    checksum = next(e for e in exc.errors if e.line == 3)
    assert "校验位" in checksum.reason
    report = list(BatchError.objects.filter(batch=batch).values_list("line", "field"))
    assert set(report) == found and batch.error_count == 5
    assert Source.objects.get(code="ca_death").current_batch_id is None
    assert AuditEvent.objects.filter(action="datahub.batch_rejected", object_id=str(batch.pk)).count() == 1


def test_wrong_headers_reject_the_file(city):
    headers, rows = death_rows(city, deaths(city, 2))
    headers[1] = "身份证"  # not the template's header
    exc, _batch = _rejected(city, csv_bytes(headers, rows))
    assert exc.errors[0].line == 1 and "身份证号" in exc.errors[0].reason


def test_a_bad_row_among_good_ones_leaves_the_previous_snapshot_current(city):
    headers, rows = death_rows(city, deaths(city, 3))
    first = services.receive_batch(
        SYSTEM, "ca_death", content=csv_bytes(headers, rows), filename="a.csv"
    ).batch
    rows.append(["李四", bad_checksum(id_number(9)), "2024-01-01", city.communities[0].path, "X1"])
    _rejected(city, csv_bytes(headers, rows), batch_id="second")
    assert Source.objects.get(code="ca_death").current_batch_id == first.pk
    assert CaDeath.objects.unscoped("test").filter(batch=first).count() == 3


def test_error_list_is_bounded(city, settings):
    settings.GRIDGOV_IMPORT_MAX_ERROR_ROWS = 5
    headers, rows = death_rows(city, deaths(city, 12))
    for row in rows:
        row[1] = bad_checksum(row[1])
    exc, batch = _rejected(city, csv_bytes(headers, rows))
    assert exc.error_count == 12 and exc.omitted_rows == 7
    assert BatchError.objects.filter(batch=batch).count() == 6  # 5 rows + "另有 7 行错误未列出"
    assert batch.omitted_rows == 7


def test_gbk_text_that_is_not_valid_in_either_encoding_is_refused(city):
    headers, rows = death_rows(city, deaths(city, 1))
    content = csv_bytes(headers, rows, "gbk") + b"\xff\xfe\xfd\x00\x01"
    _exc, batch = _rejected(city, content)
    assert batch.status == BatchStatus.REJECTED


def test_same_batch_id_same_content_is_idempotent(city):
    headers, rows = death_rows(city, deaths(city, 2))
    content = csv_bytes(headers, rows)
    first = services.receive_batch(SYSTEM, "ca_death", content=content, filename="a.csv", batch_id="2024-01")
    again = services.receive_batch(SYSTEM, "ca_death", content=content, filename="a.csv", batch_id="2024-01")
    assert first.created and not again.created and again.batch.pk == first.batch.pk
    assert Batch.objects.unscoped("test").count() == 1


def test_replayed_batch_id_with_other_content_conflicts_and_changes_nothing(city):
    headers, rows = death_rows(city, deaths(city, 2))
    services.receive_batch(
        SYSTEM, "ca_death", content=csv_bytes(headers, rows), filename="a.csv", batch_id="B7"
    )
    counts = (
        Batch.objects.unscoped("test").count(),
        CaDeath.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )
    rows[0][0] = "改名"
    with pytest.raises(services.BatchConflict):
        services.receive_batch(
            SYSTEM, "ca_death", content=csv_bytes(headers, rows), filename="a.csv", batch_id="B7"
        )
    assert (
        Batch.objects.unscoped("test").count(),
        CaDeath.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    ) == counts


def test_versions_count_accepted_batches(city):
    headers, rows = death_rows(city, deaths(city, 2))
    one = services.receive_batch(SYSTEM, "ca_death", content=csv_bytes(headers, rows), filename="a.csv").batch
    two = services.receive_batch(
        SYSTEM, "ca_death", content=csv_bytes(headers, rows[:1]), filename="b.csv"
    ).batch
    assert (one.version, two.version) == (1, 2)
    assert Source.objects.get(code="ca_death").current_batch_id == two.pk


def test_department_pushes_only_its_own_sources(city):
    civil = department_user(city, Role.DEPT_CIVIL_AFFAIRS)
    police = department_user(city, Role.DEPT_PUBLIC_SECURITY)
    headers, rows = death_rows(city, deaths(city, 1))
    content = csv_bytes(headers, rows)
    assert services.receive_batch(civil, "ca_death", content=content, filename="a.csv").created
    with pytest.raises(services.SourceForbidden):
        services.receive_batch(police, "ca_death", content=content, filename="b.csv", batch_id="p1")
    assert not Batch.objects.unscoped("test").filter(batch_id="p1").exists()


def test_area_roles_may_not_push(city, users):
    headers, rows = death_rows(city, deaths(city, 1))
    for role in ("district", "street", "grid_worker"):
        with pytest.raises(services.SourceForbidden):
            services.receive_batch(
                users[role], "ca_death", content=csv_bytes(headers, rows), filename="a.csv"
            )


def test_inbox_moves_files_to_done_and_rejected_with_a_report(city, tmp_path, settings):
    settings.GRIDGOV_DATAHUB_INBOX = tmp_path / "inbox"
    settings.GRIDGOV_DATAHUB_INBOX_SETTLE_SECONDS = 0
    from gridgov.datahub.services.inbox import ensure_folders

    ensure_folders()
    folder = tmp_path / "inbox" / "ca_death"
    headers, rows = death_rows(city, deaths(city, 2))
    (folder / "deaths-2024-01.csv").write_bytes(csv_bytes(headers, rows, "gbk"))
    rows[1][1] = bad_checksum(rows[1][1])
    (folder / "deaths-2024-02.csv").write_bytes(csv_bytes(headers, rows))
    from gridgov.datahub.tasks import process_inbox

    assert process_inbox.delay().get() == 2
    assert (folder / "done" / "deaths-2024-01.csv").exists()
    assert (folder / "rejected" / "deaths-2024-02.csv").exists()
    report = (folder / "rejected" / "deaths-2024-02.csv.report.txt").read_text(encoding="utf-8")
    assert "第3行" in report and "校验位" in report
    batch = Batch.objects.unscoped("test").get(batch_id="deaths-2024-01")
    assert batch.channel == "inbox" and batch.status == BatchStatus.ACCEPTED
    assert list(folder.glob("*.csv")) == []
