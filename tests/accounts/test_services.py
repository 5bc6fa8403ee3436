"""accounts.services: every refusal changes nothing and writes no audit row; every change is audited
without secrets; rank, level and scope are checked inside the transaction."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from gridgov.accounts import services
from gridgov.accounts.models import LoginFailure, User
from gridgov.accounts.roles import RANK_TO_MANAGE, ROLE_RANK, Role, may_manage
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from tests.base import state_of
from tests.factories import UserFactory

SYSTEM = SystemActor("tests.accounts")  # the actor of set-up steps: reaches every area, audited as such

PASSWORD = "Qingshan-2025!"


def _audit_count() -> int:
    return AuditEvent.objects.filter(action__startswith="accounts.").count()


@pytest.fixture
def unchanged():
    """Assert that a refused call changed neither the given accounts nor the audit trail."""

    class Guard:
        def __init__(self, *accounts: User) -> None:
            self.accounts = accounts
            self.states = [state_of(a) for a in accounts]
            self.audit = AuditEvent.objects.count()
            self.users = User.objects.count()

        def check(self) -> None:
            assert [state_of(a) for a in self.accounts] == self.states
            assert AuditEvent.objects.count() == self.audit
            assert User.objects.count() == self.users

    return Guard


# --- the rank table -------------------------------------------------------------------------------------
def test_rank_order_is_explicit():
    order = [
        Role.CITY_ADMIN,
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY_SECRETARY,
        Role.COMMUNITY_WORKER,
        Role.GRID_WORKER,
    ]
    assert sorted(ROLE_RANK, key=ROLE_RANK.__getitem__, reverse=True) == order
    assert set(RANK_TO_MANAGE) == set(Role.values)
    for external in (Role.PROPERTY, Role.MERCHANT, Role.RESIDENT):
        assert may_manage(Role.STREET, external)
        assert not may_manage(Role.COMMUNITY_SECRETARY, external)
        assert not may_manage(external, external)
    assert may_manage(Role.DISTRICT, Role.DISTRICT)  # not above its own
    assert not may_manage(Role.DISTRICT, Role.CITY_ADMIN)
    assert not may_manage("mayor", Role.RESIDENT)
    assert not may_manage(Role.CITY_ADMIN, "mayor")


# --- create ---------------------------------------------------------------------------------------------
def test_create_is_audited_in_the_accounts_area_without_secrets(city, users):
    user = services.create_user(
        users["district"],
        username="dong-grid",
        password=PASSWORD,
        role=Role.GRID_WORKER,
        area=city.grid_b,
        display_name=" 东网格 ",
    )
    assert user.check_password(PASSWORD) and user.display_name == "东网格"
    event = AuditEvent.objects.get(action="accounts.create_user")
    assert event.actor == users["district"]
    assert event.area_path == city.grid_b.path  # found under the account's area, not the actor's
    assert "password" not in event.after and user.password not in str(event.after)


def test_create_refuses_a_role_above_the_actors_own(city, users, unchanged):
    guard = unchanged()
    with pytest.raises(ServiceError, match="不能授予高于本人权限的角色"):
        services.create_user(
            users["street"], username="boss", password=PASSWORD, role=Role.DISTRICT, area=city.districts[0]
        )
    guard.check()


def test_create_refuses_outside_the_actors_subtree(city, users, unchanged):
    guard = unchanged()
    with pytest.raises(OutOfScope):
        services.create_user(
            users["district"], username="west", password=PASSWORD, role=Role.GRID_WORKER, area=city.grids[4]
        )
    guard.check()


def test_create_refuses_an_actor_without_the_permission(city, users, unchanged):
    guard = unchanged()
    with pytest.raises(ServiceError, match="无权管理账号"):
        services.create_user(
            users["community_secretary"],
            username="helper",
            password=PASSWORD,
            role=Role.GRID_WORKER,
            area=city.grid_a,
        )
    guard.check()


@pytest.mark.parametrize(
    ("role", "message"),
    [(Role.COMMUNITY_SECRETARY, "该角色应绑定到“社区”级区域"), ("mayor", "未知角色")],
)
def test_create_refuses_wrong_level_and_unknown_role(role, message, city, users, unchanged):
    guard = unchanged()
    with pytest.raises(ServiceError, match=message):
        services.create_user(users["district"], username="x1", password=PASSWORD, role=role, area=city.grid_a)
    guard.check()


@pytest.mark.parametrize("username", ["grid_worker", "GRID_WORKER", " grid_worker "])
def test_create_refuses_a_duplicate_username_whatever_its_case(username, city, users, unchanged):
    guard = unchanged()
    with pytest.raises(ServiceError, match="用户名已存在"):
        services.create_user(
            users["district"], username=username, password=PASSWORD, role=Role.GRID_WORKER, area=city.grid_a
        )
    guard.check()


@pytest.mark.parametrize("username", ["", "   ", "张 三", "a/b"])
def test_create_refuses_a_bad_username(username, city, users, unchanged):
    guard = unchanged()
    with pytest.raises(ServiceError, match="用户名"):
        services.create_user(
            users["district"], username=username, password=PASSWORD, role=Role.GRID_WORKER, area=city.grid_a
        )
    guard.check()


@pytest.mark.parametrize("password", ["short1", "12345678901", "password123"])
def test_create_refuses_a_weak_password(password, city, users, unchanged):
    guard = unchanged()
    with pytest.raises(ServiceError, match="密码不符合要求"):
        services.create_user(
            users["district"], username="weak", password=password, role=Role.GRID_WORKER, area=city.grid_a
        )
    guard.check()


def test_create_refuses_a_retired_area(city, users, unchanged):
    type(city.grid_b)._base_manager.filter(pk=city.grid_b.pk).update(is_active=False)
    city.grid_b.refresh_from_db()
    guard = unchanged()
    with pytest.raises(ServiceError, match="已撤销"):
        services.create_user(
            users["district"], username="gone", password=PASSWORD, role=Role.GRID_WORKER, area=city.grid_b
        )
    guard.check()


def test_system_path_still_creates_for_the_generator(city):
    user = services.create_user(
        SYSTEM, username="sys", password=PASSWORD, role=Role.CITY_ADMIN, area=city.city
    )
    event = AuditEvent.objects.get(action="accounts.create_user", object_id=str(user.pk))
    # the system is named in the label, never stored as a user
    assert (event.actor_id, event.actor_label) == (None, "system:tests.accounts")


# --- role and area --------------------------------------------------------------------------------------
def test_change_role_rebinds_and_is_audited(city, users):
    worker = users["grid_worker"]
    services.change_role(users["street"], worker, role=Role.COMMUNITY_WORKER, area=city.communities[0])
    worker.refresh_from_db()
    assert (worker.role, worker.area_id) == (Role.COMMUNITY_WORKER, city.communities[0].pk)
    event = AuditEvent.objects.get(action="accounts.change_role")
    assert event.before["role"] == "grid_worker" and event.before["area_id"] == city.grid_a.pk
    assert event.after["role"] == "community_worker" and event.after["area_id"] == city.communities[0].pk
    assert "password" not in event.before and "password" not in event.after


def test_move_user_keeps_the_role(city, users):
    worker = users["grid_worker"]
    services.move_user(users["street"], worker, area=city.grid_b)
    worker.refresh_from_db()
    assert (worker.role, worker.area_id) == (Role.GRID_WORKER, city.grid_b.pk)
    assert AuditEvent.objects.get(action="accounts.move_user").after["area_id"] == city.grid_b.pk


def test_an_unchanged_binding_writes_no_audit_row(city, users):
    before = _audit_count()
    services.move_user(users["street"], users["grid_worker"], area=city.grid_a)
    assert _audit_count() == before


def test_change_role_refuses_the_wrong_level(city, users, unchanged):
    worker = users["grid_worker"]
    guard = unchanged(worker)
    with pytest.raises(ServiceError, match="该角色应绑定到“社区”级区域"):
        services.change_role(users["street"], worker, role=Role.COMMUNITY_SECRETARY)
    guard.check()


def test_change_role_refuses_an_unknown_role(city, users, unchanged):
    worker = users["grid_worker"]
    guard = unchanged(worker)
    with pytest.raises(ServiceError, match="未知角色"):
        services.change_role(users["street"], worker, role="mayor")
    guard.check()


def test_change_role_refuses_promotion_above_the_actor(city, users, unchanged):
    worker = users["grid_worker"]
    guard = unchanged(worker)
    with pytest.raises(ServiceError, match="不能授予高于本人权限的角色"):
        services.change_role(users["street"], worker, role=Role.DISTRICT, area=city.districts[0])
    guard.check()


def test_move_refuses_a_target_area_outside_the_subtree(city, users, unchanged):
    worker = users["grid_worker"]
    guard = unchanged(worker)
    with pytest.raises(OutOfScope):
        services.move_user(users["district"], worker, area=city.grids[4])
    guard.check()


def test_acting_on_an_account_outside_the_subtree_is_refused(city, users, unchanged):
    west = UserFactory(username="west-grid", role=Role.GRID_WORKER, area=city.grids[4])
    guard = unchanged(west)
    for call in (
        lambda: services.move_user(users["district"], west, area=city.grid_a),
        lambda: services.change_role(users["district"], west, role=Role.GRID_WORKER, area=city.grid_a),
        lambda: services.deactivate(users["district"], west),
        lambda: services.reset_password(users["district"], west, "Another-pass-77"),
    ):
        with pytest.raises(OutOfScope):
            call()
    guard.check()


@pytest.mark.parametrize("kind", ["role", "superuser"])
def test_acting_on_an_account_above_the_actor_is_refused(kind, city, users, unchanged):
    """An account bound inside the street whose role is above the street's (legacy data, a superuser)."""
    if kind == "role":
        boss = UserFactory(username="boss", role=Role.DISTRICT, area=city.grid_a)
    else:
        boss = UserFactory(username="boss", role=Role.GRID_WORKER, area=city.grid_a, is_superuser=True)
    guard = unchanged(boss)
    for call in (
        lambda: services.move_user(users["street"], boss, area=city.grid_b),
        lambda: services.deactivate(users["street"], boss),
        lambda: services.reset_password(users["street"], boss, "Another-pass-77"),
    ):
        with pytest.raises(ServiceError, match="无权管理该账号"):
            call()
    guard.check()


