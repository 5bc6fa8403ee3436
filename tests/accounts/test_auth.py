"""Login, lockout, password hashing, API tokens and account creation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.accounts import services as account_services
from gridgov.accounts.models import LoginFailure, User
from gridgov.accounts.roles import Role
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError

SYSTEM = SystemActor("tests.accounts")  # the actor of set-up steps: reaches every area, audited as such

PASSWORD = "Qingshan-2025!"
LOCK_MESSAGE = "登录失败次数过多,账号已临时锁定"
WRONG_MESSAGE = "用户名或密码错误"


@pytest.fixture
def worker(city) -> User:
    """A grid worker with a real (argon2) password, created through the service."""
    return account_services.create_user(
        SYSTEM,
        username="wangwu",
        password=PASSWORD,
        role=Role.GRID_WORKER,
        area=city.grid_a,
        display_name="王五",
    )


def login(client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_renders(db, client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert "登录" in html


def test_login_works_and_is_audited(worker, client):
    response = login(client, "wangwu", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert logged_in(client)
    event = AuditEvent.objects.get(action="accounts.login")
    assert event.actor == worker
    assert event.after == {"ip": "127.0.0.1"}
    # The home page sends a grid worker to the grid's workbench.
    assert client.get(reverse("web:home"))["Location"] == reverse("web:grid_home")


def test_wrong_password_is_refused_in_chinese_and_audited(worker, client):
    response = login(client, "wangwu", "wrong-password")
    assert response.status_code == 200
    assert WRONG_MESSAGE in response.content.decode()
    assert not logged_in(client)
    event = AuditEvent.objects.get(action="accounts.login_failed")
    assert event.actor is None
    assert event.object_repr == "wangwu"
    assert LoginFailure.objects.filter(username="wangwu").count() == 1


def test_lockout_refuses_even_the_right_password(worker, client, settings):
    settings.GRIDGOV_LOCKOUT_THRESHOLD = 3
    settings.GRIDGOV_LOCKOUT_MINUTES = 15
    for _ in range(2):
        assert WRONG_MESSAGE in login(client, "wangwu", "nope").content.decode()
    third = login(client, "wangwu", "nope")
    assert LOCK_MESSAGE not in third.content.decode()  # this failure reaches the threshold
    response = login(client, "wangwu", PASSWORD)
    assert response.status_code == 200
    html = response.content.decode()
    assert LOCK_MESSAGE in html
    assert "15 分钟" in html
    assert not logged_in(client)
    assert not AuditEvent.objects.filter(action="accounts.login").exists()
    assert AuditEvent.objects.filter(action="accounts.login_failed").count() == 2
    assert (
        AuditEvent.objects.filter(action="accounts.login_locked").count() == 2
    )  # 3rd failure and the locked try
    assert LoginFailure.objects.filter(username="wangwu").count() == 4

    # Another account is not affected.
    account_services.create_user(
        SYSTEM, username="zhaoliu", password=PASSWORD, role=Role.GRID_WORKER, area=worker.area
    )
    other = APIClient()
    assert login(other, "zhaoliu", PASSWORD).status_code == 302


def test_lockout_expires(worker, client, settings):
    settings.GRIDGOV_LOCKOUT_THRESHOLD = 2
    for _ in range(2):
        login(client, "wangwu", "nope")
    assert LOCK_MESSAGE in login(client, "wangwu", PASSWORD).content.decode()
    LoginFailure.objects.update(
        created_at=timezone.now() - dt.timedelta(minutes=settings.GRIDGOV_LOCKOUT_MINUTES + 1)
    )
    assert login(client, "wangwu", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="wangwu").exists()  # a success clears the failures


def test_passwords_are_hashed_with_argon2(worker):
    assert get_hasher().algorithm == "argon2"
    assert worker.password.startswith("argon2$")
    assert identify_hasher(worker.password).algorithm == "argon2"
    assert PASSWORD not in worker.password
    assert worker.check_password(PASSWORD)


def test_token_auth_on_the_api(worker, city):
    client = APIClient()
    response = client.post(reverse("api-token"), {"username": "wangwu", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    anonymous = client.get(reverse("resident-list"))
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = client.get(reverse("resident-list")).json()
    assert {r["id"] for r in body["results"]} == {r.pk for r in city.residents[:2]}  # grid A only
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(reverse("resident-list")).status_code == 401


def test_token_endpoint_refuses_wrong_and_locked_passwords(worker, settings):
    settings.GRIDGOV_LOCKOUT_THRESHOLD = 2
    client = APIClient()
    url = reverse("api-token")
    assert client.post(url, {"username": "wangwu", "password": "nope"}, format="json").status_code == 400
    assert client.post(url, {"username": "wangwu", "password": "nope"}, format="json").status_code == 400
    locked = client.post(url, {"username": "wangwu", "password": PASSWORD}, format="json")
    assert locked.status_code == 400
    assert "token" not in locked.json()
    assert AuditEvent.objects.filter(action="accounts.login_locked").count() == 2


def test_inactive_user_cannot_log_in(worker, client):
    User.objects.filter(pk=worker.pk).update(is_active=False)
    assert login(client, "wangwu", PASSWORD).status_code == 200
    assert not logged_in(client)


def test_logout(worker, client):
    client.force_login(worker)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not logged_in(client)


# --- creating accounts --------------------------------------------------------------------------------
def test_create_user_is_audited_without_the_password(city, users):
    user = account_services.create_user(
        users["street"], username="new-worker", password=PASSWORD, role=Role.GRID_WORKER, area=city.grid_b
    )
    event = AuditEvent.objects.get(action="accounts.create_user")
    assert event.actor == users["street"]
    assert event.after == {
        "username": "new-worker",
        "role": "grid_worker",
        "area_id": city.grid_b.pk,
        "display_name": "",
    }
    assert PASSWORD not in str(event.after) and user.password not in str(event.after)


@pytest.mark.parametrize(
    ("role", "area_attr", "message"),
    [
        ("grid_worker", "communities", "该角色应绑定到“网格”级区域"),
        ("district", "grids", "该角色应绑定到“区县”级区域"),
        ("mayor", "grids", "未知角色"),
    ],
)
def test_create_user_checks_role_and_level(role, area_attr, message, city):
    with pytest.raises(ServiceError, match=message):
        account_services.create_user(
            SYSTEM, username="x", password=PASSWORD, role=role, area=getattr(city, area_attr)[0]
        )
    assert not User.objects.filter(username="x").exists()


def test_create_user_refusals(city, users):
    with pytest.raises(ServiceError, match="每个账号必须绑定一个区域"):
        account_services.create_user(SYSTEM, username="x", password=PASSWORD, role=Role.PROPERTY, area=None)
    with pytest.raises(OutOfScope):
        account_services.create_user(
            users["street"],
            username="x",
            password=PASSWORD,
            role=Role.GRID_WORKER,
            area=city.grids[4],  # another district's street
        )
    with pytest.raises(ServiceError, match="用户名已存在"):
        account_services.create_user(
            SYSTEM, username="street", password=PASSWORD, role=Role.PROPERTY, area=city.unit_a
        )
    assert not AuditEvent.objects.filter(action="accounts.create_user").exists()


def test_role_permissions_come_from_the_role(city, users):
    assert users["street"].has_perm("areas.rezone_area")
    assert not users["community_secretary"].has_perm("areas.rezone_area")
    assert users["community_secretary"].has_perm("people.unmask_resident")
    assert not users["community_worker"].has_perm("people.unmask_resident")
    assert users["property"].has_perm("areas.view_area")
    assert not users["property"].has_perm("people.view_resident")
    foundation = ("areas.", "people.", "core.", "accounts.")
    assert not [p for p in users["resident"].get_all_permissions() if p.startswith(foundation)]
    assert not users["street"].has_perm("areas.rezone_area", obj=city.grid_a)  # no object permissions
