"""The performance pay other apps set on a payroll (workforce.services.set_performance_pay): scope, the
recomputed totals and split, set once per payroll (a replay changes nothing), bad input refused."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.workforce import services
from gridgov.workforce.models import Payroll, PayrollLine
from gridgov.workforce.services import payroll as payroll_services

from .conftest import SYSTEM

MONTH = dt.date(2025, 6, 1)
SOURCE = "test.performance"


def state(payroll: Payroll):
    """Everything the service may write, plus the audit count: equal before and after means nothing changed."""
    row = Payroll.objects.unscoped("test").get(pk=payroll.pk)
    lines = PayrollLine.objects.unscoped("test").filter(payroll=payroll).order_by("id")
    return (
        (row.total, row.city_amount, row.district_amount, row.performance_source),
        [(line.pk, line.performance_pay, line.total) for line in lines],
        AuditEvent.objects.count(),
    )


def scaled(payroll: Payroll, factor: str) -> dict[int, Decimal]:
    return {
        line.pk: (line.performance_pay * Decimal(factor)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for line in PayrollLine.objects.unscoped("test").filter(payroll=payroll)
    }


@pytest.fixture
def payroll(city, crew):
    return services.compute_payroll(SYSTEM, city.communities[0], MONTH)


def test_sets_lines_totals_and_split_audited(users, payroll):
    standard = {
        line.pk: (line.performance_pay, line.total)
        for line in PayrollLine.objects.unscoped("test").filter(payroll=payroll)
    }
    amounts = scaled(payroll, "1.2")
    result = services.set_performance_pay(users["district"], payroll, amounts, source=SOURCE)
    lines = {line.pk: line for line in PayrollLine.objects.unscoped("test").filter(payroll=payroll)}
    for pk, (pay, total) in standard.items():
        assert lines[pk].performance_pay == amounts[pk] != pay
        assert lines[pk].total == total - pay + amounts[pk]
    result.refresh_from_db()
    assert result.total == sum(line.total for line in lines.values())
    assert result.city_amount == (result.total * result.scale.city_share).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert result.city_amount + result.district_amount == result.total
    assert result.performance_source == SOURCE
    event = AuditEvent.objects.get(action="workforce.set_performance_pay")
    assert event.object_id == str(payroll.pk) and event.actor == users["district"]
    assert event.after["performance_pay"] == {str(pk): str(v) for pk, v in amounts.items()}
    assert event.before["total"] != event.after["total"]


def test_refuses_out_of_scope_payroll_and_changes_nothing(city, users, crew):
    # 西一社区 lies in 西城区: outside the district user's 东城区, and outside a community secretary's own
    elsewhere = services.compute_payroll(SYSTEM, city.communities[2], MONTH)
    before = state(elsewhere)
    for role in ("district", "community_secretary", "grid_worker"):
        with pytest.raises(OutOfScope):
            services.set_performance_pay(users[role], elsewhere, scaled(elsewhere, "1.1"), source=SOURCE)
        with pytest.raises(OutOfScope):
            services.lock_payroll(users[role], elsewhere)
    assert state(elsewhere) == before
    # the city administrator reaches it
    services.set_performance_pay(users["city_admin"], elsewhere, scaled(elsewhere, "1.1"), source=SOURCE)
    assert state(elsewhere) != before


def test_second_call_for_the_same_payroll_changes_nothing(users, payroll):
    amounts = scaled(payroll, "0.8")
    services.set_performance_pay(users["district"], payroll, amounts, source=SOURCE)
    after_first = state(payroll)
    again = services.set_performance_pay(users["district"], payroll, dict(amounts), source=SOURCE)
    assert again.pk == payroll.pk
    assert state(payroll) == after_first  # no line, total or audit row written the second time
    # anything else for the same payroll is refused, changing nothing: other amounts, another source
    with pytest.raises(ServiceError, match="不能重复核定"):
        services.set_performance_pay(users["district"], payroll, scaled(payroll, "1.3"), source=SOURCE)
    with pytest.raises(ServiceError, match="不能重复核定"):
        services.set_performance_pay(users["district"], payroll, amounts, source="other.app")
    assert state(payroll) == after_first


@pytest.mark.parametrize(
    "bad",
    ["-1.00", "12.345", "abc", "NaN", "Infinity", "1e30", "10000000.00", ""],
)
def test_bad_amount_refused_with_a_message(users, payroll, bad):
    amounts: dict = scaled(payroll, "1")
    amounts[next(iter(amounts))] = bad
    before = state(payroll)
    with pytest.raises(ServiceError, match="绩效工资应为"):
        services.set_performance_pay(users["district"], payroll, amounts, source=SOURCE)
    assert state(payroll) == before


def test_lines_must_match_the_payroll(city, users, payroll):
    other = services.compute_payroll(SYSTEM, city.communities[1], MONTH)
    amounts = scaled(payroll, "1")
    before = state(payroll)
    missing = dict(list(amounts.items())[1:])
    foreign = {**amounts, **scaled(other, "1")}
    for wrong in (missing, foreign, {}):
        with pytest.raises(ServiceError, match="逐行核定"):
            services.set_performance_pay(users["district"], payroll, wrong, source=SOURCE)
    for source in ("", "   ", "x" * 101):
        with pytest.raises(ServiceError, match="来源"):
            services.set_performance_pay(users["district"], payroll, amounts, source=source)
    assert state(payroll) == before


# every public name of the single module workforce/services.py had, before it became a package
OLD_PUBLIC_NAMES = [
    "CENT",
    "SALON_LEVELS",
    "StaffImportResult",
    "add_certificate",
    "add_presentation",
    "add_round",
    "assign_grid",
    "change_post",
    "compute_grade",
    "compute_payroll",
    "create_competition",
    "create_salon",
    "create_studio",
    "designate_successor",
    "evaluate",
    "export_payroll",
    "export_staff",
    "hire_staff",
    "import_salary_scale",
    "import_staff",
    "promote_staff",
    "rates_of",
    "record_training",
    "replace_secretary",
    "scale_for",
    "score_presentation",
    "split",
    "unassign_grid",
    "update_competition",
    "update_studio",
    "years_between",
]


def test_package_keeps_every_public_name():
    """The split into per-topic modules keeps `services.X` working for every public name."""
    assert set(OLD_PUBLIC_NAMES) <= set(services.__all__)
    for name in services.__all__:
        assert hasattr(services, name), name
    assert services.set_performance_pay is payroll_services.set_performance_pay
