"""Month close page and API (scope, permission, bad input, double submit) and the volunteer page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.points.models import MonthClose, PerformancePay

from ..base import AreaQueryAPITests, DetailAPITests, ListAPITests, redirects_to_login
from .test_gridscore import last_month, month_records  # noqa: F401 - the fixture

MONTH_VIEWERS = ("city_admin", "district", "street", "community_secretary")
NOT_VIEWERS = ("community_worker", "grid_worker", "property", "resident")


def _close_of(community) -> MonthClose:
    row, _ = MonthClose.objects.unscoped("test").get_or_create(
        community=community,
        month=dt.date(2025, 1, 1),
        defaults={"area_path": community.path, "closed_by": "system:test"},
    )
    return row


def _community_in(city, user):
    return user.area if len(user.area.path) == 12 else city.communities[0]


class TestMonthCloseListAPI(ListAPITests, DetailAPITests):
    basename = "points-monthclose"
    model = MonthClose
    allowed_roles = MONTH_VIEWERS
    denied_roles = NOT_VIEWERS

    @pytest.fixture(autouse=True)
    def _closes(self, city):
        for community in (city.communities[0], city.communities[3], city.other_city[3]):
            _close_of(community)

    def in_scope(self, city, user):
        return _close_of(_community_in(city, user))

    def out_of_scope(self, city, user):
        for community in (city.communities[3], city.other_city[3]):
            if not community.path.startswith(user.area.path):
                return _close_of(community)
        raise AssertionError("no community outside the user's area")


class TestMonthClosePreviewAPI(AreaQueryAPITests):
    url_name = "points-monthclose-preview"
    area_param = "community"
    allowed_roles = MONTH_VIEWERS
    denied_roles = NOT_VIEWERS

    def in_scope_area(self, city, user):
        return _community_in(city, user)


class TestMonthCloseCloseAPI(AreaQueryAPITests):
    url_name = "points-monthclose-close"
    area_param = "community"
    method = "post"
    ok = 201
    allowed_roles = ("community_secretary",)
    denied_roles = (
        "city_admin",
        "district",
        "street",
        "community_worker",
        "grid_worker",
        "property",
        "resident",
    )

    def in_scope_area(self, city, user):
        return _community_in(city, user)


def test_api_preview_and_close_once(month_records, api_for, users):  # noqa: F811
    _city, community, month, worker, member = month_records
    client = api_for("community_secretary")
    url = reverse("points-monthclose-preview")
    preview = client.get(url, {"community": community.pk, "month": f"{month:%Y-%m}"}).json()
    assert {row["staff"]: row["score"] for row in preview["staff"]} == {worker.pk: 96, member.pk: 87}
    assert client.get(url, {"community": community.pk, "month": "2026-13"}).status_code == 400
    close = reverse("points-monthclose-close")
    first = client.post(close, {"community": community.pk, "month": f"{month:%Y-%m}"}, format="json")
    assert first.status_code == 201, first.content
    again = client.post(close, {"community": community.pk, "month": f"{month:%Y-%m}"}, format="json")
    assert again.status_code == 400 and "已结算" in again.json()["detail"]
    assert PerformancePay.objects.unscoped("t").filter(month=month).count() == 2
    running = client.post(
        close, {"community": community.pk, "month": f"{timezone.localdate():%Y-%m}"}, format="json"
    )
    assert running.status_code == 400


# --- the page -----------------------------------------------------------------------------------------
def test_page_permissions(city, client_for):
    url = reverse("points:month_close")
    assert redirects_to_login(client_for(None).get(url))
    for role in NOT_VIEWERS:
        assert client_for(role).get(url).status_code == 403, role
    for role in MONTH_VIEWERS:
        response = client_for(role).get(url, {"community": city.communities[0].pk})
        assert response.status_code == 200, role
        html = response.content.decode()
        assert ('data-testid="close-form"' in html) == (role == "community_secretary"), role


def test_page_out_of_scope_and_bad_input(city, client_for):
    url = reverse("points:month_close")
    client = client_for("community_secretary")
    assert client.get(url, {"community": city.communities[3].pk}).status_code == 404
    assert client.get(url, {"community": city.other_city[3].pk}).status_code == 404
    bad = client.get(url, {"community": city.communities[0].pk, "month": "2026-13"})
    assert bad.status_code == 400 and "请按“年-月”填写月份" in bad.content.decode()
    assert client.get(url, {"community": "abc"}).status_code == 400
    audit_rows = AuditEvent.objects.count()
    refused = client.post(url, {"community": city.communities[3].pk, "month": f"{last_month():%Y-%m}"})
    assert refused.status_code == 404 and AuditEvent.objects.count() == audit_rows
    assert not MonthClose.objects.unscoped("t").exists()
    street = client_for("street").post(
        url, {"community": city.communities[0].pk, "month": f"{last_month():%Y-%m}"}
    )
    assert street.status_code == 403


def test_page_confirm_then_double_submit(month_records, client_for):  # noqa: F811
    city, community, month, _worker, _member = month_records
    url = reverse("points:month_close")
    client = client_for("community_secretary")
    page = client.get(url, {"community": community.pk, "month": f"{month:%Y-%m}"}).content.decode()
    assert 'data-testid="close-form"' in page and city.grid_a.name in page
    data = {"community": community.pk, "month": f"{month:%Y-%m}"}
    done = client.post(url, data)
    assert done.status_code == 302
    result = client.get(done["Location"]).content.decode()
    assert 'data-testid="closed"' in result and 'data-testid="close-form"' not in result
    assert 'data-testid="payroll-link"' in result
    again = client.post(url, data)
    assert again.status_code == 400 and "已结算" in again.content.decode()
    assert MonthClose.objects.unscoped("t").count() == 1
    assert PerformancePay.objects.unscoped("t").filter(month=month).count() == 2


# --- volunteers ---------------------------------------------------------------------------------------
def test_volunteer_page_totals_and_scope(month_records, client_for):  # noqa: F811
    import re

    city, community, *_ = month_records
    url = reverse("points:volunteers")
    client = client_for("street")
    assert redirects_to_login(client_for(None).get(url))
    assert client_for("resident").get(url).status_code == 403
    html = client.get(url).content.decode()
    total = int(
        re.search(r'data-total="pt_volunteer_services".*?<span class="value">(\d+)</span>', html, re.S)[1]
    )
    parts = [int(n) for n in re.findall(r'data-part-of="pt_volunteer_services">(\d+)<', html)]
    months = [int(n) for n in re.findall(r'data-part-of="volunteer_months">(\d+)<', html)]
    assert total == 5 and sum(parts) == total and sum(months) == total
    assert client.get(url, {"area": city.communities[3].pk}).status_code == 404
    assert client.get(url, {"area": "abc"}).status_code == 400
    assert client.get(url, {"area": community.pk}).status_code == 200


def test_volunteer_indicator(month_records):  # noqa: F811
    from gridgov.core import indicators

    city, community, *_ = month_records
    indicator = indicators.get("pt_volunteer_services")
    assert indicator.value(community.path) == 5
    assert indicator.value(city.grid_a.path) == 5 and indicator.value(city.grid_b.path) == 0


@pytest.mark.parametrize("role", ["community_secretary"])
def test_nav_links(city, client_for, role):
    html = client_for(role).get(reverse("points:approvals")).content.decode()
    assert reverse("points:month_close") in html and reverse("points:volunteers") in html


# --- grid-score rules ---------------------------------------------------------------------------------
def _rule_post(district_pk, **over):
    data = {
        "district": district_pk or "",
        "effective_from": "2026-01",
        "per_closed_on_time": "3",
        "per_overdue": "2",
        "per_escalation": "4",
        "per_patrol": "1",
        "per_visit": "2",
        "rating_neutral": "3",
        "per_rating_point": "1",
        "per_resident_event": "0.5",
        "cap": "30",
        "worker_share": "100",
        "linked_share": "40",
    }
    data.update(over)
    return data


def test_grid_rule_page(city, client_for):
    from gridgov.points.models import GridScoreRule

    url = reverse("points:grid_rules")
    assert redirects_to_login(client_for(None).get(url))
    assert client_for("community_worker").get(url).status_code == 403
    assert client_for("street").get(url).status_code == 200
    assert 'data-testid="grid-rule-form"' not in client_for("street").get(url).content.decode()
    assert client_for("street").post(url, _rule_post(city.districts[0].pk)).status_code == 403
    district = client_for("district")
    # bad input: a share above 100 — shown on the form, the typed values kept, nothing saved
    bad = district.post(url, _rule_post(city.districts[0].pk, linked_share="140"))
    assert bad.status_code == 400 and 'value="140"' in bad.content.decode()
    # another district is not a choice; the city default is the city's
    other = district.post(url, _rule_post(city.districts[1].pk))
    assert other.status_code == 400
    default = district.post(url, _rule_post(None))
    assert default.status_code == 400 and "全市默认规则由市级设置" in default.content.decode()
    assert not GridScoreRule.objects.exists()
    assert district.post(url, _rule_post(city.districts[0].pk)).status_code == 302
    assert district.post(url, _rule_post(city.districts[0].pk, cap="20")).status_code == 302
    rule = GridScoreRule.objects.get()
    assert rule.cap == 20 and rule.linked_share == 40 and rule.effective_from == dt.date(2026, 1, 1)
    assert AuditEvent.objects.filter(action="points.save_grid_score_rule").count() == 2
    assert client_for("city_admin").post(url, _rule_post(None)).status_code == 302
    assert GridScoreRule.objects.filter(district__isnull=True).exists()
    assert "东城区" in client_for("community_secretary").get(url).content.decode()
