"""Payroll against a hand-computed grade table; grade rules; the finance split; double submission."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.core.services import ImportRejected, ServiceError
from gridgov.workforce import services
from gridgov.workforce.models import Payroll, PayrollLine, SalaryScale
from gridgov.workforce.reference import default_rate

from ..helpers import read_xlsx, upload, xlsx_bytes
from .conftest import SYSTEM

RATE_HEADERS = ["岗位类别", "薪级", "岗位工资", "薪级工资", "绩效工资", "津贴补贴"]
LABELS = {"lead": "社区正职岗", "deputy": "社区副职岗", "worker": "社区专职岗"}


def known_rows():
    """A table simple to compute by hand: post pay 1000/2000/3000 by category, 10.01 per grade, 0.5 allowance."""
    rows = []
    for n, category in enumerate(("worker", "deputy", "lead"), start=1):
        for grade in range(1, 19):
            rows.append(
                {
                    "岗位类别": LABELS[category],
                    "薪级": grade,
                    "岗位工资": f"{1000 * n}.00",
                    "薪级工资": f"{Decimal('10.01') * grade}",
                    "绩效工资": "100.00",
                    "津贴补贴": "0.50",
                }
            )
    return rows


@pytest.fixture
def known_scale(crew):
    return services.import_salary_scale(
        SYSTEM,
        upload(xlsx_bytes(known_rows(), RATE_HEADERS)),
        name="测试标准",
        effective_from=dt.date(2025, 1, 1),
        city_share="0.333",
    )


def test_default_scale_matches_its_formula(scale):
    s = SalaryScale.objects.get()
    assert s.rates.count() == 54
    rate = s.rates.get(category="worker", grade=18)
    expected = default_rate("worker", 18)
    assert rate.grade_pay == Decimal("150.00") + Decimal("85.50") * 17 == expected["grade_pay"]
    assert rate.total == sum(expected.values())


def test_payroll_for_a_known_table(city, crew, known_scale):
    community = city.communities[0]
    # 东一社区: secretary (lead) + deputy (deputy) + 2 grid workers (worker).
    grades = {s.pk: s.grade for s in [crew.secretaries[community.pk], crew.deputies[community.pk]]}
    grades.update({w.pk: w.grade for g, w in crew.grid_workers.items() if w.community_id == community.pk})
    payroll = services.compute_payroll(SYSTEM, community, dt.date(2025, 6, 17))
    assert payroll.scale == known_scale and payroll.month == dt.date(2025, 6, 1)
    by_category = {"lead": 3000, "deputy": 2000, "worker": 1000}
    expected_total = Decimal(0)
    for line in PayrollLine.objects.unscoped("test").filter(payroll=payroll):
        expected = Decimal(by_category[line.category]) + Decimal("10.01") * line.grade + Decimal("100.50")
        assert line.total == expected
        assert line.grade == grades[line.staff_id]
        expected_total += expected
    assert payroll.headcount == 4
    assert payroll.total == expected_total
    # City 33.3% rounded half up to the fen, district the rest: the parts always add up.
    assert payroll.city_amount == (expected_total * Decimal("0.333")).quantize(
        Decimal("0.01"), rounding="ROUND_HALF_UP"
    )
    assert payroll.city_amount + payroll.district_amount == payroll.total


def test_hand_computed_example():
    """Bachelor (start 3) hired 2015-03-01, evaluated 2025-06-01: 10 years // 3 = 3 grades; + social worker 2 = grade 8."""
    s = SalaryScale(
        years_per_grade=3,
        education_grades={"bachelor": 3},
        certificate_grades={"assistant_social_worker": 1, "social_worker": 2},
    )
    on = dt.date(2025, 6, 1)
    assert (
        services.compute_grade(s, education="bachelor", hired_on=dt.date(2015, 3, 1), certificates=[], on=on)
        == 6
    )
    assert (
        services.compute_grade(
            s,
            education="bachelor",
            hired_on=dt.date(2015, 3, 1),
            certificates=["assistant_social_worker", "social_worker"],
            on=on,
        )
        == 8
    )
    assert (
        services.compute_grade(
            s, education="bachelor", hired_on=dt.date(1970, 1, 1), certificates=["social_worker"], on=on
        )
        == 18
    )
    assert services.split(Decimal("100.01"), Decimal("0.5")) == (Decimal("50.01"), Decimal("50.00"))


