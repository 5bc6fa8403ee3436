"""Two-step login (accounts/twofactor.py): turning it on through the page, the login that then owes a
code, wrong and throttled codes, roles that require it, turning it off, a manager's reset and the command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "Wangge-2026!"


def code_of(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return str(totp.token()).zfill(device.digits)


def wrong(code: str) -> str:
    return str((int(code) + 500_000) % 1_000_000).zfill(6)


@pytest.fixture
def admin(users):
    user = users["city_admin"]
    user.set_password(PASSWORD)
    user.save()
    return user


def logged_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def enable(client: Client, user) -> TOTPDevice:
    client.post(reverse("accounts:2fa"), {"action": "start"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:2fa"), {"action": "confirm", "code": code_of(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_turning_it_on_through_the_page(admin):
    client = logged_in("city_admin")
    page = client.get(reverse("accounts:2fa")).content.decode()
    assert "未开启" in page and 'data-testid="two-factor-start"' in page
    page = client.post(reverse("accounts:2fa"), {"action": "start"}).content.decode()
    device = TOTPDevice.objects.get(user=admin)
    assert (
        not device.confirmed
        and 'src="data:image/svg+xml' in page
        and 'data-testid="two-factor-secret"' in page
    )
    # A wrong code, and one of the wrong length: refused, nothing confirmed.
    for bad in (wrong(code_of(device)), "12"):
        response = client.post(reverse("accounts:2fa"), {"action": "confirm", "code": bad})
        assert response.status_code == 400 and 'data-testid="two-factor-error"' in response.content.decode()
        device.refresh_from_db()
        assert not device.confirmed
        device.throttle_reset()
    response = client.post(
        reverse("accounts:2fa"), {"action": "confirm", "code": code_of(device)}, follow=True
    )
    assert "两步验证已开启" in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.enable_2fa", actor=admin).exists()
    # The session that turned it on stays logged in.
    assert client.get("/people/residents/").status_code == 200
    # An unknown action is a 400.
    assert client.post(reverse("accounts:2fa"), {"action": "nonsense"}).status_code == 400


def test_a_password_alone_is_half_a_login(admin):
    device = enable(logged_in("city_admin"), admin)
    client = logged_in("city_admin")
    response = client.get("/people/residents/?name=张")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:2fa_verify"))
    assert "next=%2Fpeople%2Fresidents%2F%3Fname%3D" in response["Location"]
    api = client.get("/api/areas/")
    assert api.status_code == 403 and "验证码" in api.json()["detail"]
    response = client.post(reverse("accounts:2fa_verify"), {"code": wrong(code_of(device))})
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.2fa_failed").count() == 1
    device.refresh_from_db()
    device.throttle_reset()
    # (the code of this time step confirmed the device: a code is used once, so the next step's)
    response = client.post(
        reverse("accounts:2fa_verify"), {"code": code_of(device, offset=1), "next": "/people/residents/"}
    )
    assert response.status_code == 302 and response["Location"] == "/people/residents/"
    assert (
        client.get("/people/residents/").status_code == 200 and client.get("/api/areas/").status_code == 200
    )
    # A code is good once: the same code again does not verify another session.
    other = logged_in("city_admin")
    assert other.post(reverse("accounts:2fa_verify"), {"code": code_of(device, offset=1)}).status_code == 400


def test_an_offsite_next_is_ignored(admin):
    device = enable(logged_in("city_admin"), admin)
    client = logged_in("city_admin")
    response = client.post(
        reverse("accounts:2fa_verify"), {"code": code_of(device, offset=1), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_codes_are_throttled(admin):
    device = enable(logged_in("city_admin"), admin)
    client = logged_in("city_admin")
    for _ in range(3):
        client.post(reverse("accounts:2fa_verify"), {"code": wrong(code_of(device))})
    response = client.post(reverse("accounts:2fa_verify"), {"code": code_of(device, offset=1)})
    assert response.status_code == 400 and "错误次数过多" in response.content.decode()


def test_token_clients_are_not_asked(admin, api_for):
    """The API's tokens are their own credential (issued after a full login, revoked on deactivation)."""
    enable(logged_in("city_admin"), admin)
    assert api_for("city_admin").get("/api/areas/").status_code == 200


def test_a_role_may_require_it(users, settings):
    settings.GRIDGOV_OTP_REQUIRED_ROLES = ("district",)
    user = users["district"]
    user.set_password(PASSWORD)
    user.save()
    client = logged_in("district")
    response = client.get("/people/residents/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:2fa"))
    assert "要求开启" in client.get(reverse("accounts:2fa")).content.decode()
    device = enable(client, user)
    assert client.get("/people/residents/").status_code == 200
    response = client.post(reverse("accounts:2fa"), {"action": "disable", "code": code_of(device, offset=1)})
    assert response.status_code == 400 and "不能关闭" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_turning_it_off_needs_a_current_code(admin):
    client = logged_in("city_admin")
    device = enable(client, admin)
    response = client.post(reverse("accounts:2fa"), {"action": "disable", "code": wrong(code_of(device, 1))})
    assert response.status_code == 400 and TOTPDevice.objects.filter(user=admin).exists()
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(
        reverse("accounts:2fa"), {"action": "disable", "code": code_of(device, offset=1)}, follow=True
    )
    assert (
        "两步验证已关闭" in response.content.decode() and not TOTPDevice.objects.filter(user=admin).exists()
    )
    assert logged_in("city_admin").get("/people/residents/").status_code == 200  # a password is enough again


def test_a_manager_resets_a_lost_phone_and_the_command_does_too(users, client_for):
    street = users["street"]
    street.set_password(PASSWORD)
    street.save()
    enable(logged_in("street"), street)
    # The district manages the street's account: the page shows it on, and the reset removes it.
    district = client_for("district")
    page = district.get(reverse("accounts:user_detail", args=[street.pk])).content.decode()
    assert 'data-testid="user-2fa-reset"' in page
    response = district.post(reverse("accounts:user_reset_2fa", args=[street.pk]), follow=True)
    assert "已重置该账号的两步验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=street).exists()
    assert AuditEvent.objects.filter(action="accounts.reset_2fa", actor=users["district"]).exists()
    # The street may not reset the city administrator's (a role above its own): refused, nothing removed.
    admin = users["city_admin"]
    TOTPDevice.objects.create(user=admin, name="x", confirmed=True)
    response = client_for("street").post(reverse("accounts:user_reset_2fa", args=[admin.pk]))
    assert response.status_code == 404 or TOTPDevice.objects.filter(user=admin).exists()
    assert TOTPDevice.objects.filter(user=admin).exists()
    # The command (no manager can log in): removes it; a second time says there is none.
    call_command("reset_2fa", "city_admin", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not TOTPDevice.objects.filter(user=admin).exists()
    with pytest.raises(CommandError):
        call_command("reset_2fa", "city_admin")
    with pytest.raises(CommandError):
        call_command("reset_2fa", "nobody")
