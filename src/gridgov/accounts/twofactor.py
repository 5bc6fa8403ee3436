"""Two-step login (两步验证) with a TOTP authenticator app (django-otp's TOTP devices): optional for every
office login, required for the roles in GRIDGOV_OTP_REQUIRED_ROLES (docs/security.md).

A user turns it on at /accounts/2fa/: the page shows a QR code and the secret, and the first code from the
app confirms the device. From then on a password login is only half a login: every page sends the user to
/accounts/2fa/verify/ until a code from the app is entered (`TwoFactorMiddleware`); the session API says 403.
Whether the session still owes a code is kept in the session at login, so a user without a device costs no
query. Codes are throttled by django-otp (each failure doubles the wait). A manager who may manage the
account can reset it (a lost phone), and so can `manage.py reset_2fa <username>`; each step is audited.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError

from .models import User

SESSION_KEY = "gridgov_otp_owed"  # True: the password was right, the code is still owed
DEVICE_NAME = "authenticator"


def required_for(user: User) -> bool:
    return str(getattr(user, "role", "")) in set(getattr(settings, "GRIDGOV_OTP_REQUIRED_ROLES", ()))


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def note_login(request, user: User) -> None:
    """At login: does this session owe a code (the user has a confirmed device)?"""
    request.session[SESSION_KEY] = confirmed_device(user) is not None


def secret_of(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "gridgov"))
    label = quote(f"{issuer}:{device.user.get_username()}")
    return (
        f"otpauth://totp/{label}?secret={secret_of(device)}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={device.digits}&period={device.step}"
    )


def qr_svg(device: TOTPDevice) -> str:
    import segno

    return segno.make(provisioning_uri(device), error="m").svg_data_uri(scale=5)


@transaction.atomic
def start_setup(user: User) -> TOTPDevice:
    """A fresh unconfirmed device for the user (an earlier unconfirmed one is replaced)."""
    if confirmed_device(user) is not None:
        raise ServiceError(_("两步验证已开启"))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def _check(device: TOTPDevice, code: str) -> None:
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == device.digits):
        raise ServiceError(_("请输入验证器应用显示的 %(n)d 位数字") % {"n": device.digits})
    allowed, data = device.verify_is_allowed()
    if not allowed:
        wait = (data or {}).get("locked_until")
        until = f"({timezone.localtime(wait):%H:%M:%S})" if wait else ""
        raise ServiceError(_("验证码错误次数过多,请稍后再试") + until)
    if not device.verify_token(code):
        raise ServiceError(_("验证码不正确或已过期"))


# The code checks run outside a transaction: a wrong code's throttling (saved on the device by
# django-otp) and its audit row must stay when the request then fails.
def confirm_setup(request, user: User, code: str) -> TOTPDevice:
    device = pending_device(user)
    if device is None:
        raise ServiceError(_("请先生成二维码"))
    _check(device, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        audit.record(user, "accounts.enable_2fa", user, after={"device": device.pk})
    otp_login(request, device)
    request.session[SESSION_KEY] = False
    return device


def verify_login(request, user: User, code: str) -> TOTPDevice:
    device = confirmed_device(user)
    if device is None:
        request.session[SESSION_KEY] = False
        raise ServiceError(_("该账号未开启两步验证"))
    try:
        _check(device, code)
    except ServiceError:
        with transaction.atomic():
            audit.record(user, "accounts.2fa_failed", user)
        raise
    otp_login(request, device)
    request.session[SESSION_KEY] = False
    with transaction.atomic():
        audit.record(user, "accounts.2fa_verified", user)
    return device


def disable(request, user: User, code: str) -> None:
    """The user turns it off with a current code (a role that requires it may not)."""
    if required_for(user):
        raise ServiceError(_("您的岗位要求开启两步验证,不能关闭"))
    device = confirmed_device(user)
    if device is None:
        raise ServiceError(_("该账号未开启两步验证"))
    _check(device, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit.record(user, "accounts.disable_2fa", user)
    request.session[SESSION_KEY] = False


@transaction.atomic
def reset(actor: User | SystemActor, user: User) -> int:
    """A lost phone: the devices go; the next login sets up a new one (where required) or none."""
    from .services import _check_manager, _check_target

    _check_manager(actor)
    _check_target(actor, user)
    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    if not removed:
        raise ServiceError(_("该账号未开启两步验证"))
    audit.record(actor, "accounts.reset_2fa", user)
    return removed
