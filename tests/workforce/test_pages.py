"""Generic page tests for the workforce pages; staff import errors; dashboard figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.workforce.models import Staff

from ..base import DetailPageTests, ListPageTests, WritePageTests, redirects_to_login
from ..factories import ResidentFactory
from ..helpers import upload, xlsx_bytes
from .conftest import SYSTEM
from .test_api import WF_DENIED, WF_VIEW_ROLES, community_outside


class TestStaffPages(ListPageTests, DetailPageTests, WritePageTests):
    model = Staff
    list_url_name = "workforce:staff_list"
    detail_url_name = "workforce:staff_detail"
    allowed_roles = WF_VIEW_ROLES
    denied_roles = WF_DENIED
    writer_roles = WF_VIEW_ROLES

    @pytest.fixture(autouse=True)
    def _crew(self, crew):
        self.crew = crew

    def in_scope(self, city, user):
        return self.crew.secretaries[city.communities[0].pk]

    def out_of_scope(self, city, user):
        return self.crew.secretaries.get(community_outside(city, user).pk) or self.crew.other

    def title_of(self, obj):
        return obj.resident.name

    def post(self, client, obj):
        return client.post(reverse("workforce:staff_change_post", args=[obj.pk]), {"post": "party_affairs"})


PAGES = [
    "workforce:dashboard",
    "workforce:checks",
    ("workforce:check", "workers_without_grid"),
    "workforce:grid_history",
]


def _url(name):
    return reverse(name[0], args=[name[1]]) if isinstance(name, tuple) else reverse(name)


@pytest.mark.parametrize("name", PAGES)
class TestAreaPages:
    def test_anonymous_redirects(self, city, client_for, name):
        assert redirects_to_login(client_for(None).get(_url(name)))

    @pytest.mark.parametrize("role", WF_DENIED)
    def test_denied_403(self, city, client_for, name, role):
        assert client_for(role).get(_url(name)).status_code == 403

    @pytest.mark.parametrize("role", WF_VIEW_ROLES)
    def test_in_scope_200_out_of_scope_404(self, city, users, client_for, crew, name, role):
        client = client_for(role)
        assert client.get(_url(name)).status_code == 200
        assert client.get(_url(name), {"area": city.unit_outside(users[role]).pk}).status_code == 404


def test_dashboard_share_and_payroll_pages(city, client_for, crew):
    from gridgov.workforce import services

    client = client_for("street")
    html = client.get(reverse("workforce:dashboard")).content.decode()
    assert 'data-indicator="wf_grid_workers"' in html and 'data-testid="qualified-share"' in html
    response = client.post(
        reverse("workforce:payroll_list"), {"community": city.communities[0].pk, "month": "2025-06-01"}
    )
    assert response.status_code == 302
    payroll_url = response["Location"]
    assert 'data-testid="payroll-lines"' in client.get(payroll_url).content.decode()
    again = client.post(
        reverse("workforce:payroll_list"), {"community": city.communities[0].pk, "month": "2025-06-01"}
    )
    assert "不能重复核算" in again.content.decode()
    other = services.compute_payroll(SYSTEM, city.communities[2], dt.date(2025, 6, 1))
    assert (
        client_for("community_secretary")
        .get(reverse("workforce:payroll_detail", args=[other.pk]))
        .status_code
        == 404
    )
    assert (
        client_for("community_secretary")
        .get(reverse("workforce:payroll_export", args=[other.pk]))
        .status_code
        == 404
    )


STAFF_HEADERS = ["姓名", "身份证号", "社区编码", "岗位", "学历", "入职日期", "来源"]


def test_staff_import_errors_then_success(city, api_for, crew):
    person = ResidentFactory(household=city.household_a, name="新社工")
    number = person.reveal_id_number()
    code = city.communities[0].code
    client = api_for("street")
    before = (Staff.objects.unscoped("test").count(), AuditEvent.objects.count())
    rows = [
        {
            "姓名": "新社工",
            "身份证号": number,
            "社区编码": code,
            "岗位": "社区工作者",
            "学历": "本科",
            "入职日期": "2020-03-01",
        },
        {
            "姓名": "坏号",
            "身份证号": "110105199001011230",
            "社区编码": code,
            "岗位": "社区工作者",
            "学历": "本科",
            "入职日期": "2020-03-01",
        },
        {
            "姓名": "岗位",
            "身份证号": number,
            "社区编码": code,
            "岗位": "局长",
            "学历": "博士",
            "入职日期": "2020/03/01",
        },
        {
            "姓名": "书记",
            "身份证号": city.id_numbers[city.residents[1].pk],
            "社区编码": code,
            "岗位": "社区党组织书记",
            "学历": "本科",
            "入职日期": "2020-03-01",
        },
    ]
    response = client.post(
        reverse("wf-staff-import-xlsx"), {"file": upload(xlsx_bytes(rows, STAFF_HEADERS))}, format="multipart"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {e["line"] for e in errors} == {3, 4, 5}
    assert {"岗位", "学历", "入职日期"} <= {e["field"] for e in errors if e["line"] == 4}
    assert (Staff.objects.unscoped("test").count(), AuditEvent.objects.count()) == before
    wrong_community = dict(rows[0], 社区编码=city.communities[2].code)
    response = client.post(
        reverse("wf-staff-import-xlsx"),
        {"file": upload(xlsx_bytes([wrong_community], STAFF_HEADERS))},
        format="multipart",
    )
    assert response.status_code == 400 and "不在您的管辖范围内" in str(response.json())
    response = client.post(
        reverse("wf-staff-import-xlsx"),
        {"file": upload(xlsx_bytes(rows[:1], STAFF_HEADERS))},
        format="multipart",
    )
    assert response.status_code == 201 and response.json() == {"staff": 1}
    assert AuditEvent.objects.filter(action="workforce.import_staff").count() == 1
    again = client.post(
        reverse("wf-staff-import-xlsx"),
        {"file": upload(xlsx_bytes(rows[:1], STAFF_HEADERS))},
        format="multipart",
    )
    assert again.status_code == 400 and "已有社区工作人员档案" in str(again.json())


def test_staff_import_lists_malformed_and_unknown_rows_together(city, api_for, crew):
    """A malformed row does not hide the rows the database refuses: every bad row is listed at once."""
    from ..factories import unique_id_number

    code = city.communities[0].code
    row = {"社区编码": code, "岗位": "社区工作者", "学历": "本科", "入职日期": "2020-03-01"}
    rows = [
        dict(row, 姓名="格式错", 身份证号=unique_id_number(), 入职日期="2020/03/01"),
        dict(row, 姓名="未登记", 身份证号=unique_id_number()),
        dict(row, 姓名="辖区外", 身份证号=unique_id_number(), 社区编码=city.communities[2].code),
    ]
    before = (Staff.objects.unscoped("test").count(), AuditEvent.objects.count())
    response = api_for("street").post(
        reverse("wf-staff-import-xlsx"), {"file": upload(xlsx_bytes(rows, STAFF_HEADERS))}, format="multipart"
    )
    assert response.status_code == 400
    assert sorted({e["line"] for e in response.json()["errors"]}) == [2, 3, 4]
    assert (Staff.objects.unscoped("test").count(), AuditEvent.objects.count()) == before


def test_staff_import_missing_column_and_export(city, api_for, client_for, crew):
    response = api_for("street").post(
        reverse("wf-staff-import-xlsx"),
        {"file": upload(xlsx_bytes([{"姓名": "x"}], ["姓名", "身份证号"]))},
        format="multipart",
    )
    assert response.status_code == 400 and "缺少必填列" in str(response.json())
    export = client_for("community_secretary").get(reverse("workforce:staff_export"))
    assert export.status_code == 200
    from ..helpers import read_xlsx

    rows = read_xlsx(export.content)
    assert len(rows) == 4  # 东一社区: secretary, deputy, two grid workers
    assert AuditEvent.objects.filter(action="workforce.export_staff").count() == 1
