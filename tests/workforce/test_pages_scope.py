"""The workforce pages not covered by the generic classes of the other modules, in the scope matrix:
dashboard and checks (with exports, for an ?area= of the user's and 404 for another), lists, imports,
templates and exports, and the pages and form actions on one member of staff, payroll, competition or
studio (404 outside the user's scope)."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.workforce import queries, services
from gridgov.workforce.models import Payroll, SalaryScale

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from .conftest import SYSTEM
from .test_api import CrewObjects, DistrictCompetition, StaffObjects, community_outside
from .test_gaps import StudioObjects

pytestmark = pytest.mark.django_db

VIEW = ("workforce.view_staff",)
CHANGE = ("workforce.change_staff",)


def _check_code(test, city, user) -> list[str]:
    return [next(iter(queries.CHECKS))]


def _scale(test, city, user) -> list[int]:
    return [SalaryScale.objects.order_by("pk").values_list("pk", flat=True).first()]


@pytest.mark.usefixtures("crew")
class TestWorkforceCollectionPages(PageMatrixTests):
    pages = {
        "workforce:dashboard": Page(VIEW, area=True),
        "workforce:dashboard_export": Page(VIEW, area=True),
        "workforce:checks": Page(VIEW, area=True),
        "workforce:checks_export": Page(VIEW, area=True),
        "workforce:check": Page(VIEW, area=True, args=_check_code),
        "workforce:check_export": Page(VIEW, area=True, args=_check_code),
        "workforce:grid_history": Page(VIEW, area=True),
        "workforce:grid_history_export": Page(VIEW, area=True),
        "workforce:grid_links": Page(VIEW),
        "workforce:staff_export": Page(("workforce.export_staff",), audited=True),
        "workforce:staff_import": Page(("workforce.import_staff",)),
        "workforce:staff_template": Page(("workforce.import_staff",)),
        "workforce:quota": Page(("workforce.view_quotarule",)),
        "workforce:salary": Page(("workforce.view_salaryscale",)),
        "workforce:salary_export": Page(("workforce.view_salaryscale",), args=_scale),  # platform-wide
        "workforce:salary_import": Page(("workforce.import_salaryscale",)),
        "workforce:payroll_list": Page(("workforce.view_payroll",)),
        "workforce:payroll_list_export": Page(("workforce.view_payroll",)),
        "workforce:competition_create": Page(("workforce.add_competition",)),
        "workforce:studios": Page(("workforce.view_studio",)),
        "workforce:studio_export": Page(("workforce.view_studio",)),
        "workforce:salons": Page(("workforce.view_salon",)),
        "workforce:salon_export": Page(("workforce.view_salon",)),
    }


def _grid(test, city, user, obj) -> dict:
    return {"grid": city.grid_a.pk}


class TestStaffObjectPages(StaffObjects, ObjectPageTests):
    object_pages = {
        "workforce:staff_assign_grid": ObjectPage(CHANGE, method="post", data=_grid),
        "workforce:staff_unlink_grid": ObjectPage(CHANGE, method="post", data=_grid),
        "workforce:staff_join_corps": ObjectPage(CHANGE),
        "workforce:staff_studio_member": ObjectPage(CHANGE),
        "workforce:staff_salon_attendance": ObjectPage(CHANGE),
    }


class TestPayrollObjectPages(CrewObjects, ObjectPageTests):
    model = Payroll
    object_pages = {
        "workforce:payroll_detail": ObjectPage(("workforce.view_payroll",)),
        "workforce:payroll_export": ObjectPage(("workforce.view_payroll",)),
    }

    @pytest.fixture(autouse=True)
    def _payrolls(self, crew, city):
        self.payrolls = {
            c.path: services.compute_payroll(SYSTEM, c, dt.date(2025, 6, 1))
            for c in [*city.communities, city.other_city[3]]
        }

    def in_scope(self, city, user):
        return self.payrolls[city.communities[0].path]

    def out_of_scope(self, city, user):
        return self.payrolls[community_outside(city, user).path]


class TestCompetitionObjectPages(DistrictCompetition, ObjectPageTests):
    from gridgov.workforce.models import Competition as model

    object_pages = {
        "workforce:competition": ObjectPage(VIEW, sees=("city_admin", "district")),
        "workforce:competition_export": ObjectPage(VIEW, sees=("city_admin", "district")),
        "workforce:competition_edit": ObjectPage(("workforce.change_competition",)),
    }

    def in_scope(self, city, user):
        return self.competitions[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.competitions[self.district_outside(city, user).pk]


class TestStudioEditPage(StudioObjects, ObjectPageTests):
    object_pages = {"workforce:studio_edit": ObjectPage(("workforce.change_studio",))}
