"""Account writes: creating and managing users bound to areas, and the login trail.

Every change to an account checks, inside its transaction, that the actor reaches the account's area and
the new area (`check_path`), that the area's level fits the role (`ROLE_LEVEL`), and that the actor neither
grants a role above its own nor acts on an account whose role is above its own (`roles.may_manage`).
A command or the generator acts as a `core.actors.SystemActor`: the checks run and pass, and the audit
row names the job (`system:demo.accounts`).
Audit snapshots never hold the password hash.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import SystemActor, actor_may, skips_checks
from gridgov.core.scope import check_reach
from gridgov.core.services import ServiceError

from .backends import is_locked
from .models import LoginFailure, User
from .roles import ROLE_LEVEL, Role, may_manage

# What an audit row keeps of an account (never `password`).
AUDIT_FIELDS = ["username", "role", "area", "display_name", "is_active"]
# Unambiguous characters for generated temporary passwords (no 0/O, 1/l/I).
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 12


def _snapshot(user: User) -> dict:
    return audit.snapshot(user, AUDIT_FIELDS)


def _check_role_and_area(role: str, area) -> Role:
    if role not in Role.values:
        raise ServiceError(_("未知角色:%(r)s") % {"r": role})
    if area is None:
        raise ServiceError(_("每个账号必须绑定一个区域"))
    if not area.is_active:
        raise ServiceError(_("区域“%(a)s”已撤销,不能绑定账号") % {"a": area.name})
    expected_level = ROLE_LEVEL.get(Role(role))
    if expected_level is not None and area.level != expected_level:
        raise ServiceError(
            _("该角色应绑定到“%(lvl)s”级区域") % {"lvl": area.get_level_display_for(expected_level)}
        )
    return Role(role)


def _check_grant(actor: User | SystemActor, role: str) -> None:
    """The actor may not hand out a role above its own."""
    if skips_checks(actor) or actor.is_superuser:
        return
    if not may_manage(actor.role, role):
        raise ServiceError(
            _("不能授予高于本人权限的角色:%(r)s") % {"r": Role(role).label if role in Role.values else role}
        )


def _check_target(actor: User | SystemActor, user: User) -> None:
    """The actor reaches the account's area and the account's role is not above the actor's own."""
    if skips_checks(actor):
        return
    check_reach(actor, user.area_path)
    if actor.is_superuser:
        return
    if user.is_superuser or not may_manage(actor.role, user.role):
        raise ServiceError(_("无权管理该账号:其角色高于本人"))


def _check_manager(actor: User | SystemActor) -> None:
    """Defence in depth behind the pages' permission check: only account managers change accounts."""
    if not actor_may(actor, "accounts.manage_user"):
        raise ServiceError(_("无权管理账号"))


def _check_not_self(actor: User | SystemActor, user: User) -> None:
    if not skips_checks(actor) and actor.pk is not None and actor.pk == user.pk:
        raise ServiceError(_("不能修改或停用自己的账号,请联系上级管理员"))


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(_("密码不符合要求:") + " ".join(exc.messages)) from None


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ServiceError(_("请填写用户名"))
    try:
        User.username_validator(username)
    except ValidationError:
        raise ServiceError(_("用户名只能包含字母、数字和 @/./+/-/_ 字符")) from None
    if len(username) > 150:
        raise ServiceError(_("用户名不能超过 150 个字符"))
    return username


def _lock(user: User) -> User:
    """Re-read the account under a row lock, so two administrators' changes apply one after the other."""
    return User._default_manager.select_for_update(of=("self",)).select_related("area").get(pk=user.pk)


