"""The generic page tests for the party pages, the check pages, and the member import."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.party.models import PartyMember, PartyOrg

from ..base import DetailPageTests, ListPageTests, WritePageTests, redirects_to_login
from ..helpers import upload, xlsx_bytes
from .test_api import PARTY_DENIED, PARTY_VIEW_ROLES, REORGANISE_ROLES, grid_outside


class PageObjects:
    allowed_roles = PARTY_VIEW_ROLES
    denied_roles = PARTY_DENIED

    @pytest.fixture(autouse=True)
    def _network(self, network):
        self.net = network


class TestOrgPages(PageObjects, ListPageTests, DetailPageTests, WritePageTests):
    model = PartyOrg
    list_url_name = "party:org_list"
    detail_url_name = "party:org_detail"
    writer_roles = REORGANISE_ROLES

    def in_scope(self, city, user):
        return self.net.branches[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.branches[grid_outside(city, user).pk]

    def title_of(self, obj):
        return obj.name

    def post(self, client, obj):
        target = self.net.communities[obj.area.parent_id]
        return client.post(
            reverse("party:org_reparent", args=[obj.pk]), {"target": target.pk, "reason": "调整"}
        )


class TestMemberPages(PageObjects, ListPageTests, DetailPageTests):
    model = PartyMember
    list_url_name = "party:member_list"
    detail_url_name = "party:member_detail"

    def in_scope(self, city, user):
        return self.net.members[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.members[grid_outside(city, user).pk]

    def title_of(self, obj):
        return obj.resident.name


PAGES = [
    "party:dashboard",
    "party:checks",
    ("party:check", "grids_without_branch"),
    ("party:check", "branch_size"),
]


def _url(name):
    return reverse(name[0], args=[name[1]]) if isinstance(name, tuple) else reverse(name)


@pytest.mark.parametrize("name", PAGES)
class TestAreaPages:
    def test_anonymous_redirects(self, city, client_for, name):
        assert redirects_to_login(client_for(None).get(_url(name)))

    @pytest.mark.parametrize("role", PARTY_DENIED)
    def test_denied_403(self, city, client_for, name, role):
        assert client_for(role).get(_url(name)).status_code == 403

    @pytest.mark.parametrize("role", PARTY_VIEW_ROLES)
    def test_in_scope_200_out_of_scope_404(self, city, users, client_for, network, name, role):
        client = client_for(role)
        response = client.get(_url(name))
        assert response.status_code == 200
        assert users[role].area.name in response.content.decode()
        assert client.get(_url(name), {"area": city.unit_outside(users[role]).pk}).status_code == 404


def test_check_page_lists_offenders_with_links(city, client_for, network):
    from ..factories import make_child

    grid = make_child(city.communities[0], "新划网格")
    html = client_for("street").get(reverse("party:check", args=["grids_without_branch"])).content.decode()
    assert "新划网格" in html
    assert reverse("areas:detail", args=[grid.pk]) in html
    html = client_for("street").get(reverse("party:checks")).content.decode()
    assert 'data-check="grids_without_branch"' in html


def test_dashboard_shows_figures_and_chart(city, client_for, network):
    html = client_for("city_admin").get(reverse("party:dashboard")).content.decode()
    assert 'data-indicator="party_grid_branches"' in html
    assert "echarts-5.6.0.min.js" in html and "cdn" not in html.lower()


# --- import -----------------------------------------------------------------------------------------
HEADERS = ["姓名", "身份证号", "党组织编号", "在职党员", "工作单位党组织", "双报到社区编码", "入党日期"]


def _post(client, rows, headers=HEADERS):
    return client.post(
        reverse("party-member-import-xlsx"), {"file": upload(xlsx_bytes(rows, headers))}, format="multipart"
    )


def test_import_members_all_or_nothing(city, users, api_for, network):
    from ..factories import ResidentFactory

    new = ResidentFactory(household=city.household_a, name="新党员")

    number = new.reveal_id_number()
    branch = network.branches[city.grid_a.pk]
    client = api_for("community_secretary")
    before = (PartyMember.objects.unscoped("test").count(), AuditEvent.objects.count())
    bad = _post(
        client,
        [
            {"姓名": "新党员", "身份证号": number, "党组织编号": str(branch.pk), "入党日期": "2001-07-01"},
            {"姓名": "错号", "身份证号": "110105199001011234", "党组织编号": str(branch.pk)},
            {"姓名": "重复", "身份证号": number, "党组织编号": "abc"},
            {"姓名": "在职", "身份证号": city.id_numbers[city.residents[1].pk], "在职党员": "是"},
        ],
    )
    assert bad.status_code == 400
    body = bad.json()
    assert "未导入任何数据" in body["detail"]
    lines = {e["line"] for e in body["errors"]}
    assert lines == {3, 4, 5}
    assert (PartyMember.objects.unscoped("test").count(), AuditEvent.objects.count()) == before

    out_of_scope = network.branches[city.grids[2].pk].pk
    rejected = _post(client, [{"姓名": "新党员", "身份证号": number, "党组织编号": str(out_of_scope)}])
    assert rejected.status_code == 400 and "不在您的管辖范围内" in str(rejected.json())

    ok = _post(
        client,
        [{"姓名": "新党员", "身份证号": number, "党组织编号": str(branch.pk), "入党日期": "2001-07-01"}],
    )
    assert ok.status_code == 201, ok.content
    assert ok.json() == {"members": 1}
    assert AuditEvent.objects.filter(action="party.import_member").count() == 1
    again = _post(client, [{"姓名": "新党员", "身份证号": number, "党组织编号": str(branch.pk)}])
    assert again.status_code == 400 and "已登记为党员" in str(again.json())


def test_import_lists_malformed_and_unknown_rows_together(city, api_for, network):
    """A malformed row does not hide the rows the database refuses: all three bad rows are listed."""
    from ..factories import unique_id_number

    branch = network.branches[city.grid_a.pk]
    before = (PartyMember.objects.unscoped("test").count(), AuditEvent.objects.count())
    response = _post(
        api_for("community_secretary"),
        [
            {
                "姓名": "格式错",
                "身份证号": unique_id_number(),
                "党组织编号": str(branch.pk),
                "入党日期": "2001/7/1",
            },
            {"姓名": "未登记甲", "身份证号": unique_id_number(), "党组织编号": str(branch.pk)},
            {"姓名": "未登记乙", "身份证号": unique_id_number(), "党组织编号": "999999"},
        ],
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["line"] for e in errors] == [2, 3, 4]
    assert "入党日期" in errors[0]["reason"] and "未登记" in errors[1]["reason"]
    assert (PartyMember.objects.unscoped("test").count(), AuditEvent.objects.count()) == before


def test_import_rejects_a_file_that_is_not_xlsx(city, api_for, network):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_for("street").post(
        reverse("party-member-import-xlsx"),
        {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "Excel(.xlsx)表格" in str(response.json())  # the reason names the format whatever it guessed


def test_import_page_lists_errors(city, client_for, network):
    response = client_for("street").post(
        reverse("party:member_import"), {"file": upload(xlsx_bytes([{"姓名": "x"}], ["姓名", "党组织编号"]))}
    )
    assert response.status_code == 200
    assert "缺少必填列" in response.content.decode()


def test_member_export_is_audited_and_masked(city, api_for, network):
    from ..helpers import read_xlsx

    response = api_for("street").get(reverse("party-member-export-xlsx"))
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert len(rows) == 4 and all("*" in r["身份证号"] for r in rows)
    assert AuditEvent.objects.filter(action="party.export_members").count() == 1
