"""Closing a work order in a grid gives that grid's full-time worker points (events → points hook)."""

from __future__ import annotations

from types import SimpleNamespace

from gridgov.events import hooks
from gridgov.points import ledger, services
from gridgov.points.hooks import award_grid_worker_for_closed_event
from gridgov.points.models import StaffAward

from .conftest import SYSTEM
from .test_staff import make_staff


def _assigned_worker(city):
    from gridgov.workforce import services as wf

    staff = make_staff(city.resident_a)
    wf.assign_grid(SYSTEM, staff, city.grid_a, reason="测试")
    return staff


def _event(pk: int, area_path: str):
    return SimpleNamespace(pk=pk, area_path=area_path, __str__=lambda self: "楼道堆物")


def test_the_hook_is_registered_for_closed_events():
    assert award_grid_worker_for_closed_event in hooks.registered("closed")


def test_closing_an_event_in_the_grid_pays_its_worker_once(funded, settings):
    settings.GRIDGOV_POINTS_PER_CLOSED_EVENT = 3
    staff = _assigned_worker(funded)
    event = _event(41, funded.resident_a.area_path)
    award_grid_worker_for_closed_event(event, None)
    award_grid_worker_for_closed_event(event, None)  # the same event again: the source key makes it once
    assert StaffAward.objects.unscoped("test").filter(source="events.event:41:closed").count() == 1
    assert services.staff_account(staff).balance == 3
    assert services.grid_account(funded.grid_a).balance == 3
    assert ledger.check_invariants() == []


def test_no_worker_or_no_grid_means_no_award(funded):
    _assigned_worker(funded)
    other_grid_event = _event(42, funded.grid_b.path)
    award_grid_worker_for_closed_event(other_grid_event, None)  # grid B has no assigned worker
    award_grid_worker_for_closed_event(_event(43, funded.communities[0].path), None)  # above grid level
    assert not StaffAward.objects.unscoped("test").exists()


def test_an_empty_pool_does_not_fail_the_close(city):
    """Without funded pools the award is refused by the ledger; the hook logs it and returns."""
    _assigned_worker(city)
    award_grid_worker_for_closed_event(_event(44, city.resident_a.area_path), None)
    assert not StaffAward.objects.unscoped("test").exists()
    assert ledger.check_invariants() == []
