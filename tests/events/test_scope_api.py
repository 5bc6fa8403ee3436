"""Scope tests for the events endpoints beyond list and detail: every transition of a work order and
the attachment, the duplicate lookup, patrol logs, grid councils and the categories."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.core.actors import SystemActor
from gridgov.events import services
from gridgov.events.models import Category, Event, GridCouncil, PatrolLog

from ..base import (
    Action,
    ActionAPITests,
    Call,
    DetailAPITests,
    EndpointMatrixTests,
    ListAPITests,
    PlatformAPITests,
)
from ..conftest import ROLES
from .conftest import NOW

SYSTEM = SystemActor("tests")
STAFF = ("city_admin", "district", "street", "community_secretary", "community_worker", "grid_worker")
DISPATCH = ("events.dispatch_event",)
HANDLE = ("events.handle_event",)


def _category() -> Category:
    return Category.objects.get(code="env.garbage")


class WorkOrders:
    """A work order reported at unit A (inside every user's scope) and one in the other city."""

    model = Event

    @pytest.fixture(autouse=True)
    def _orders(self, city):
        self.inside = services.report_event(
            SYSTEM, category=_category(), title="路灯坏了", area=city.unit_a, now=NOW
        )
        self.outside = services.report_event(
            SYSTEM, category=_category(), title="外市事件", area=city.other_city[-1], now=NOW
        )

    def in_scope(self, city, user):
        return self.inside

    def out_of_scope(self, city, user):
        return self.outside


def _note(test, city, user):
    return {"note": "理由"}


def _attachment(test, city, user):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    return {"file": SimpleUploadedFile("p.png", png, content_type="image/png")}


class TestEventTransitionsAPI(WorkOrders, ActionAPITests):
    """Each body is one the transition accepts, naming work orders inside the user's scope, so the 404 for
    the other city's work order is the scope's."""

    basename = "event"
    actions = {
        "event-reject": Action(DISPATCH, data=_note),
        "event-merge": Action(DISPATCH, data=lambda t, c, u: {"into": t.inside.pk}),
        "event-dispatch": Action(DISPATCH, data=lambda t, c, u: {"assignee_kind": "grid"}),
        "event-verify": Action(DISPATCH),
        "event-reopen": Action(DISPATCH, data=_note),
        "event-close": Action(DISPATCH),
        "event-escalate": Action(DISPATCH),
        "event-start": Action(HANDLE),
        "event-return": Action(HANDLE, data=_note),
        "event-finish": Action(HANDLE, data=lambda t, c, u: {"result": "已处理"}),
        "event-rate": Action(("events.rate_event",), data=lambda t, c, u: {"rating": 5}),
        "event-attach": Action(("events.view_event",), data=_attachment, multipart=True),
    }


class TestEventDuplicatesAPI(EndpointMatrixTests):
    """Every role that may report may look for duplicates before it does (unit A is in everyone's scope)."""

    calls = {
        "event-duplicates": Call(
            ("events.add_event",), data=lambda t, c: {"category": _category().pk, "area": c.unit_a.pk}
        )
    }


class TestEventCategoryAPI(PlatformAPITests):
    """The categories of work orders are the same for every role, residents included."""

    basename = "event-category"
    model = Category
    allowed_roles = tuple(ROLES)
    denied_roles = ()


class GridRecords:
    """One record per grid (and one in the other city's grid): a user's nearest grid outside its scope
    holds one."""

    allowed_roles = STAFF
    denied_roles = ("property", "resident")

    def make(self, grid):
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _records(self, city):
        self.records = {grid.pk: self.make(grid) for grid in [*city.grids, city.other_city[4]]}

    def in_scope(self, city, user):
        return self.records[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.records[city.unit_outside(user).parent.parent_id]


class TestPatrolLogAPI(GridRecords, ListAPITests, DetailAPITests):
    basename = "event-patrol"
    model = PatrolLog

    def make(self, grid):
        return services.log_patrol(SYSTEM, area=grid, kind="patrol", place="3号楼", started_at=NOW)


class TestGridCouncilAPI(GridRecords, ListAPITests, DetailAPITests):
    basename = "event-council"
    model = GridCouncil

    def make(self, grid):
        return services.record_council(SYSTEM, area=grid, held_on=dt.date(2026, 3, 4), topic="停车难")
