"""The reports pages in the scope matrix: the indicator table, its export and the cockpit (for an ?area= of
the user's, 404 for another), the refresh and the work-report form, and one work report's page, file and
charts (404 outside the user's scope)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from gridgov.core.actors import SystemActor
from gridgov.reports import workreport
from gridgov.reports.models import WorkReport

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("tests.reports")
VIEW = ("reports.view_indicatorsnapshot",)


class TestReportCollectionPages(PageMatrixTests):
    pages = {
        "reports:index": Page(VIEW, area=True),
        "reports:export": Page(VIEW, area=True),
        "reports:cockpit": Page(VIEW, area=True),
        "reports:refresh": Page(
            ("reports.refresh_indicatorsnapshot",),
            method="post",
            area=True,
            passed=302,
            audited=True,
            data=lambda t, c, u: {"period": "2025-03"},
        ),
        "reports:work_report": Page(VIEW),
    }


@pytest.fixture(scope="module")
def _module_reports(_module_city, django_db_blocker, tmp_path_factory):
    """The work reports of grid A and of every grid some user finds outside its scope, generated once for
    the module (a report takes a second or two) into the module's own media directory."""
    media = tmp_path_factory.mktemp("work-reports")
    if _module_city is None:
        yield None, media
        return
    city = _module_city[0]
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock():
        grids = [city.grids[i] for i in (0, 1, 2, 4)] + [city.other_city[4]]
        yield {g.pk: workreport.generate_work_report(SYSTEM, area=g).pk for g in grids}, media


class TestWorkReportPages(ObjectPageTests):
    model = WorkReport
    object_pages = {
        "reports:work_report_detail": ObjectPage(VIEW),
        "reports:work_report_docx": ObjectPage(VIEW),
        "reports:work_report_chart": ObjectPage(VIEW, extra_args=lambda t, o: [0]),
    }

    @pytest.fixture(autouse=True)
    def _media_root(self, settings, _module_reports):
        """Overrides conftest's per-test media directory: the reports' files are the module's."""
        reports, settings.MEDIA_ROOT = _module_reports
        if reports is None:
            pytest.fail("the module's shared city is gone")
        self.reports = reports

    def _report(self, grid):
        return WorkReport.objects.unscoped("test oracle").get(pk=self.reports[grid.pk])

    def in_scope(self, city, user):
        return self._report(city.grid_a)

    def out_of_scope(self, city, user):
        return self._report(city.unit_outside(user).parent.parent)
