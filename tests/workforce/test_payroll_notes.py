"""Per-line notes on the performance pay, and the payroll page showing where the amounts came from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.workforce import services
from gridgov.workforce.models import PayrollLine

from .conftest import SYSTEM


@pytest.fixture
def payroll(city, crew):
    return services.compute_payroll(SYSTEM, city.communities[0], dt.date(2025, 6, 1))


def _lines(payroll):
    return list(PayrollLine.objects.unscoped("test").filter(payroll=payroll).order_by("id"))


def test_notes_are_written_with_the_amounts(payroll):
    lines = _lines(payroll)
    amounts = {line.pk: Decimal("100.00") + k for k, line in enumerate(lines)}
    notes = {lines[0].pk: "积分 120 分,联系网格 2 个"}
    services.set_performance_pay(SYSTEM, payroll, amounts, source="points:2025-06", notes=notes)
    after = _lines(payroll)
    assert after[0].performance_note == "积分 120 分,联系网格 2 个"
    assert all(line.performance_note == "" for line in after[1:])
    event = AuditEvent.objects.filter(action="workforce.set_performance_pay").latest("id")
    assert event.after["performance_note"] == {str(lines[0].pk): "积分 120 分,联系网格 2 个"}


def test_bad_notes_change_nothing(payroll):
    lines = _lines(payroll)
    amounts = {line.pk: Decimal("1.00") for line in lines}
    with pytest.raises(ServiceError, match="明细"):
        services.set_performance_pay(SYSTEM, payroll, amounts, source="points", notes={-1: "x"})
    with pytest.raises(ServiceError, match="200"):
        services.set_performance_pay(
            SYSTEM, payroll, amounts, source="points", notes={lines[0].pk: "长" * 201}
        )
    assert [line.performance_pay for line in _lines(payroll)] == [line.performance_pay for line in lines]
    assert all(line.performance_note == "" for line in _lines(payroll))


def test_payroll_page_shows_the_performance_part_and_its_source(city, client_for, payroll):
    client = client_for("community_secretary")
    url = reverse("workforce:payroll_detail", args=[payroll.pk])
    html = client.get(url).content.decode()
    assert "尚未按积分核定" in html
    lines = _lines(payroll)
    amounts = {line.pk: Decimal("321.50") for line in lines}
    services.set_performance_pay(
        SYSTEM, payroll, amounts, source="积分核定 2025-06", notes={lines[0].pk: "网格得分 92"}
    )
    html = client.get(url).content.decode()
    assert "积分核定 2025-06" in html and "网格得分 92" in html and "321.50" in html
    total = Decimal("321.50") * len(lines)
    assert f'data-testid="performance-total">{total}<' in html


def test_api_carries_note_and_source(city, api_for, payroll):
    lines = _lines(payroll)
    services.set_performance_pay(
        SYSTEM,
        payroll,
        {line.pk: Decimal("5.00") for line in lines},
        source="points",
        notes={lines[0].pk: "说明"},
    )
    body = api_for("community_secretary").get(reverse("wf-payroll-detail", args=[payroll.pk])).json()
    assert body["performance_source"] == "points"
    assert body["lines"][0]["performance_note"] in ("说明", "")
    assert "说明" in {row["performance_note"] for row in body["lines"]}


def test_payroll_page_names_the_performance_source_in_chinese():
    from gridgov.workforce.models import Payroll

    assert Payroll(performance_source="points.performance_pay").performance_source_label.startswith(
        "积分联奖惩月度结算"
    )
    assert Payroll(performance_source="other.key").performance_source_label == "other.key"
