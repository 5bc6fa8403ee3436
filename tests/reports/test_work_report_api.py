"""Generic scope tests (tests/base.py) for /api/reports/work-reports/: the list shows exactly the reports of the
caller's subtree, a report outside it is a 404 like a missing id (detail and the docx download), and only the
roles that view the indicator tables may read them.

The reports here are rows with a small valid .docx (the generic tests are about scope, not about the document;
tests/reports/test_work_report.py generates real ones)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile

from gridgov.reports.models import WorkReport

from ..base import Action, ActionAPITests, DetailAPITests, ListAPITests, roles_with

VIEWERS = roles_with("reports.view_indicatorsnapshot")
DENIED = ("grid_worker", "property", "resident")
_DOCX: dict[str, bytes] = {}


def small_docx() -> bytes:
    if "doc" not in _DOCX:
        from docx import Document

        doc = Document()
        doc.add_paragraph("工作报告")
        out = io.BytesIO()
        doc.save(out)
        _DOCX["doc"] = out.getvalue()
    return _DOCX["doc"]


def reports_everywhere(city) -> list[WorkReport]:
    """One report for every area from the city down to grids, and one in the second city."""
    existing = list(WorkReport.objects.unscoped("test fixture").order_by("pk"))
    if existing:
        return existing
    areas = [city.city, *city.districts, *city.streets, *city.communities, *city.grids, city.other_city[0]]
    made = []
    for area in areas:
        report = WorkReport(
            area=area, area_path=area.path, period="", title=f"{area.name}工作报告", figures={}
        )
        report.docx.save(f"t-{area.pk}.docx", ContentFile(small_docx()), save=False)
        report.save()
        made.append(report)
    return made


@pytest.fixture(autouse=True)
def _reports(request):
    """The reports exist before a test's first request (the list is asked for before `in_scope`)."""
    if "city" in request.fixturenames:
        reports_everywhere(request.getfixturevalue("city"))


class WorkReportObjects:
    model = WorkReport

    def in_scope(self, city, user):
        reports = reports_everywhere(city)
        own = [r for r in reports if user.area.path.startswith(r.area_path)]
        return max(own, key=lambda r: len(r.area_path))  # the user's own area (an ancestor for the denied)

    def out_of_scope(self, city, user):
        reports = reports_everywhere(city)
        outside = [r for r in reports if not r.area_path.startswith(user.area.path)]

        def shared(r: WorkReport) -> int:
            return next(
                (i for i, (a, b) in enumerate(zip(r.area_path, user.area.path, strict=False)) if a != b), 0
            )

        return max(outside, key=shared)  # the nearest: a sibling rather than the other city


class TestWorkReportListAPI(WorkReportObjects, ListAPITests):
    basename = "report-work-report"
    allowed_roles = VIEWERS
    denied_roles = DENIED


class TestWorkReportDetailAPI(WorkReportObjects, DetailAPITests):
    basename = "report-work-report"
    allowed_roles = VIEWERS
    denied_roles = DENIED


class TestWorkReportDocxAPI(WorkReportObjects, ActionAPITests):
    basename = "report-work-report"
    actions = {"report-work-report-docx": Action(perms=("reports.view_indicatorsnapshot",), method="get")}


def test_viewers_and_generators():
    assert set(VIEWERS) == {"city_admin", "district", "street", "community_secretary", "community_worker"}
    assert set(roles_with("reports.generate_workreport")) == set(
        roles_with("reports.refresh_indicatorsnapshot")
    )
