"""Everyday use of the points pages (issue 10): items defined above apply below (read-only), the resident's
loop (sign up, report hours, approval, QR code), the merchant's form, masked names, sub-navigation that
only links what a role may open, report date ranges and xlsx exports."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEvent
from gridgov.points import queries, services
from gridgov.points.models import (
    Activity,
    ActivityKind,
    EarningRule,
    EarnRole,
    MerchantKind,
    Participation,
    PartStatus,
    Redemption,
    Scenario,
    Transaction,
)
from gridgov.points.views import qr_svg
from tests.base import state_of
from tests.factories import UserFactory

from .conftest import SYSTEM, give, key, participation

BELOW_CITY = ("district", "street", "community_secretary", "community_worker")


def _city_items(city):
    services.seed_catalogue(SYSTEM, city.city)
    rule = services.save_rule(
        SYSTEM,
        area=city.city,
        role=EarnRole.RESIDENT,
        activity_kind=ActivityKind.VOLUNTEER,
        points_per_hour=10,
        points_per_event=5,
    )
    return Scenario.objects.unscoped("test").get(area=city.city, code="property_fee"), rule


# --- 6. items defined at an ancestor apply to the subtree, read-only ------------------------------------
@pytest.mark.parametrize("role", BELOW_CITY)
def test_city_catalogue_and_rules_are_shown_read_only_below_the_city(city, users, client_for, role):
    scenario, rule = _city_items(city)
    client = client_for(role)
    html = client.get(reverse("points:catalogue")).content.decode()
    assert "暂无兑换场景" not in html
    assert scenario.name in html and "上级（市级）" in html
    assert reverse("points:scenario_edit", args=[scenario.pk]) not in html
    html = client.get(reverse("points:rules")).content.decode()
    assert "暂无积分规则" not in html and "上级（市级）" in html
    assert reverse("points:rule_edit", args=[rule.pk]) not in html


def test_the_owning_level_edits_and_levels_below_cannot(city, users, client_for):
    scenario, rule = _city_items(city)
    html = client_for("city_admin").get(reverse("points:catalogue")).content.decode()
    assert reverse("points:scenario_edit", args=[scenario.pk]) in html and "上级（" not in html
    html = client_for("city_admin").get(reverse("points:rules")).content.decode()
    assert reverse("points:rule_edit", args=[rule.pk]) in html

    own = services.save_scenario(
        users["street"], area=city.streets[0], code="tea", name="街道茶歇券", category="测试", price=10
    )
    street = client_for("street").get(reverse("points:catalogue")).content.decode()
    assert reverse("points:scenario_edit", args=[own.pk]) in street
    community = client_for("community_worker").get(reverse("points:catalogue")).content.decode()
    assert "街道茶歇券" in community and "上级（街道级）" in community
    assert reverse("points:scenario_edit", args=[own.pk]) not in community

    # the edit pages of an item defined above: not found, nothing changes
    client, district = client_for("street"), client_for("district")
    before, audits = state_of(scenario), AuditEvent.objects.count()
    body = {"area": city.streets[0].pk, "code": "x", "name": "改", "category": "c", "price": 1}
    assert client.get(reverse("points:scenario_edit", args=[scenario.pk])).status_code == 404
    assert client.post(reverse("points:scenario_edit", args=[scenario.pk]), body).status_code == 404
    assert (
        district.post(reverse("points:rule_edit", args=[rule.pk]), {"area": city.districts[0].pk}).status_code
        == 404
    )
    assert state_of(scenario) == before and AuditEvent.objects.count() == audits


def _results(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def test_api_lists_include_items_defined_above_read_only(city, users, api_for):
    scenario, rule = _city_items(city)
    street_activity = services.create_activity(
        SYSTEM,
        title="街道志愿日",
        kind=ActivityKind.VOLUNTEER,
        area=city.streets[0],
        starts_at=timezone.now() + dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=1, hours=2),
        capacity=5,
    )
    services.seed_catalogue(SYSTEM, city.other_city[0])  # another city's catalogue: never shown here
    api = api_for("community_worker")
    listed = {s["id"]: s for s in _results(api.get("/api/points/scenarios/", {"page_size": 500}))}
    assert scenario.pk in listed and not any(s["area_path"].startswith("3800") for s in listed.values())
    assert listed[scenario.pk]["defined_above"] == "上级（市级）" and listed[scenario.pk]["editable"] is False
    rules = {r["id"]: r for r in _results(api.get("/api/points/rules/"))}
    assert rules[rule.pk]["editable"] is False
    activities = {a["id"]: a for a in _results(api.get("/api/points/activities/"))}
    assert activities[street_activity.pk]["defined_above"] == "上级（街道级）"
    assert api.get(f"/api/points/scenarios/{scenario.pk}/").status_code == 200
    # a write on an item defined above is 404 and changes nothing
    before, audits = state_of(scenario), AuditEvent.objects.count()
    assert api_for("street").patch(f"/api/points/scenarios/{scenario.pk}/", {"price": 1}).status_code == 404
    assert (
        api_for("district").patch(f"/api/points/rules/{rule.pk}/", {"points_per_hour": 99}).status_code == 404
    )
    assert state_of(scenario) == before and AuditEvent.objects.count() == audits
    assert EarningRule.objects.unscoped("test").get(pk=rule.pk).points_per_hour == 10
    # the city's own administrator still sees them as theirs
    own = {
        s["id"]: s for s in _results(api_for("city_admin").get("/api/points/scenarios/", {"page_size": 500}))
    }
    assert own[scenario.pk]["editable"] is True and own[scenario.pk]["defined_above"] == ""


# --- 3. the sub-navigation only links what the role may open ------------------------------------------
def _nav_links(html: str) -> list[str]:
    block = re.search(r'data-testid="points-nav".*?</nav>', html, re.S)
    assert block, "the page has no points sub-navigation"
    return re.findall(r'href="([^"]+)"', block.group(0))


@pytest.mark.parametrize(
    "role",
    [
        "city_admin",
        "district",
        "street",
        "community_secretary",
        "community_worker",
        "grid_worker",
        "resident",
    ],
)
def test_every_points_sub_navigation_link_opens(funded, users, client_for, role):
    services.link_resident(SYSTEM, users["resident"], funded.resident_a)
    client = client_for(role)
    start = reverse("points:me") if role == "resident" else reverse("points:approvals")
    seen, todo = set(), [start]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        todo.extend(_nav_links(response.content.decode()))
    assert len(seen) >= (1 if role == "grid_worker" else 4)


# --- 7. the resident's loop --------------------------------------------------------------------------
def _activity(area, days: int, title: str = "楼道清洁志愿服务", hours: int = 2, capacity: int = 10):
    start = timezone.now() + dt.timedelta(days=days)
    return services.create_activity(
        SYSTEM,
        title=title,
        kind=ActivityKind.VOLUNTEER,
        area=area,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        capacity=capacity,
    )


@pytest.fixture
def linked(funded, users):
    services.link_resident(SYSTEM, users["resident"], funded.resident_a)
    for role in (EarnRole.RESIDENT, EarnRole.PARTY_MEMBER):
        services.save_rule(
            SYSTEM, area=funded.city, role=role, activity_kind=ActivityKind.VOLUNTEER,
            points_per_hour=10, points_per_event=5, daily_cap=60, monthly_cap=400,
        )  # fmt: skip
    return funded


def test_resident_signs_up_reports_hours_and_is_paid_on_approval(linked, users, client_for):
    city = linked
    upcoming = _activity(city.communities[0], 3, "垃圾分类宣传引导")
    past = _activity(city.grid_a, -2, "敬老院陪伴志愿服务")
    elsewhere = _activity(city.communities[2], 3, "别的社区活动")
    resident = client_for("resident")
    page = resident.get(reverse("points:activities")).content.decode()
    assert "垃圾分类宣传引导" in page and "别的社区活动" not in page
    assert 'data-testid="report-form"' in page and "敬老院陪伴志愿服务" in page

    # sign up for the upcoming one; an activity of another community or one already held is not offered
    assert resident.post(reverse("points:sign_up", args=[elsewhere.pk])).status_code == 404
    assert resident.post(reverse("points:sign_up", args=[past.pk])).status_code == 404
    resident.post(reverse("points:sign_up", args=[upcoming.pk]))
    part = Participation.objects.unscoped("test").get(activity=upcoming, resident=city.resident_a)
    assert part.status == PartStatus.SIGNED_UP
    assert Activity.objects.unscoped("test").get(pk=upcoming.pk).signed_up == 1

    # report hours: bad values are a form error that changes nothing
    for bad in ({"activity": past.pk, "hours": "abc"}, {"activity": past.pk, "hours": "0"},
                {"activity": upcoming.pk, "hours": "1"}, {"activity": past.pk, "hours": "5"}):  # fmt: skip
        response = resident.post(reverse("points:self_report"), bad)
        assert response.status_code == 400, bad
        assert "errorlist" in response.content.decode()
    assert not Participation.objects.unscoped("test").filter(activity=past).exists()
    response = resident.post(
        reverse("points:self_report"), {"activity": past.pk, "hours": "1.5", "note": "帮忙"}
    )
    assert response.status_code == 302
    reported = Participation.objects.unscoped("test").get(activity=past, resident=city.resident_a)
    assert (reported.status, reported.minutes, reported.self_reported) == (PartStatus.REPORTED, 90, True)
    summary = queries.resident_summary(users["resident"])
    assert {p.pk for p in summary["pending"]} == {part.pk, reported.pk}
    assert past.pk not in {a.pk for a in summary["reportable"]}

    # the community worker approves it on the approvals page; the resident's balance grows by its points
    before = services.resident_account(city.resident_a).balance
    worker = client_for("community_worker")
    assert city.resident_a.name in worker.get(reverse("points:approvals")).content.decode()
    response = worker.post(reverse("points:decide", args=[reported.pk]), {"decision": "approve"}, follow=True)
    reported.refresh_from_db()
    expected = (
        5 + 10 * 90 // 60
    )  # the city's rule: 5 per event + 10 per hour (resident_a is a party member: same)
    assert reported.points == expected and f"发放 {expected} 积分" in response.content.decode()
    assert services.resident_account(city.resident_a).balance == before + expected
    me = resident.get(reverse("points:me")).content.decode()
    assert f'data-testid="balance">{before + expected}<' in me


def test_resident_summary(linked, users):
    assert queries.resident_summary(users["community_worker"]) is None
    give(linked.resident_a, 120)
    upcoming = _activity(linked.communities[0], 1)
    summary = queries.resident_summary(users["resident"])
    assert summary["resident"] == linked.resident_a and summary["balance"] == 120
    assert summary["recent"][0].amount == 120
    assert [a.pk for a in summary["open_activities"]] == [upcoming.pk]
    assert summary["pending"] == []


def test_code_page_shows_a_qr_code_of_the_token_and_a_six_digit_code(linked, client_for):
    client = client_for("resident")
    html = client.get(reverse("points:code")).content.decode()
    token = re.search(r'data-testid="token"[^>]*>([^<]+)<', html).group(1)
    qr = re.search(r'data-testid="qr">(.*?)</div>', html, re.S).group(1).strip()
    assert qr.startswith("<svg") and "<path" in qr
    assert qr == qr_svg(token)  # the QR code encodes exactly the token shown
    assert "http" not in qr.split("xmlns")[0]  # made here, not fetched from a service
    html = client.post(reverse("points:code")).content.decode()
    assert re.search(r'data-testid="otc">\d{6}<', html)


# --- the merchant's form -----------------------------------------------------------------------------
@pytest.fixture
def merchant(funded, catalogue):
    community = funded.communities[0]
    user = UserFactory(username="shop-user", role=Role.MERCHANT, area=community)
    services.create_merchant(SYSTEM, name="邻里便利店", kind=MerchantKind.SHOP, area=community, user=user)
    client = Client()
    client.force_login(user)
    return client


def test_refused_redemption_keeps_what_was_typed(funded, catalogue, merchant):
    scenario = catalogue["shopping_10"]
    balance = services.resident_account(funded.resident_a).balance
    for body, message in (
        ({"code": "123456", "scenario": scenario.pk, "quantity": "2"}, "核销码无效"),
        ({"code": "123456", "scenario": "abc", "quantity": "1"}, "请选择本商户可核销的兑换场景"),
        ({"code": "123456", "scenario": scenario.pk, "quantity": "x"}, "数量应为1到100之间的整数"),
    ):
        response = merchant.post(reverse("points:merchant"), {**body, "nonce": key("n")})
        html = response.content.decode()
        assert response.status_code == 400 and message in html
        assert 'value="123456"' in html
        if body["scenario"] == scenario.pk:
            assert re.search(rf'<option value="{scenario.pk}" selected>', html)
    assert not Redemption.objects.unscoped("test").exists()
    assert services.resident_account(funded.resident_a).balance == balance


def test_default_scenario_is_one_every_resident_may_redeem(funded, catalogue, merchant):
    give(funded.resident_a, 200)
    html = merchant.get(reverse("points:merchant")).content.decode()
    first = int(re.search(r'<select[^>]*name="scenario"[^>]*><option value="(\d+)"', html).group(1))
    assert Scenario.objects.unscoped("test").get(pk=first).eligible_groups == []
    otc = services.issue_one_time_code(SYSTEM, funded.resident_a)
    response = merchant.post(
        reverse("points:merchant"), {"code": otc.code, "scenario": first, "nonce": key("n")}, follow=True
    )
    assert "核销成功" in response.content.decode()


# --- 4. refusals do not name the resident in full ------------------------------------------------------
def test_merchant_refusals_mask_the_residents_name(funded, catalogue, merchant):
    name = funded.resident_a.name  # 户主甲: a merchant may see 户** at most
    assert services.resident_account(funded.resident_a).balance == 0
    for code in (
        services.resident_token(funded.resident_a),
        services.issue_one_time_code(SYSTEM, funded.resident_a).code,
    ):
        response = merchant.post(
            reverse("points:merchant"),
            {"code": code, "scenario": catalogue["shopping_5"].pk, "nonce": key("n")},
        )
        html = response.content.decode()
        assert "积分不足" in html and "户**" in html
        assert name not in html


# --- 11. reports: a date range, validated; exports of every list and figures page ------------------------
def _redeem_on(funded, shop, catalogue, day: dt.date):
    give(funded.resident_a, 50)
    result = services.redeem(
        SYSTEM, merchant=shop, scenario=catalogue["shopping_5"], resident=funded.resident_a, key=key("r")
    )
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    Redemption.objects.unscoped("test").filter(pk=result.redemption.pk).update(created_at=moment)
    Transaction.objects.unscoped("test").filter(pk=result.redemption.transaction_id).update(created_at=moment)


def test_report_date_range(funded, catalogue, shop, client_for):
    today = timezone.localdate()
    last_year = today.replace(day=1) - dt.timedelta(days=300)
    _redeem_on(funded, shop, catalogue, today)
    _redeem_on(funded, shop, catalogue, last_year)
    client = client_for("city_admin")
    url = reverse("points:report_data")
    default = client.get(url).json()  # this month so far
    assert (default["from"], default["to"]) == (today.replace(day=1).isoformat(), today.isoformat())
    assert sum(a["redeemed"] for a in default["by_area"]) == 50
    wide = client.get(url, {"start": last_year.isoformat(), "end": today.isoformat()}).json()
    assert sum(a["redeemed"] for a in wide["by_area"]) == 100
    only_then = client.get(url, {"start": last_year.isoformat(), "end": last_year.isoformat()}).json()
    assert only_then["by_scenario"][0]["count"] == 1
    for bad in (
        {"start": "2025-13-01"},
        {"start": "x"},
        {"start": today.isoformat(), "end": last_year.isoformat()},
    ):
        assert client.get(url, bad).status_code == 400
        page = client.get(reverse("points:reports"), bad)
        assert page.status_code == 400 and "errorlist" in page.content.decode()
    page = client.get(reverse("points:reports")).content.decode()
    assert f'value="{today.replace(day=1).isoformat()}"' in page and 'data-testid="export"' in page


def test_report_labels_are_short_for_phone_charts(funded, client_for):
    data = client_for("community_secretary").get(reverse("points:report_data")).json()
    assert [a["label"] for a in data["by_area"]] == ["第1网格", "第2网格"]  # not 东一社区第1网格
    assert queries.short_label("一个非常非常长的兑换场景名称", "") == "一个非常非常长…"


def _sheet(response, index: int = 0) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book.worksheets[index].iter_rows(values_only=True))


def test_exports_are_in_scope_and_audited(city, users, funded, catalogue, shop, client_for):
    participation(city.resident_a)
    outside = participation(city.resident_outside(users["community_worker"]))
    worker = client_for("community_worker")
    audits = AuditEvent.objects.filter(action__startswith="points.export_").count()
    rows = _sheet(worker.get(reverse("points:approvals_export")))
    assert rows[0][:3] == ("服务日期", "活动", "居民")
    names = {r[2] for r in rows[1:]}
    assert city.resident_a.name in names and outside.resident.name not in names

    rows = _sheet(worker.get(reverse("points:catalogue_export")))
    assert len(rows) - 1 == Scenario.objects.unscoped("test").count() and rows[1][0] == "上级（市级）"
    rows = _sheet(worker.get(reverse("points:rules_export")))
    assert rows[0][0] == "制定层级"
    rows = _sheet(worker.get(reverse("points:accounts_export"), {"kind": "merchant"}))
    assert [r[0] for r in rows[1:]] == ["邻里便利店"]
    assert _sheet(worker.get(reverse("points:report_export")), 2)[0] == ("兑换场景", "兑换次数", "兑换积分")
    assert AuditEvent.objects.filter(action__startswith="points.export_").count() == audits + 5
    # what a role may not see it may not export; bad input is a 400, not a 500
    grid = client_for("grid_worker")
    assert grid.get(reverse("points:catalogue_export")).status_code == 403
    assert grid.get(reverse("points:report_export")).status_code == 403
    assert worker.get(reverse("points:report_export"), {"start": "nope"}).status_code == 400
    for name in ("approvals", "catalogue", "rules", "accounts", "reports"):
        html = worker.get(reverse(f"points:{name}")).content.decode()
        assert 'data-testid="export"' in html, name
