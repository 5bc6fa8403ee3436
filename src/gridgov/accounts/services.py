"""Account writes: creating users bound to areas, and the login trail."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.scope import check_path
from gridgov.core.services import ServiceError

from .backends import is_locked
from .models import LoginFailure, User
from .roles import ROLE_LEVEL, Role


@transaction.atomic
def create_user(actor, *, username: str, password: str, role: str, area, display_name: str = "") -> User:
    if role not in Role.values:
        raise ServiceError(_("未知角色:%(r)s") % {"r": role})
    expected_level = ROLE_LEVEL.get(Role(role))
    if area is None:
        raise ServiceError(_("每个账号必须绑定一个区域"))
    if expected_level is not None and area.level != expected_level:
        raise ServiceError(
            _("该角色应绑定到“%(lvl)s”级区域") % {"lvl": area.get_level_display_for(expected_level)}
        )
    if actor is not None:
        check_path(actor, area.path)
    if User._default_manager.filter(username=username).exists():
        raise ServiceError(_("用户名已存在:%(u)s") % {"u": username})
    user = User(username=username, role=role, area=area, display_name=display_name)
    user.set_password(password)
    user.save()
    audit.record(
        actor,
        "accounts.create_user",
        user,
        after=audit.snapshot(user, ["username", "role", "area", "display_name"]),
    )
    return user


@transaction.atomic
def record_login_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip_address=ip)
    locked = is_locked(username)
    audit.record(
        None,
        "accounts.login_locked" if locked else "accounts.login_failed",
        object_repr=username,
        after={"ip": ip},
    )


@transaction.atomic
def record_login_success(user: User, ip: str | None) -> None:
    LoginFailure.objects.filter(username=user.get_username()).delete()
    audit.record(user, "accounts.login", user, after={"ip": ip})
