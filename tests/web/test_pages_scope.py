"""The web app's pages in the scope matrix: the role homes, the audit log, background jobs (scoped to
their owner) and the Django admin (staff only)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from gridgov.core.models import Job

from ..base import AdminSiteTests, ObjectPage, ObjectPageTests, Page, PageMatrixTests
from ..conftest import ROLES

pytestmark = pytest.mark.django_db

EVERYONE = tuple(ROLES)


class TestHomePages(PageMatrixTests):
    pages = {
        # every role lands somewhere: its area's page (a redirect) or its phone page
        "web:home": Page((), passed=(200, 302), roles=EVERYONE),
        "web:area_home": Page(("areas.view_area",), passed=302),
        "web:grid_home": Page((), roles=("grid_worker",)),
        "web:resident_home": Page((), roles=("resident",)),
        "web:property_home": Page((), roles=("property",)),
        "web:audit": Page(("core.view_auditevent",)),
    }


class TestJobPages(ObjectPageTests):
    """A background job is its owner's alone: anyone else's job is a 404, whatever their role."""

    model = Job
    object_pages = {
        "web:job": ObjectPage((), roles=EVERYONE),
        "web:job_download": ObjectPage((), roles=EVERYONE),
    }

    @pytest.fixture(autouse=True)
    def _jobs(self, users):
        self.jobs = {}
        for key, user in users.items():
            job = Job.objects.create(kind="tests.export", owner=user, status="done")
            job.result_file.save(f"{key}.xlsx", ContentFile(b"PK\x03\x04"), save=True)
            self.jobs[key] = job

    def in_scope(self, city, user):
        return self.jobs[user.username]

    def out_of_scope(self, city, user):
        return self.jobs["grid_worker_b" if user.username != "grid_worker_b" else "city_admin"]


class TestAdminSite(AdminSiteTests):
    pass
