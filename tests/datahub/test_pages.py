"""Pages of the data hub, in Chinese: sources and batches per department, the upload form (a GBK file, a
rejected file's report), the template download, findings grouped and filtered, the finding page (masked
evidence, audited unmask, verification and outcome forms), the grid worker's list, runs and trends."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.roles import Role
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.datahub import services
from gridgov.datahub.models import Batch, BatchStatus, CaDeath, Finding, FindingStatus
from gridgov.datahub.services import runs
from gridgov.datahub.sources import spec

from .exchange_helpers import (
    bad_checksum,
    csv_bytes,
    death_rows,
    department_user,
    id_number,
    subsistence_rows,
)

SYSTEM = SystemActor("tests.datahub")
pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_department_sees_and_pushes_only_its_own_sources(city):
    civil = login(department_user(city, Role.DEPT_CIVIL_AFFAIRS))
    page = civil.get(reverse("datahub:sources")).content.decode()
    assert "死亡登记" in page and "低保" in page and "车辆登记" not in page and "公安户籍人口" not in page
    assert civil.get(reverse("datahub:upload", args=["vehicle"])).status_code == 404
    assert civil.get(reverse("datahub:source", args=["ps_household"])).status_code == 404
    assert civil.get(reverse("web:home")).url == reverse("datahub:sources")


def test_upload_form_accepts_gbk_and_shows_the_batch(city):
    civil = login(department_user(city, Role.DEPT_CIVIL_AFFAIRS))
    headers, rows = death_rows(city, [("欧阳娜", id_number(1))])
    upload = SimpleUploadedFile("死亡登记.csv", csv_bytes(headers, rows, "gbk"), content_type="text/csv")
    response = civil.post(
        reverse("datahub:upload", args=["ca_death"]), {"file": upload, "batch_id": "m1"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200 and "已接收" in page and "gbk" in page
    assert list(CaDeath.objects.unscoped("test").values_list("name", flat=True)) == ["欧阳娜"]


def test_upload_form_lists_every_bad_row_and_imports_nothing(city):
    civil = login(department_user(city, Role.DEPT_CIVIL_AFFAIRS))
    headers, rows = death_rows(city, [("王一", bad_checksum(id_number(1))), ("王二", id_number(2))])
    rows[1][2] = "2024/13/40"
    upload = SimpleUploadedFile("d.csv", csv_bytes(headers, rows), content_type="text/csv")
    page = civil.post(reverse("datahub:upload", args=["ca_death"]), {"file": upload}).content.decode()
    assert "导入失败" in page and "校验位" in page and "日期不存在" in page
    assert not CaDeath.objects.unscoped("test").exists()
    batch = Batch.objects.unscoped("test").get()
    assert batch.status == BatchStatus.REJECTED
    report = civil.get(reverse("datahub:batch", args=[batch.pk])).content.decode()
    assert "校验报告" in report and "校验位" in report


def test_police_cannot_open_a_civil_affairs_batch(city):
    headers, rows = death_rows(city, [("王一", id_number(1))])
    batch = services.receive_batch(
        SYSTEM, "ca_death", content=csv_bytes(headers, rows), filename="d.csv"
    ).batch
    police = login(department_user(city, Role.DEPT_PUBLIC_SECURITY))
    assert police.get(reverse("datahub:batch", args=[batch.pk])).status_code == 404
    assert police.get(reverse("datahub:batch_raw", args=[batch.pk])).status_code == 404
    civil = login(department_user(city, Role.DEPT_CIVIL_AFFAIRS))
    assert civil.get(reverse("datahub:batch_raw", args=[batch.pk])).getvalue() == csv_bytes(headers, rows)


def test_template_has_the_headers_and_instructions(city, users):
    response = login(users["city_admin"]).get(reverse("datahub:template", args=["ca_subsistence"]))
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == spec("ca_subsistence").headers
    assert book.worksheets[1]["A1"].value == "列名"


def test_area_roles_cannot_reach_exchange_pages(city, users):
    for role in ("district", "street", "grid_worker"):
        assert login(users[role]).get(reverse("datahub:sources")).status_code == 403


@pytest.fixture
def finding(city):
    resident = city.resident_a
    person = (resident.name, city.id_numbers[resident.pk])
    for source, fn, bid in (("ca_death", death_rows, "d1"), ("ca_subsistence", subsistence_rows, "s1")):
        headers, rows = fn(city, [person])
        services.receive_batch(
            SYSTEM, source, content=csv_bytes(headers, rows), filename="f.csv", batch_id=bid
        )
    runs.execute(runs.create_run(SYSTEM, rules=["deceased_allowance"]))
    return Finding.objects.unscoped("test").get()


def test_findings_page_groups_and_filters(city, users, finding):
    client = login(users["street"])
    page = client.get(reverse("datahub:findings")).content.decode()
    assert "已故人员仍在领取补贴" in page and "东一社区" in page
    assert "没有符合条件" in client.get(reverse("datahub:findings"), {"severity": "low"}).content.decode()
    assert client.get(reverse("datahub:findings"), {"area": "abc"}).status_code == 200
    other = login(users["grid_worker_b"])
    assert other.get(reverse("datahub:finding", args=[finding.pk])).status_code == 404


def test_finding_page_masks_and_audits_unmask(city, users, finding):
    number = city.id_numbers[city.resident_a.pk]
    client = login(users["street"])
    page = client.get(reverse("datahub:finding", args=[finding.pk])).content.decode()
    assert number not in page and number[:6] + "********" in page
    revealed = client.post(
        reverse("datahub:finding", args=[finding.pk]), {"action": "unmask"}
    ).content.decode()
    assert number in revealed
    assert AuditEvent.objects.filter(action="datahub.unmask", actor=users["street"]).count() == 1
    grid = login(users["grid_worker"])
    assert grid.post(reverse("datahub:finding", args=[finding.pk]), {"action": "unmask"}).status_code == 403


def test_dispatch_verify_decide_through_the_pages(city, users, finding):
    url = reverse("datahub:finding", args=[finding.pk])
    login(users["street"]).post(url, {"action": "dispatch"})
    grid = login(users["grid_worker"])
    assert f"#{finding.pk}" in grid.get(reverse("datahub:my_checks")).content.decode()
    grid.post(url, {"action": "verify", "v-note": "已上门核实,确已去世"})
    secretary = login(users["community_secretary"])
    secretary.post(url, {"action": "decide", "d-outcome": "confirmed", "d-note": "属实"})
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CONFIRMED and finding.verification_note == "已上门核实,确已去世"
    assert "属实" in secretary.get(url).content.decode()


def test_runs_and_trends_pages(city, users, finding):
    admin = login(users["city_admin"])
    assert "已完成" in admin.get(reverse("datahub:runs")).content.decode()
    trends = admin.get(reverse("datahub:trends")).content.decode()
    assert "trend-data" in trends and "已故人员仍在领取补贴" in trends
    assert login(users["grid_worker"]).get(reverse("datahub:runs")).status_code == 403


def test_area_chips_add_up_to_the_open_findings(city, users):
    """A finding about several communities lies at their street: it gets a chip of its own (本级), so the
    chips sum to the open findings listed on the page; each row names its place in words."""
    run = runs.create_run(SYSTEM, rules=["multi_community"])
    street, community = city.streets[0], city.communities[0]
    services.save_findings(
        run,
        [
            {
                "rule": "multi_community",
                "area_path": p,
                "subject_key": f"pid:{i}",
                "fingerprint": str(i),
                "records": [],
                "evidence": {},
            }
            for i, p in enumerate([street.path, community.path, city.unit_a.path])
        ],
    )
    page = login(users["street"]).get(reverse("datahub:findings")).content.decode()
    import re

    chips = [
        int(n) for n in re.findall(r'class="tag" href="\?area=[^"]*&status=open_all">[^<]*?(\d+)</a>', page)
    ]
    assert sum(chips) == 3 and "本级" in page
    assert f"{community.name} · {city.unit_a.name}" in page
