"""The data hub's pages in the scope matrix: the collection pages (sources, tokens, runs, findings, the
grid worker's checks, trends and the dispatch of the filtered findings), the pages of one source (by its
code), a batch and its raw file, a run, and a finding with its form actions (404 outside the user's scope,
like a missing id, and nothing changes).

Department logins (public security, civil affairs, ...) are not among conftest's roles: their narrowing
to their own sources, batches and findings is tested in tests/datahub/test_roles.py and test_pages.py
(test_department_sees_and_pushes_only_its_own_sources, test_police_cannot_open_a_civil_affairs_batch)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.datahub.models import Batch, BatchStatus, Finding, Run, Source

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests, roles_with
from .test_api import _findings

pytestmark = pytest.mark.django_db

VIEW_BATCH = ("datahub.view_batch",)
VIEW_FINDING = ("datahub.view_finding",)
SOURCE = "ca_death"


def _source_args(test, city, user):
    return [SOURCE]


class TestCollectionPages(PageMatrixTests):
    pages = {
        "datahub:sources": Page(VIEW_BATCH),
        "datahub:source": Page(VIEW_BATCH, args=_source_args),
        "datahub:upload": Page(("datahub.push_batch",), args=_source_args),
        "datahub:template": Page(VIEW_BATCH, args=_source_args),
        "datahub:tokens": Page(("datahub.add_departmenttoken",)),
        "datahub:runs": Page(("datahub.view_run",)),
        "datahub:findings": Page(VIEW_FINDING),
        "datahub:my_checks": Page(("datahub.verify_finding",)),
        "datahub:trends": Page(VIEW_FINDING),
        # nothing open to dispatch here: back to the list; department logins are refused (test_pages.py)
        "datahub:dispatch_all": Page(("events.dispatch_event", *VIEW_FINDING), method="post", passed=302),
    }


@pytest.mark.parametrize("name", ["datahub:source", "datahub:upload", "datahub:template"])
def test_a_source_code_that_does_not_exist_is_404(client_for, city, name):
    assert client_for("city_admin").get(reverse(name, args=["nosuch"])).status_code == 404


def _batch(path: str) -> Batch:
    batch = Batch.objects.create(
        source=Source.objects.get(code=SOURCE),
        batch_id=f"scope-{path}",
        sha256=path.rjust(64, "0"),
        status=BatchStatus.ACCEPTED,
        channel="upload",
        filename="deaths.csv",
        area_path=path,
    )
    batch.file.save("deaths.csv", ContentFile("姓名,身份证号\r\n".encode()), save=True)
    return batch


class TestBatchPages(ObjectPageTests):
    """Batches are city-level (a department's delivery): the city administrator's, and another city's is
    404 like a missing id."""

    model = Batch
    object_pages = {
        "datahub:batch": ObjectPage(VIEW_BATCH),
        "datahub:batch_raw": ObjectPage(("datahub.view_raw_batch",)),
    }

    @pytest.fixture(autouse=True)
    def _rows(self, city):
        _batch(city.city.path)
        _batch(city.other_city[0].path)

    def in_scope(self, city, user):
        return Batch.objects.unscoped("test").get(area_path=city.city.path)

    def out_of_scope(self, city, user):
        return Batch.objects.unscoped("test").get(area_path=city.other_city[0].path)


class TestRunPage(ObjectPageTests):
    model = Run
    object_pages = {"datahub:run": ObjectPage(("datahub.view_run",))}

    def in_scope(self, city, user):
        return Run.objects.unscoped("test").get_or_create(area_path=user.area.path)[0]

    def out_of_scope(self, city, user):
        return Run.objects.unscoped("test").get_or_create(area_path=city.unit_outside(user).path)[0]


class FindingScope(ObjectPageTests):
    model = Finding

    @pytest.fixture(autouse=True)
    def _rows(self, city):
        _findings(city)

    def in_scope(self, city, user):
        rows = Finding.objects.unscoped("test").order_by("area_path")
        return next(f for f in rows if f.area_path.startswith(user.area.path))

    def out_of_scope(self, city, user):
        return Finding.objects.unscoped("test").get(area_path=city.unit_outside(user).path)


class TestFindingPage(FindingScope):
    object_pages = {"datahub:finding": ObjectPage(VIEW_FINDING)}


class TestFindingDecideAction(FindingScope):
    """The outcome form: a role that may view but not decide (the grid worker) gets 403."""

    object_pages = {
        "datahub:finding": ObjectPage(
            (*VIEW_FINDING, "datahub.decide_finding"),
            method="post",
            data=lambda t, c, u, o: {"action": "decide", "d-outcome": "confirmed", "d-note": "属实"},
        )
    }


class TestFindingDispatchAction(FindingScope):
    object_pages = {
        "datahub:finding": ObjectPage(
            (*VIEW_FINDING, "events.dispatch_event"),
            method="post",
            data=lambda t, c, u, o: {"action": "dispatch"},
        )
    }


class TestFindingUnmaskAction(FindingScope):
    object_pages = {
        "datahub:finding": ObjectPage(
            (*VIEW_FINDING, "datahub.unmask_finding"),
            method="post",
            data=lambda t, c, u, o: {"action": "unmask"},
        )
    }


def test_dispatch_all_leaves_findings_outside_the_scope_alone(city, users, client_for):
    """The street's dispatch of every open finding dispatches its own and no other street's."""
    _findings(city)
    user = users["street"]
    assert "street" in roles_with("events.dispatch_event", *VIEW_FINDING)
    outside = Finding.objects.unscoped("test").exclude(area_path__startswith=user.area.path)
    before = {f.pk: (f.status, f.work_order_id) for f in outside}
    audit_rows = AuditEvent.objects.count()
    response = client_for("street").post(reverse("datahub:dispatch_all"))
    assert response.status_code == 302
    assert {f.pk: (f.status, f.work_order_id) for f in outside.all()} == before
    mine = Finding.objects.unscoped("test").filter(area_path__startswith=user.area.path)
    assert mine.exists() and all(f.work_order_id is not None for f in mine)
    assert AuditEvent.objects.count() > audit_rows
