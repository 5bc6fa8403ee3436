"""双报到 service records, grid mutual-aid groups and special funds: the services' rules."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.party import hooks, services
from gridgov.party.models import DualReportService, FundSpending, GridFund, MutualAidMember, ServiceCategory

from ..helpers import xlsx_bytes
from .conftest import SYSTEM


def _record(res, city, **kw):
    member = res.members[city.grid_a.pk]
    data = {
        "member": member,
        "community": city.communities[0],
        "served_on": timezone.localdate() - dt.timedelta(days=1),
        "hours": "3",
        "category": ServiceCategory.CARE,
        "content": "看望独居老人",
    }
    data.update(kw)
    return services.record_dual_service(SYSTEM, **data)


def test_record_dual_service_is_audited_with_the_community_path(city, resources):
    record = _record(resources, city)
    assert record.area_path == city.communities[0].path and record.hours == Decimal("3.0")
    assert AuditEvent.objects.filter(action="party.record_dual_service", object_id=str(record.pk)).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"served_on": dt.date.today() + dt.timedelta(days=2)}, "晚于今天"),
        ({"hours": "0"}, "大于 0"),
        ({"hours": "-1"}, "大于 0"),
        ({"hours": "24.5"}, "24"),
        ({"hours": "1.25"}, "一位小数"),
        ({"hours": "abc"}, "数字"),
        ({"category": "nap"}, "类别"),
        ({"content": "  "}, "服务内容"),
    ],
)
def test_record_dual_service_refuses_bad_input(city, resources, change, message):
    count = DualReportService.objects.unscoped("test").count()
    with pytest.raises(ServiceError, match=message):
        _record(resources, city, **change)
    assert DualReportService.objects.unscoped("test").count() == count


def test_member_not_registered_with_the_community_is_refused(city, resources, network):
    with pytest.raises(ServiceError, match="双报到"):
        _record(resources, city, community=city.communities[1])
    formal = network.members[city.grid_a.pk]  # a member of a branch, not in service
    with pytest.raises(ServiceError, match="双报到"):
        _record(resources, city, member=formal)


def test_duplicate_same_member_day_category_is_refused(city, resources):
    _record(resources, city)
    with pytest.raises(ServiceError, match="同类"):
        _record(resources, city, hours="1")
    _record(resources, city, category=ServiceCategory.PATROL)  # another category the same day is fine


def test_out_of_scope_member_is_refused(city, users, resources):
    other = resources.members[city.grids[2].pk]
    with pytest.raises(OutOfScope):
        services.record_dual_service(
            users["community_secretary"],
            member=other,
            community=city.communities[1],
            served_on=timezone.localdate(),
            hours="1",
            category=ServiceCategory.CARE,
            content="x",
        )


def test_hook_fires_on_commit_once_per_record(city, resources, django_capture_on_commit_callbacks):
    seen: list[int] = []
    hooks.on_dual_service_recorded(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record = _record(resources, city)
        assert seen == [record.pk]
    finally:
        hooks.remove(seen.append)


HEADER = ["姓名", "身份证号", "服务日期", "服务时长(小时)", "服务类别", "服务内容"]


def _sheet(rows):
    return io.BytesIO(xlsx_bytes([dict(zip(HEADER, row, strict=True)) for row in rows], HEADER))


def test_import_all_or_nothing_with_row_errors(city, users, resources):
    member = resources.members[city.grid_a.pk]
    number = city.id_numbers[member.resident_id]
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    bad = _sheet(
        [
            [member.resident.name, number, yesterday, "2", "关爱帮扶", "送餐"],
            [member.resident.name, number, "2099-01-01", "30", "睡觉", ""],
            [member.resident.name, number, yesterday, "2", "关爱帮扶", "送餐"],
        ]
    )
    from gridgov.core.services import ImportRejected

    with pytest.raises(ImportRejected) as exc:
        services.import_dual_services(users["community_secretary"], bad)
    fields = {(e.line, e.field) for e in exc.value.errors}
    assert {
        (3, "服务日期"),
        (3, "服务时长(小时)"),
        (3, "服务类别"),
        (3, "服务内容"),
        (4, "身份证号"),
    } <= fields
    assert not DualReportService.objects.unscoped("test").filter(member=member, category="care").exists()
    good = _sheet([[member.resident.name, number, yesterday, "2", "关爱帮扶", "送餐"]])
    assert services.import_dual_services(users["community_secretary"], good).records == 1


def test_import_refuses_a_member_outside_scope(city, users, resources):
    member = resources.members[city.grids[2].pk]
    sheet = _sheet([["", city.id_numbers[member.resident_id], "2024-05-01", "1", "志愿服务", "x"]])
    from gridgov.core.services import ImportRejected

    with pytest.raises(ImportRejected) as exc:
        services.import_dual_services(users["community_secretary"], sheet)
    assert "不在您的管辖范围内" in exc.value.errors[0].reason


# --- mutual-aid groups ---------------------------------------------------------------------------------
def test_mutual_aid_group_history(city, resources):
    group = resources.groups[city.grid_a.pk]
    child = city.residents[1]
    assert MutualAidMember.objects.unscoped("test").filter(group=group, left_on__isnull=True).count() == 2
    services.leave_mutual_aid(SYSTEM, group, child)
    with pytest.raises(ServiceError, match="不是本组成员"):
        services.leave_mutual_aid(SYSTEM, group, child)
    with pytest.raises(ServiceError, match="组长"):
        services.leave_mutual_aid(SYSTEM, group, city.residents[0])
    assert services.join_mutual_aid(SYSTEM, group, [child]) == 1
    services.dissolve_mutual_aid(SYSTEM, group, reason="合并到楼院互助组")
    rows = MutualAidMember.objects.unscoped("test").filter(group=group)
    assert rows.count() == 3 and not rows.filter(left_on__isnull=True).exists()
    with pytest.raises(ServiceError, match="已解散"):
        services.join_mutual_aid(SYSTEM, group, [child])


def test_mutual_aid_members_live_in_the_grid(city, resources):
    with pytest.raises(ServiceError, match="不住在本网格"):
        services.form_mutual_aid_group(
            SYSTEM,
            grid=city.grid_a,
            name="新组",
            leader=city.residents[0],
            members=[city.residents[2]],
            purpose="x",
        )
    with pytest.raises(ServiceError, match="同名"):
        services.form_mutual_aid_group(
            SYSTEM, grid=city.grid_a, name=f"{city.grid_a.name}互助组", leader=city.residents[0], purpose="x"
        )
    with pytest.raises(ServiceError, match="网格"):
        services.form_mutual_aid_group(
            SYSTEM, grid=city.communities[0], name="x", leader=city.residents[0], purpose="x"
        )


# --- special funds ---------------------------------------------------------------------------------------
def test_fund_balance_never_negative(city, resources):
    fund = resources.funds[city.grid_a.pk]
    assert fund.balance == Decimal("8799.50")
    today = timezone.localdate()
    with pytest.raises(ServiceError, match=r"余额不足:该经费余额 8799\.50 元,本次支出 8800\.00 元"):
        services.record_fund_spending(SYSTEM, fund, spent_on=today, amount="8800", purpose="x")
    services.record_fund_spending(SYSTEM, fund, spent_on=today, amount="8799.50", purpose="x")
    fund.refresh_from_db()
    assert fund.balance == 0
    with pytest.raises(ServiceError, match="余额不足"):
        services.record_fund_spending(SYSTEM, fund, spent_on=today, amount="0.01", purpose="x")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"amount": "0"}, "大于 0"),
        ({"amount": "1.234"}, "两位小数"),
        ({"amount": "x"}, "数字"),
        ({"purpose": ""}, "用途"),
        ({"spent_on": dt.date(2001, 1, 1)}, "年度"),
        ({"spent_on": dt.date.today() + dt.timedelta(days=3)}, "晚于今天"),
    ],
)
def test_spending_refuses_bad_input(city, resources, kw, message):
    fund = resources.funds[city.grid_a.pk]
    data = {"spent_on": timezone.localdate(), "amount": "1", "purpose": "x", **kw}
    count = FundSpending.objects.unscoped("test").count()
    with pytest.raises(ServiceError, match=message):
        services.record_fund_spending(SYSTEM, fund, **data)
    assert FundSpending.objects.unscoped("test").count() == count


def test_fund_once_per_grid_year_source(city, resources):
    year = timezone.localdate().year
    with pytest.raises(ServiceError, match="同一来源"):
        services.allocate_grid_fund(SYSTEM, grid=city.grid_a, year=year, amount="1", source="街道专项")
    with pytest.raises(ServiceError, match="年度"):
        services.allocate_grid_fund(SYSTEM, grid=city.grid_a, year=1990, amount="1", source="x")
    assert GridFund.objects.unscoped("test").filter(grid=city.grid_a).count() == 1