def test_promotion_follows_the_rules(city, crew, scale):
    worker = crew.grid_workers[city.grid_a.pk]
    with pytest.raises(ServiceError, match="暂不符合晋级条件"):
        services.promote_staff(SYSTEM, worker, on=dt.date(2024, 6, 1))
    services.add_certificate(SYSTEM, worker, kind="social_worker", issued_on=dt.date(2024, 5, 1))
    before = worker.grade
    promoted = services.promote_staff(SYSTEM, worker, on=dt.date(2026, 6, 1))
    assert promoted.grade > before
    assert promoted.grade_changes.count() == 2


def test_double_submission_is_refused_and_changes_nothing(city, crew, scale):
    community = city.communities[0]
    services.compute_payroll(SYSTEM, community, dt.date(2025, 6, 1))
    rows = (
        Payroll.objects.unscoped("test").count(),
        PayrollLine.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(ServiceError, match="不能重复核算"):
        services.compute_payroll(SYSTEM, community, dt.date(2025, 6, 30))
    assert rows == (
        Payroll.objects.unscoped("test").count(),
        PayrollLine.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )


def test_payroll_api_compute_export_and_scope(city, users, api_for, crew, scale):
    client = api_for("street")
    response = client.post(
        reverse("wf-payroll-list"),
        {"community": city.communities[0].pk, "month": "2025-06-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    payroll_id = response.json()["id"]
    again = client.post(
        reverse("wf-payroll-list"),
        {"community": city.communities[0].pk, "month": "2025-06-01"},
        format="json",
    )
    assert again.status_code == 400 and "不能重复核算" in str(again.json())
    export = client.get(reverse("wf-payroll-export-xlsx", args=[payroll_id]))
    rows = read_xlsx(export.content)
    assert rows[-3]["姓名"] == "合计"
    assert Decimal(str(rows[-3]["应发合计"])) == Payroll.objects.unscoped("test").get(pk=payroll_id).total
    # A secretary may view but not compute; outside their district a street user gets a 400 "no such choice".
    assert (
        api_for("community_secretary")
        .post(
            reverse("wf-payroll-list"),
            {"community": city.communities[0].pk, "month": "2025-07-01"},
            format="json",
        )
        .status_code
        == 403
    )
    outside = client.post(
        reverse("wf-payroll-list"),
        {"community": city.communities[2].pk, "month": "2025-06-01"},
        format="json",
    )
    assert outside.status_code == 400
    assert not Payroll.objects.unscoped("test").filter(community=city.communities[2]).exists()


def test_scale_import_is_all_or_nothing(city, crew, scale):
    rows = known_rows()
    rows[0]["薪级"] = 19
    rows[1]["岗位工资"] = "-1"
    rows[2]["绩效工资"] = "12.345"
    rows.append(dict(rows[5]))
    with pytest.raises(ImportRejected) as exc:
        services.import_salary_scale(
            SYSTEM,
            upload(xlsx_bytes(rows, RATE_HEADERS)),
            name="坏",
            effective_from=dt.date(2026, 1, 1),
            city_share="0.5",
        )
    lines = {(e.line, e.field) for e in exc.value.errors}
    assert {(2, "薪级"), (3, "岗位工资"), (4, "绩效工资"), (56, "薪级")} <= lines
    assert SalaryScale.objects.count() == 1
    with pytest.raises(ImportRejected) as exc:
        services.import_salary_scale(
            SYSTEM,
            upload(xlsx_bytes(known_rows()[:-1], RATE_HEADERS)),
            name="缺",
            effective_from=dt.date(2026, 1, 1),
            city_share="0.5",
        )
    assert "缺少 1 个薪级" in exc.value.errors[0].reason
    with pytest.raises(ImportRejected) as exc:
        services.import_salary_scale(
            SYSTEM,
            upload(xlsx_bytes(known_rows(), RATE_HEADERS)),
            name="比例",
            effective_from=dt.date(2026, 1, 1),
            city_share="1.5",
        )
    assert "比例" in exc.value.errors[0].reason
    assert SalaryScale.objects.count() == 1


def test_scale_import_api_and_page(city, api_for, client_for, crew, scale):
    content = xlsx_bytes(known_rows(), RATE_HEADERS)
    assert (
        api_for("street")
        .post(reverse("wf-scale-import-xlsx"), {"file": upload(content)}, format="multipart")
        .status_code
        == 403
    )
    response = api_for("city_admin").post(
        reverse("wf-scale-import-xlsx"),
        {"file": upload(content), "name": "2026版", "effective_from": "2026-01-01", "city_share": "0.6"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["rates"] == 54
    html = client_for("community_secretary").get(reverse("workforce:salary")).content.decode()
    assert 'data-testid="salary-table"' in html and "2026版" in html
    export = client_for("community_secretary").get(
        reverse("workforce:salary_export", args=[response.json()["id"]])
    )
    assert len(read_xlsx(export.content)) == 54