def test_no_one_rebinds_or_stops_their_own_account(city, users, unchanged):
    district = users["district"]
    guard = unchanged(district)
    with pytest.raises(ServiceError, match="自己的账号"):
        services.move_user(district, district, area=city.districts[0])
    with pytest.raises(ServiceError, match="自己的账号"):
        services.deactivate(district, district)
    guard.check()


# --- deactivate, reactivate ------------------------------------------------------------------------------
def test_deactivate_stops_login_and_tokens_and_reactivate_restores(city, users, client):
    worker = users["grid_worker"]
    worker.set_password(PASSWORD)
    worker.save()
    Token.objects.create(user=worker)
    services.deactivate(users["district"], worker)
    worker.refresh_from_db()
    assert not worker.is_active
    assert not Token.objects.filter(user=worker).exists()
    event = AuditEvent.objects.get(action="accounts.deactivate")
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)
    assert not client.login(username="grid_worker", password=PASSWORD)

    services.reactivate(users["district"], worker)
    worker.refresh_from_db()
    assert worker.is_active
    assert AuditEvent.objects.filter(action="accounts.reactivate").count() == 1
    assert client.login(username="grid_worker", password=PASSWORD)


def test_deactivate_twice_writes_one_row(city, users):
    services.deactivate(users["district"], users["grid_worker"])
    services.deactivate(users["district"], users["grid_worker"])
    assert AuditEvent.objects.filter(action="accounts.deactivate").count() == 1


