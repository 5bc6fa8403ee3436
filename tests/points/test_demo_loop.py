"""The generated demo city can show the points loop (issue 10, item 7): the demo resident has points earned
through the services, upcoming activities to sign up for, activities to report hours for, reports waiting
for the community's approvers, and the merchant's default scenario is one the resident can redeem.

In a module of its own: the generator needs an empty database (no shared test city)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.points import queries, services
from gridgov.points.views import merchant_scenarios

from .conftest import SYSTEM


@pytest.mark.django_db
def test_demo_city_can_show_the_points_loop():
    from django.core.management import call_command

    from gridgov.accounts.models import User
    from gridgov.points.models import Merchant

    call_command("generate_city", scale=0.008, seed=3, quiet=True, verbosity=0)
    resident_user = User.objects.get(username="resident")
    summary = queries.resident_summary(resident_user)
    assert summary is not None
    assert summary["balance"] > 0 and summary["open_activities"] and summary["reportable"]
    assert all(a.starts_at > timezone.now() for a in summary["open_activities"])
    for approver in ("worker", "secretary"):
        client = Client()
        client.force_login(User.objects.get(username=approver))
        html = client.get(reverse("points:approvals")).content.decode()
        assert "暂无待审核记录" not in html and 'value="approve"' in html, approver
    # the merchant's default scenario is one the demo resident can redeem with the points they have
    shop = Merchant.objects.unscoped("test").get(user__username="merchant")
    default = merchant_scenarios(shop)[0]
    assert summary["balance"] >= default.price
    client = Client()
    client.force_login(shop.user)
    otc = services.issue_one_time_code(SYSTEM, summary["resident"])
    response = client.post(
        reverse("points:merchant"), {"code": otc.code, "scenario": default.pk, "nonce": "demo"}, follow=True
    )
    assert "核销成功" in response.content.decode()
    assert services.resident_account(summary["resident"]).balance == summary["balance"] - default.price
