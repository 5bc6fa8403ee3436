"""Scope tests for the people endpoints that had none: tags (a platform-wide vocabulary) and background
jobs (each user sees only their own)."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import User
from gridgov.core.models import Job
from gridgov.people.models import Tag

from ..base import VIEW_PEOPLE_ROLES, DetailAPITests, ListAPITests, PlatformAPITests
from ..conftest import ROLES


class TestTagAPI(PlatformAPITests):
    basename = "tag"
    model = Tag
    allowed_roles = VIEW_PEOPLE_ROLES
    denied_roles = ("property", "resident")
    key_field = "code"


class TestJobAPI(ListAPITests, DetailAPITests):
    """A job belongs to the user who started it: another user's job is not found, whatever their rank."""

    basename = "job"
    model = Job
    allowed_roles = tuple(ROLES)  # every login may follow its own jobs
    denied_roles = ()

    @pytest.fixture(autouse=True)
    def _jobs(self, users):
        for user in users.values():  # everyone has a job before the lists are read
            self.in_scope(None, user)
            Job.objects.create(kind="people.export_households", owner=user)

    def in_scope(self, city, user):
        return Job.objects.get_or_create(kind="people.export_residents", owner=user)[0]

    def out_of_scope(self, city, user):
        # another user's job: the grid worker's (below everyone else), or for the grid worker the city
        # administrator's
        other = User.objects.get(username="city_admin" if user.username == "grid_worker" else "grid_worker")
        return Job.objects.get_or_create(kind="people.export_households", owner=other)[0]

    def expected_visible_pks(self, user):
        return set(Job.objects.filter(owner=user).values_list("pk", flat=True))