@transaction.atomic
def create_user(
    actor: User | SystemActor, *, username: str, password: str, role: str, area, display_name: str = ""
) -> User:
    _check_manager(actor)
    username = _clean_username(username)
    _check_role_and_area(role, area)
    _check_grant(actor, role)  # before the scope: "above your own role" is the clearer answer
    check_reach(actor, area.path)
    # Case-insensitive: "Zhang" and "zhang" would be two accounts a person cannot tell apart.
    if User._default_manager.filter(username__iexact=username).exists():
        raise ServiceError(_("用户名已存在:%(u)s") % {"u": username})
    user = User(username=username, role=role, area=area, display_name=(display_name or "").strip())
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():  # a concurrent twin (a double-submitted form) loses on the unique index
            user.save()
    except IntegrityError:
        raise ServiceError(_("用户名已存在:%(u)s") % {"u": username}) from None
    audit.record(
        actor,
        "accounts.create_user",
        user,
        after=audit.snapshot(user, ["username", "role", "area", "display_name"]),
        area_path=area.path,
    )
    return user


def _rebind(actor: User | SystemActor, user: User, *, role: str | None, area, action: str) -> User:
    """Role and/or area of an account; None keeps the current one. Checks the account and the new binding."""
    user = _lock(user)
    _check_manager(actor)
    _check_not_self(actor, user)
    _check_target(actor, user)
    role = role if role is not None else user.role
    area = area if area is not None else user.area
    _check_role_and_area(role, area)
    _check_grant(actor, role)  # before the scope: "above your own role" is the clearer answer
    check_reach(actor, area.path)
    if user.role == role and user.area_id == area.pk:
        return user  # nothing to change, nothing to audit
    before = _snapshot(user)
    user.role = role
    user.area = area
    user.save(update_fields=["role", "area"])
    audit.record(actor, action, user, before=before, after=_snapshot(user), area_path=area.path)
    return user


@transaction.atomic
def change_role(actor: User | SystemActor, user: User, *, role: str, area=None) -> User:
    """Give the account another role and, if given, the area the new role is bound to."""
    return _rebind(actor, user, role=role, area=area, action="accounts.change_role")


@transaction.atomic
def move_user(actor: User | SystemActor, user: User, *, area) -> User:
    """Bind the account to another area, keeping its role."""
    return _rebind(actor, user, role=None, area=area, action="accounts.move_user")


def _set_active(actor: User | SystemActor, user: User, active: bool) -> User:
    user = _lock(user)
    _check_manager(actor)
    _check_not_self(actor, user)
    _check_target(actor, user)
    if user.is_active == active:
        return user
    before = _snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        _drop_tokens(user)  # API tokens of a stopped account stop too (sessions end on their next request)
    audit.record(
        actor,
        "accounts.reactivate" if active else "accounts.deactivate",
        user,
        before=before,
        after=_snapshot(user),
        area_path=user.area_path,
    )
    return user


@transaction.atomic
def deactivate(actor: User | SystemActor, user: User) -> User:
    return _set_active(actor, user, False)


@transaction.atomic
def reactivate(actor: User | SystemActor, user: User) -> User:
    return _set_active(actor, user, True)


def _drop_tokens(user: User) -> int:
    from rest_framework.authtoken.models import Token

    deleted, _rows = Token.objects.filter(user=user).delete()
    return deleted


def generate_password() -> str:
    """A temporary password: random, readable aloud, and accepted by the password validators."""
    while True:
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


@transaction.atomic
def reset_password(actor: User | SystemActor, user: User, password: str | None = None) -> str:
    """Set a new password (a generated one when none is given) and return it, to be shown once.

    The account's API tokens are revoked, its other sessions end (Django's session hash changes with the
    password) and its login lock is lifted: an administrator resets a password to let the person back in.
    """
    user = _lock(user)
    _check_manager(actor)
    _check_target(actor, user)
    generated = not password
    if generated:
        password = generate_password()
    assert password is not None
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    tokens = _drop_tokens(user)
    unlocked, _rows = LoginFailure.objects.filter(username=user.get_username()).delete()
    audit.record(
        actor,
        "accounts.reset_password",
        user,
        after={"generated": generated, "tokens_revoked": tokens, "login_failures_cleared": unlocked},
        area_path=user.area_path,
    )
    return password


@transaction.atomic
def record_user_export(actor: User | SystemActor, *, rows: int, filters: dict) -> None:
    """An export of the account list is audited like the other list exports."""
    audit.record(
        actor,
        "accounts.export_users",
        None,
        object_repr=_("账号列表"),
        after={"rows": rows, "filters": filters},
    )


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