# --- reset password --------------------------------------------------------------------------------------
def test_reset_password_generates_one_that_works_and_unlocks(city, users):
    worker = users["grid_worker"]
    Token.objects.create(user=worker)
    LoginFailure.objects.create(username=worker.username)
    password = services.reset_password(users["street"], worker)
    worker.refresh_from_db()
    assert worker.check_password(password) and len(password) >= 12
    assert not LoginFailure.objects.filter(username=worker.username).exists()
    assert not Token.objects.filter(user=worker).exists()
    event = AuditEvent.objects.get(action="accounts.reset_password")
    assert event.after == {"generated": True, "tokens_revoked": 1, "login_failures_cleared": 1}
    assert password not in str(event.after) and worker.password not in str(event.after)


def test_reset_password_takes_a_typed_one(city, users):
    worker = users["grid_worker"]
    assert services.reset_password(users["street"], worker, "Typed-pass-2025") == "Typed-pass-2025"
    worker.refresh_from_db()
    assert worker.check_password("Typed-pass-2025")


@pytest.mark.parametrize("password", ["short1", "98765432109", "qwerty123"])
def test_reset_password_refuses_a_weak_one(password, city, users, unchanged):
    worker = users["grid_worker"]
    guard = unchanged(worker)
    with pytest.raises(ServiceError, match="密码不符合要求"):
        services.reset_password(users["street"], worker, password)
    guard.check()


def test_generated_passwords_pass_the_validators_and_differ():
    from django.contrib.auth import password_validation

    seen = {services.generate_password() for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        password_validation.validate_password(password)
