"""A service always has an actor: `actor=None` is refused (TypeError, nothing written), a SystemActor runs
every check, passes it, and is audited by its job's name."""

from __future__ import annotations

import pytest

from gridgov.accounts import services as account_services
from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.areas import services as area_services
from gridgov.areas.models import Area, AreaChange
from gridgov.core.actors import SystemActor, actor_may, require_actor, skips_checks
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope, check_reach
from gridgov.events import services as event_services
from gridgov.events.models import Category, Event
from gridgov.people import services as people_services
from gridgov.people.models import Household

from ..base import state_of

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("tests.actors")


def test_skips_checks_refuses_none_and_skips_nobody(users):
    with pytest.raises(TypeError, match="SystemActor"):
        skips_checks(None)
    with pytest.raises(TypeError):
        require_actor(None)
    assert skips_checks(SYSTEM) is False
    assert skips_checks(users["grid_worker"]) is False
    require_actor(SYSTEM)
    require_actor(users["grid_worker"])


def test_the_shared_checks_refuse_none_and_pass_the_system(city, users):
    outside = city.other_city[-1].path
    with pytest.raises(TypeError):
        check_reach(None, outside)
    with pytest.raises(TypeError):
        actor_may(None, "accounts.manage_user")
    check_reach(SYSTEM, outside)  # the system reaches every area
    assert actor_may(SYSTEM, "accounts.manage_user") and actor_may(SYSTEM, "no.such_permission")
    with pytest.raises(OutOfScope):
        check_reach(users["grid_worker"], outside)
    assert not actor_may(users["grid_worker"], "accounts.manage_user")


def _counts() -> tuple[int, ...]:
    return (
        AuditEvent.objects.count(),
        User.objects.count(),
        Area.objects.unscoped("test: count every area").count(),
        AreaChange.objects.unscoped("test: count every area change").count(),
        Household.objects.unscoped("test: count every household").count(),
        Event.objects.unscoped("test: count every event").count(),
    )


def test_a_service_called_with_none_raises_type_error_and_writes_nothing(city):
    category = Category.objects.create(code="t-actor", name="测试分类")
    unit = city.unit_a
    before_unit = state_of(unit)
    before = _counts()
    calls = [
        # a permission check first (actor_may)
        lambda: account_services.create_user(
            None, username="nobody", password="Qingshan-2025!", role=Role.GRID_WORKER, area=city.grid_a
        ),
        # a locked row re-checked (lock_in_scope -> check_reach)
        lambda: people_services.create_household(None, unit=unit, number="808"),
        lambda: area_services.retire_area(None, unit, reason="拆除"),
        # an app's own check (events: _check_report_area)
        lambda: event_services.report_event(None, category=category, title="井盖缺失", area=city.grid_a),
        # the keyword form
        lambda: area_services.create_area(actor=None, parent=city.building_a, name="无主单元"),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="services need an actor"):
            call()
    assert _counts() == before
    assert state_of(unit) == before_unit
    assert not User.objects.filter(username="nobody").exists()


def test_a_system_actor_call_passes_the_checks_and_is_audited_as_system(city):
    unit = city.other_city[-1]  # no user of the first city reaches it; the system does
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    household = people_services.create_household(SYSTEM, unit=unit, number="808")
    assert household.area_path == unit.path
    area = area_services.create_area(SYSTEM, parent=city.building_a, name="系统单元")
    user = account_services.create_user(
        SYSTEM, username="by-system", password="Qingshan-2025!", role=Role.GRID_WORKER, area=city.grid_a
    )
    rows = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [(r.action, r.object_id) for r in rows] == [
        ("people.create_household", str(household.pk)),
        ("areas.create", str(area.pk)),
        ("accounts.create_user", str(user.pk)),
    ]
    assert {(r.actor_id, r.actor_label) for r in rows} == {(None, "system:tests.actors")}
    change = AreaChange.objects.unscoped("test: the history row of the new area").get(area=area)
    assert change.actor_id is None  # a SystemActor is never stored in a user foreign key
