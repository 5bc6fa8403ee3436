"""Pages and API for the writes that were API-only (leaders, central households, split, dissolve), and for
双报到 records, mutual-aid groups and grid funds: scope, permission, bad input (nothing saved), audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.party.models import (
    BuildingLeader,
    CentralHousehold,
    DualReportService,
    FundSpending,
    GridFund,
    MutualAidGroup,
    PartyOrg,
)

from ..base import (
    Action,
    ActionAPITests,
    Call,
    DetailAPITests,
    DetailPageTests,
    EndpointMatrixTests,
    ListAPITests,
    ListPageTests,
    WritePageTests,
)
from ..helpers import read_xlsx, upload, xlsx_bytes
from .test_api import PARTY_DENIED, PARTY_VIEW_ROLES, grid_outside

# Records of 双报到 sit at the community: a grid worker sees none of them.
COMMUNITY_ROLES = ("city_admin", "district", "street", "community_secretary", "community_worker")
RESOURCE_WRITERS = ("city_admin", "district", "street", "community_secretary")
REORGANISERS = ("city_admin", "district", "street")


def community_outside(city, user):
    return city.unit_outside(user).parent.parent.parent


class Objects:
    allowed_roles = PARTY_VIEW_ROLES
    denied_roles = PARTY_DENIED

    @pytest.fixture(autouse=True)
    def _resources(self, network, resources):
        self.net, self.res = network, resources


# --- leaders -------------------------------------------------------------------------------------------
class TestLeaderListPage(Objects, ListPageTests):
    model = BuildingLeader
    list_url_name = "party:leader_list"
    detail_url_name = ""

    def in_scope(self, city, user):
        return self.net.leaders[city.building_a.pk]

    def out_of_scope(self, city, user):
        return self.net.leaders[city.unit_outside(user).parent_id]

    def marker(self, obj):
        return f'href="{reverse("areas:detail", args=[obj.area_id])}"'


def _leader_form(city, name="子女甲", **kw):
    return {"kind": "building", "area": city.building_a.pk, "resident": name, "appointed_on": "", **kw}


def test_secretary_appoints_a_building_leader_from_the_page(city, client_for):
    client = client_for("community_secretary")
    page = client.get(reverse("party:leader_appoint"), {"area": city.grid_a.pk})
    assert page.status_code == 200 and city.building_a.name in page.content.decode()
    response = client.post(reverse("party:leader_appoint"), _leader_form(city))
    assert response.status_code == 302
    leader = BuildingLeader.objects.unscoped("test").get(area=city.building_a, is_active=True)
    assert leader.resident_id == city.residents[1].pk
    assert AuditEvent.objects.filter(action="party.appoint_leader", object_id=str(leader.pk)).exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"resident": "无此人"}, "没有名为"),
        ({"resident": "户主乙"}, "没有名为"),  # lives in another building
        ({"kind": "unit"}, "单元长按单元选聘"),
        ({"resident": ""}, "必填"),
    ],
)
def test_leader_form_bad_input_keeps_typing_and_saves_nothing(city, client_for, network, form, message):
    before = BuildingLeader.objects.unscoped("test").count()
    response = client_for("community_secretary").post(
        reverse("party:leader_appoint"), _leader_form(city, **form)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert BuildingLeader.objects.unscoped("test").count() == before


def test_leader_form_refuses_a_building_outside_scope(city, client_for, network):
    response = client_for("community_secretary").post(
        reverse("party:leader_appoint"), _leader_form(city, area=city.buildings[2].pk, resident="户主丙")
    )
    assert response.status_code == 200 and "有效的选项" in response.content.decode()


def test_leader_form_is_403_for_a_grid_worker(client_for):
    assert client_for("grid_worker").get(reverse("party:leader_appoint")).status_code == 403


# --- central households ----------------------------------------------------------------------------------
class TestCentralPages(Objects, ListPageTests, DetailPageTests, WritePageTests):
    model = CentralHousehold
    list_url_name = "party:central_list"
    detail_url_name = "party:central_detail"
    writer_roles = ("city_admin", "district", "street", "community_secretary", "community_worker")

    def in_scope(self, city, user):
        return self.net.centrals[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.centrals[grid_outside(city, user).pk]

    def title_of(self, obj):
        return str(obj.household)

    def post(self, client, obj):
        return client.post(reverse("party:central_serve", args=[obj.pk]), {"households": [obj.household_id]})


def test_designate_and_serve_from_the_pages(city, client_for, resources):
    client = client_for("community_secretary")
    member = resources.members[city.grid_a.pk]  # the child's household is the head's: already central
    response = client.post(reverse("party:central_designate"), {"member": member.pk, "group": ""})
    assert response.status_code == 200 and "已是党员中心户" in response.content.decode()
    central = CentralHousehold.objects.unscoped("test").get(household=city.households[0])
    # Serving: only households of the grid not yet served are offered; its own household is refused.
    page = client.get(reverse("party:central_serve", args=[central.pk]))
    assert page.status_code == 200
    bad = client.post(
        reverse("party:central_serve", args=[central.pk]), {"households": [city.households[2].pk]}
    )
    assert bad.status_code == 200 and "有效的选项" in bad.content.decode()
    empty = client.post(reverse("party:central_serve", args=[central.pk]), {})
    assert empty.status_code == 200 and central.served.count() == 0


# --- split and dissolve ----------------------------------------------------------------------------------
class TestOrgSplitPage(Objects, WritePageTests):
    model = PartyOrg
    detail_url_name = "party:org_detail"
    writer_roles = REORGANISERS

    def in_scope(self, city, user):
        return self.net.branches[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.branches[grid_outside(city, user).pk]

    def post(self, client, obj):
        return client.post(
            reverse("party:org_split", args=[obj.pk]),
            {"name": "新支部", "areas": [city_grid(obj)], "reason": "x"},
        )


def city_grid(org):
    return org.area_id


class TestOrgDissolvePage(TestOrgSplitPage):
    def post(self, client, obj):
        return client.post(reverse("party:org_dissolve", args=[obj.pk]), {"reason": "撤并", "confirm": "on"})


def test_dissolve_page_shows_the_refusal_and_changes_nothing(city, client_for, network):
    branch = network.branches[city.grid_a.pk]  # has a member and a building group
    client = client_for("street")
    response = client.post(
        reverse("party:org_dissolve", args=[branch.pk]), {"reason": "撤并", "confirm": "on"}
    )
    assert response.status_code == 200 and "请先转出该党组织的党员" in response.content.decode()
    branch.refresh_from_db()
    assert branch.is_active
    response = client.post(reverse("party:org_dissolve", args=[branch.pk]), {"reason": ""})
    assert response.status_code == 200 and "撤并" not in response.content.decode()


def test_split_page_splits_a_two_grid_branch(city, client_for, network):
    from gridgov.party import services

    from .conftest import SYSTEM

    target = network.branches[city.grid_a.pk]
    services.merge_orgs(SYSTEM, network.branches[city.grid_b.pk], target, reason="合并")
    client = client_for("street")
    detail = client.get(reverse("party:org_detail", args=[target.pk])).content.decode()
    assert reverse("party:org_split", args=[target.pk]) in detail
    bad = client.post(reverse("party:org_split", args=[target.pk]), {"name": "x", "areas": [city.grid_b.pk]})
    assert bad.status_code == 200  # no reason: the form says so, nothing split
    assert PartyOrg.objects.unscoped("test").filter(name="x").count() == 0
    everything = client.post(
        reverse("party:org_split", args=[target.pk]),
        {"name": "x", "areas": [city.grid_a.pk, city.grid_b.pk], "reason": "r"},
    )
    assert "不能把全部覆盖区域都拆分出去" in everything.content.decode()
    ok = client.post(
        reverse("party:org_split", args=[target.pk]),
        {"name": "第二网格党支部", "areas": [city.grid_b.pk], "reason": "r"},
    )
    assert ok.status_code == 302
    assert PartyOrg.objects.unscoped("test").get(name="第二网格党支部").area_path == city.grid_b.path


# --- 双报到 ------------------------------------------------------------------------------------------------
class TestDualServicePages(Objects, ListPageTests):
    model = DualReportService
    list_url_name = "party:dual_list"
    detail_url_name = ""
    allowed_roles = COMMUNITY_ROLES

    def in_scope(self, city, user):
        return self.res.services[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.res.services[grid_outside(city, user).pk]

    def marker(self, obj):
        return f"<td>{obj.content}</td>"


def _dual_form(city, res, **kw):
    return {
        "community": city.communities[0].pk,
        "member": res.members[city.grid_a.pk].pk,
        "served_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "hours": "1.5",
        "category": "care",
        "content": "陪同就医",
        **kw,
    }


def test_secretary_records_a_dual_service(city, client_for, resources):
    response = client_for("community_secretary").post(
        reverse("party:dual_record"), _dual_form(city, resources)
    )
    assert response.status_code == 302
    record = DualReportService.objects.unscoped("test").get(content="陪同就医")
    assert record.recorded_by.username == "community_secretary" or record.recorded_by is not None
    listed = client_for("community_secretary").get(reverse("party:dual_list"), {"category": "care"})
    assert "陪同就医" in listed.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": "25"}, "不超过 24"),
        ({"hours": "0"}, "大于 0"),
        ({"served_on": "2099-01-01"}, "晚于今天"),
        ({"community": "COMMUNITY_B"}, "双报到"),
        ({"category": "sleep"}, "有效的选项"),
        ({"content": ""}, "必填"),
    ],
)
def test_dual_form_bad_input(city, client_for, resources, change, message):
    if change.get("community") == "COMMUNITY_B":
        change = {"community": city.communities[1].pk}
    before = DualReportService.objects.unscoped("test").count()
    response = client_for("street").post(reverse("party:dual_record"), _dual_form(city, resources, **change))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "陪同就医" in html or change.get("content") == ""  # what was typed stays
    assert DualReportService.objects.unscoped("test").count() == before


def test_dual_list_export_and_filter_error(city, client_for, resources):
    client = client_for("community_secretary")
    response = client.get(reverse("party:dual_list"), {"format": "xlsx"})
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert {r["服务内容"] for r in rows} == {f"{city.grids[0].name}环境整治", f"{city.grids[1].name}环境整治"}
    assert AuditEvent.objects.filter(action="party.export_dual_services").exists()
    bad = client.get(reverse("party:dual_list"), {"since": "not-a-date"})
    assert bad.status_code == 200 and "filter-errors" in bad.content.decode()


def test_dual_import_page_lists_row_errors(city, client_for, resources):
    member = resources.members[city.grid_a.pk]
    header = ["姓名", "身份证号", "服务日期", "服务时长(小时)", "服务类别", "服务内容"]
    rows = [
        dict(
            zip(
                header,
                [
                    member.resident.name,
                    city.id_numbers[member.resident_id],
                    "2099-01-01",
                    "2",
                    "志愿服务",
                    "x",
                ],
                strict=True,
            )
        )
    ]
    client = client_for("community_secretary")
    response = client.post(
        reverse("party:dual_import"), {"file": upload(xlsx_bytes(rows, header), "dual.xlsx")}
    )
    assert response.status_code == 200 and "晚于今天" in response.content.decode()
    rows[0]["服务日期"] = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    ok = client.post(reverse("party:dual_import"), {"file": upload(xlsx_bytes(rows, header), "dual.xlsx")})
    assert ok.status_code == 302
    assert client.get(reverse("party:dual_template")).status_code == 200


class TestDualServiceAPI(Objects, ListAPITests, DetailAPITests):
    basename = "party-dual-service"
    model = DualReportService
    allowed_roles = COMMUNITY_ROLES

    def in_scope(self, city, user):
        return self.res.services[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.res.services[grid_outside(city, user).pk]


class TestDualServiceFilesAPI(Objects, EndpointMatrixTests):
    calls = {
        "party-dual-service-export-xlsx": Call(("party.view_dualreportservice",), audited=True),
        "party-dual-service-summary": Call(("party.view_dualreportservice",)),
        "party-dual-service-import-xlsx": Call(
            ("party.add_dualreportservice", "party.import_dualreportservice"),
            method="post",
            multipart=True,
            passed=400,
        ),
    }


def test_dual_api_create_and_bad_input(city, api_for, resources):
    client = api_for("community_secretary")
    body = _dual_form(city, resources)
    created = client.post(reverse("party-dual-service-list"), body, format="json")
    assert created.status_code == 201, created.content
    again = client.post(reverse("party-dual-service-list"), body, format="json")
    assert again.status_code == 400 and "同类" in str(again.json())
    outside = client.post(
        reverse("party-dual-service-list"),
        {**body, "member": resources.members[city.grids[2].pk].pk, "community": city.communities[1].pk},
        format="json",
    )
    assert outside.status_code == 400
    summary = client.get(reverse("party-dual-service-summary")).json()
    assert summary["services"] == 3 and summary["members"] == 2


# --- mutual-aid groups -----------------------------------------------------------------------------------
class AidObjects(Objects):
    model = MutualAidGroup

    def in_scope(self, city, user):
        return self.res.groups[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.res.groups[grid_outside(city, user).pk]


class TestAidPages(AidObjects, ListPageTests, DetailPageTests, WritePageTests):
    list_url_name = "party:aid_list"
    detail_url_name = "party:aid_detail"
    writer_roles = RESOURCE_WRITERS

    def post(self, client, obj):
        return client.post(reverse("party:aid_dissolve", args=[obj.pk]), {"reason": "解散"})


class TestAidJoinPage(TestAidPages):
    def post(self, client, obj):
        return client.post(reverse("party:aid_join", args=[obj.pk]), {"members": "子女甲"})


class TestAidLeavePage(TestAidPages):
    def post(self, client, obj):
        return client.post(reverse("party:aid_leave", args=[obj.pk]), {"resident": obj.leader_id})


def test_form_a_group_from_the_page(city, client_for, resources):
    client = client_for("community_secretary")
    form = {
        "grid": city.grid_a.pk,
        "name": "甲网格助老组",
        "purpose": "助老",
        "leader": "户主甲",
        "members": "子女甲\n无此人",
    }
    bad = client.post(reverse("party:aid_form"), form)
    assert bad.status_code == 200 and "无此人" in bad.content.decode()
    assert not MutualAidGroup.objects.unscoped("test").filter(name="甲网格助老组").exists()
    form["members"] = "子女甲"
    ok = client.post(reverse("party:aid_form"), form)
    assert ok.status_code == 302
    group = MutualAidGroup.objects.unscoped("test").get(name="甲网格助老组")
    assert group.members.count() == 2
    assert AuditEvent.objects.filter(action="party.form_mutual_aid", object_id=str(group.pk)).exists()
    dissolve = client.post(reverse("party:aid_dissolve", args=[group.pk]), {"reason": ""})
    assert dissolve.status_code == 200
    group.refresh_from_db()
    assert group.is_active


class TestAidAPI(AidObjects, ListAPITests, DetailAPITests):
    basename = "party-aid-group"


class TestAidActionsAPI(AidObjects, ActionAPITests):
    basename = "party-aid-group"
    actions = {
        "party-aid-group-join": Action(
            ("party.change_mutualaidgroup",), data=lambda t, c, u: {"residents": [c.residents[1].pk]}
        ),
        "party-aid-group-leave": Action(
            ("party.change_mutualaidgroup",), data=lambda t, c, u: {"resident": c.residents[1].pk}
        ),
        "party-aid-group-dissolve": Action(
            ("party.change_mutualaidgroup",), data=lambda t, c, u: {"reason": "x"}
        ),
    }


# --- grid funds --------------------------------------------------------------------------------------------
class FundObjects(Objects):
    model = GridFund

    def in_scope(self, city, user):
        return self.res.funds[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.res.funds[grid_outside(city, user).pk]


class TestFundPages(FundObjects, ListPageTests, DetailPageTests, WritePageTests):
    list_url_name = "party:fund_list"
    detail_url_name = "party:fund_detail"
    writer_roles = RESOURCE_WRITERS

    def title_of(self, obj):
        return obj.grid.name

    def post(self, client, obj):
        return client.post(
            reverse("party:fund_spend", args=[obj.pk]),
            {"spent_on": timezone.localdate().isoformat(), "amount": "1", "purpose": "x"},
        )


def test_spending_page_refuses_overspending_with_the_balance(city, client_for, resources):
    fund = resources.funds[city.grid_a.pk]
    client = client_for("community_secretary")
    data = {"spent_on": timezone.localdate().isoformat(), "amount": "9000", "purpose": "活动场地改造"}
    response = client.post(reverse("party:fund_spend", args=[fund.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200 and "余额不足:该经费余额 8799.50 元" in html and "活动场地改造" in html
    assert FundSpending.objects.unscoped("test").filter(fund=fund).count() == 1
    data["amount"] = "99.50"
    assert client.post(reverse("party:fund_spend", args=[fund.pk]), data).status_code == 302
    fund.refresh_from_db()
    assert str(fund.balance) == "8700.00"


def test_allocate_page_bad_input(city, client_for, resources):
    client = client_for("community_secretary")
    data = {
        "grid": city.grid_a.pk,
        "year": timezone.localdate().year,
        "amount": "-5",
        "source": "市级党建经费",
    }
    response = client.post(reverse("party:fund_allocate"), data)
    assert response.status_code == 200 and "大于 0" in response.content.decode()
    data["amount"] = "5000"
    assert client.post(reverse("party:fund_allocate"), data).status_code == 302
    again = client.post(reverse("party:fund_allocate"), data)
    assert again.status_code == 200 and "同一来源" in again.content.decode()
    outside = client.post(reverse("party:fund_allocate"), {**data, "grid": city.grids[2].pk})
    assert outside.status_code == 200 and "有效的选项" in outside.content.decode()


class TestFundAPI(FundObjects, ListAPITests, DetailAPITests):
    basename = "party-grid-fund"


class TestFundActionsAPI(FundObjects, ActionAPITests):
    basename = "party-grid-fund"
    actions = {
        "party-grid-fund-spend": Action(
            ("party.add_fundspending",),
            data=lambda t, c, u: {
                "spent_on": timezone.localdate().isoformat(),
                "amount": "1",
                "purpose": "x",
            },
        ),
        "party-grid-fund-spendings": Action(("party.view_gridfund",), method="get"),
    }


def test_fund_api_overspend_is_400_in_chinese(city, api_for, resources):
    fund = resources.funds[city.grid_a.pk]
    response = api_for("community_secretary").post(
        reverse("party-grid-fund-spend", args=[fund.pk]),
        {"spent_on": timezone.localdate().isoformat(), "amount": "100000", "purpose": "x"},
        format="json",
    )
    assert response.status_code == 400 and "余额不足" in response.json()["detail"]


def test_dashboard_links_the_secretary_to_the_new_pages(client_for, resources):
    html = client_for("community_secretary").get(reverse("party:dashboard")).content.decode()
    for name in ("leader_list", "central_list", "dual_list", "aid_list", "fund_list"):
        assert reverse(f"party:{name}") in html
