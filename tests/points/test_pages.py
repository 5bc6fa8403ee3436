"""Points pages: resident phone pages, the merchant's redeem page, approvals (scope), reports."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEvent
from gridgov.points import services
from gridgov.points.models import MerchantKind, PartStatus
from tests.base import redirects_to_login, state_of
from tests.factories import UserFactory

from .conftest import SYSTEM, give
from .test_api import _participation

PAGES = ["points:me", "points:code", "points:hours", "points:catalogue", "points:approvals", "points:reports"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_login(client_for, name):
    assert redirects_to_login(client_for(None).get(reverse(name)))


def test_resident_pages(funded, catalogue, users, client_for):
    services.link_resident(SYSTEM, users["resident"], funded.resident_a)
    give(funded.resident_a, 321)
    client = client_for("resident")
    html = client.get(reverse("points:me")).content.decode()
    assert "321" in html and "我的积分" in html
    code_page = client.post(reverse("points:code")).content.decode()
    assert 'data-testid="otc"' in code_page
    assert "物业费减免10元" in client.get(reverse("points:catalogue")).content.decode()
    assert client.get(reverse("points:hours")).status_code == 200
    # staff pages are closed to residents
    assert client.get(reverse("points:approvals")).status_code == 403


def test_unlinked_resident_is_403(client_for):
    assert client_for("resident").get(reverse("points:me")).status_code == 403


def test_merchant_page_redeems(funded, catalogue):
    user = UserFactory(username="shop2", role=Role.MERCHANT, area=funded.communities[0])
    shop = services.create_merchant(
        SYSTEM, name="便利店", kind=MerchantKind.SHOP, area=funded.communities[0], user=user
    )
    give(funded.resident_a, 100)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("points:merchant"))
    assert page.status_code == 200 and "购物满减5元" in page.content.decode()
    body = {
        "code": services.resident_token(funded.resident_a),
        "scenario": catalogue["shopping_5"].pk,
        "nonce": "n1",
    }
    client.post(reverse("points:merchant"), body)
    client.post(reverse("points:merchant"), body)  # a double submit of the same form applies once
    assert services.resident_account(funded.resident_a).balance == 50
    response = client.post(
        reverse("points:merchant"), {**body, "nonce": "n2", "scenario": catalogue["rice_oil"].pk}, follow=True
    )
    assert "积分不足" in response.content.decode()
    assert services.resident_account(funded.resident_a).balance == 50
    assert client.get(reverse("points:statement", args=[shop.pk])).status_code == 200


def test_approvals_page_scope(city, users, client_for):
    inside = _participation(city.resident_a)
    outside = _participation(city.resident_outside(users["grid_worker"]))
    html = client_for("grid_worker").get(reverse("points:approvals")).content.decode()
    assert city.resident_a.name in html
    assert outside.resident.name not in html
    assert client_for("property").get(reverse("points:approvals")).status_code == 403
    client = client_for("community_worker")
    out = _participation(city.resident_outside(users["community_worker"]))
    before, audits = state_of(out), AuditEvent.objects.count()
    assert client.post(reverse("points:decide", args=[out.pk]), {"decision": "approve"}).status_code == 404
    assert state_of(out) == before and AuditEvent.objects.count() == audits
    client.post(reverse("points:decide", args=[inside.pk]), {"decision": "reject", "reason": "未到"})
    inside.refresh_from_db()
    assert inside.status == PartStatus.REJECTED
    # approving an already-rejected record: a clear message, nothing changes
    response = client.post(reverse("points:decide", args=[inside.pk]), {"decision": "approve"}, follow=True)
    assert "已被驳回" in response.content.decode()


def test_reports(funded, catalogue, shop, client_for):
    give(funded.resident_a, 100)
    services.redeem(
        SYSTEM, merchant=shop, scenario=catalogue["shopping_5"], resident=funded.resident_a, key="rep"
    )
    client = client_for("city_admin")
    assert client.get(reverse("points:reports")).status_code == 200
    data = client.get(reverse("points:report_data")).json()
    assert data["by_scenario"][0]["name"] == "购物满减5元"
    assert sum(a["redeemed"] for a in data["by_area"]) == 50
    assert client_for("grid_worker").get(reverse("points:report_data")).status_code == 403
