"""Scope tests for the workforce endpoints beyond list and detail: the staff's career actions, imports and
exports, a competition's ranking, scoring a presentation, a payroll's export, the salary scale (a
platform-wide table), the checks and the figures."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.workforce import queries, services
from gridgov.workforce.models import Competition, Payroll, Presentation, SalaryScale

from ..base import (
    Action,
    ActionAPITests,
    AreaQueryAPITests,
    Call,
    EndpointMatrixTests,
    PlatformAPITests,
)
from .conftest import SYSTEM
from .test_api import WF_DENIED, WF_VIEW_ROLES, CrewObjects, DistrictCompetition, StaffObjects

CHANGE = ("workforce.change_staff",)


class TestStaffActionsAPI(StaffObjects, ActionAPITests):
    """A community's secretary; every body is valid for a user who sees community 1 (grid A)."""

    basename = "wf-staff"
    actions = {
        "wf-staff-assign-grid": Action(CHANGE, data=lambda t, c, u: {"grid": c.grid_a.pk, "reason": "调整"}),
        "wf-staff-unassign-grid": Action(CHANGE, data=lambda t, c, u: {"reason": "调整"}),
        "wf-staff-certificate": Action(
            CHANGE, data=lambda t, c, u: {"kind": "social_worker", "issued_on": "2024-05-01"}
        ),
        "wf-staff-training": Action(
            CHANGE, data=lambda t, c, u: {"kind": "secondment", "started_on": "2024-03-01"}
        ),
        "wf-staff-evaluate": Action(
            CHANGE,
            data=lambda t, c, u: {
                "year": 2024,
                "fit_score": "90",
                "satisfaction": "95",
                "outcome": "excellent",
            },
        ),
        "wf-staff-promote": Action(CHANGE),
        "wf-staff-successor": Action(CHANGE),
        "wf-staff-replace": Action(
            (*CHANGE, "workforce.replace_secretary"), data=lambda t, c, u: {"reason": "other", "note": "调动"}
        ),
    }


class TestStaffFilesAPI(CrewObjects, EndpointMatrixTests):
    calls = {
        "wf-staff-export-xlsx": Call(("workforce.view_staff", "workforce.export_staff"), audited=True),
        "wf-staff-import-xlsx": Call(
            ("workforce.add_staff", "workforce.import_staff"), method="post", multipart=True, passed=400
        ),
    }


class TestCompetitionRankingAPI(DistrictCompetition, ActionAPITests):
    basename = "wf-competition"
    model = Competition
    actions = {"wf-competition-ranking": Action(("workforce.view_competition",), method="get")}

    def in_scope(self, city, user):
        return self.competitions[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.competitions[self.district_outside(city, user).pk]


class TestPresentationScoreAPI(DistrictCompetition, ActionAPITests):
    basename = "wf-presentation"
    model = Presentation
    actions = {
        "wf-presentation-score": Action(
            ("workforce.change_presentation",), data=lambda t, c, u: {"judge": "甲", "score": "90"}
        )
    }

    def in_scope(self, city, user):
        return self.presentations[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.presentations[self.district_outside(city, user).pk]


class TestPayrollExportAPI(CrewObjects, ActionAPITests):
    basename = "wf-payroll"
    model = Payroll
    actions = {"wf-payroll-export-xlsx": Action(("workforce.view_payroll",), method="get")}

    @pytest.fixture(autouse=True)
    def _payrolls(self, crew, city):
        self.payrolls = {
            c.path: services.compute_payroll(SYSTEM, c, dt.date(2025, 6, 1))
            for c in [*city.communities, city.other_city[3]]
        }

    def in_scope(self, city, user):
        return self.payrolls[city.communities[0].path]

    def out_of_scope(self, city, user):
        return self.payrolls[city.unit_outside(user).parent.parent.parent.path]


class TestSalaryScaleAPI(PlatformAPITests):
    """The 3 posts × 18 grades table is the same for the whole city."""

    basename = "wf-scale"
    model = SalaryScale
    allowed_roles = WF_VIEW_ROLES
    denied_roles = WF_DENIED

    @pytest.fixture(autouse=True)
    def _scale(self, scale):
        pass


class TestSalaryScaleFilesAPI(EndpointMatrixTests):
    """The export of a version (any reader of the scale); a new version from xlsx (the city only; a request
    without the file and its start date is the 400 of a rejected import)."""

    calls = {
        "wf-scale-export-xlsx": Call(
            ("workforce.view_salaryscale",), args=lambda t, c: [SalaryScale.objects.order_by("pk").first().pk]
        ),
        "wf-scale-import-xlsx": Call(
            ("workforce.add_salaryscale", "workforce.import_salaryscale"),
            method="post",
            multipart=True,
            passed=400,
        ),
    }

    @pytest.fixture(autouse=True)
    def _scale(self, scale):
        pass


class WorkforceArea(AreaQueryAPITests):
    allowed_roles = WF_VIEW_ROLES
    denied_roles = WF_DENIED

    @pytest.fixture(autouse=True)
    def _crew(self, crew):
        pass


class TestWorkforceCheckListAPI(WorkforceArea):
    url_name = "wf-check-list"


class TestWorkforceCheckDetailAPI(WorkforceArea):
    url_name = "wf-check-detail"
    url_args = (next(iter(queries.CHECKS)),)


class TestWorkforceFiguresAPI(WorkforceArea):
    url_name = "wf-figures-list"
