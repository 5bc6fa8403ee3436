"""How a resident identifies themselves to a merchant: signed codes, one-time codes, the user link."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Role
from gridgov.core import audit
from gridgov.core.services import ServiceError
from gridgov.people import services as people_services
from gridgov.people.models import CorrectionOrigin, Resident

from ..models import OneTimeCode, ResidentLink
from ._common import _check

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor

_SIGNER_SALT = "gridgov.points.resident"


def resident_token(resident: Resident) -> str:
    """A signed, short-lived code the resident shows to a merchant (text on the phone page)."""
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(signing.b62_encode(resident.pk))


def _resident_from_token(token: str) -> Resident:
    resident = (
        Resident.objects.unscoped("the resident a signed code names: the valid signature is the authority")
        .filter(pk=_resident_id_from_token(token), is_active=True)
        .first()
    )
    if resident is None:
        raise ServiceError(_("居民积分码无效"))
    return resident


def _resident_id_from_token(token: str) -> int:
    """The resident a signed code names (its signature and age checked; nothing read from the database)."""
    try:
        raw = signing.TimestampSigner(salt=_SIGNER_SALT).unsign(
            token.strip(), max_age=settings.GRIDGOV_POINTS_TOKEN_SECONDS
        )
    except signing.SignatureExpired:
        raise ServiceError(_("居民积分码已过期,请让居民刷新后重试")) from None
    except signing.BadSignature:
        raise ServiceError(_("居民积分码无效")) from None
    return signing.b62_decode(raw)


@transaction.atomic
def issue_one_time_code(actor: User | SystemActor, resident: Resident) -> OneTimeCode:
    """A 6-digit, single-use code valid for GRIDGOV_POINTS_OTC_SECONDS (unique among live codes)."""
    resident = Resident.objects.unscoped(
        "re-read the resident in the transaction; path re-checked by _check"
    ).get(pk=resident.pk)
    _check(actor, resident.area_path)
    now = timezone.now()
    live = OneTimeCode.objects.unscoped("a new code must differ from every live code, in every area").filter(
        used_at__isnull=True, expires_at__gt=now
    )
    for _attempt in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        if not live.filter(code=code).exists():
            break
    else:  # pragma: no cover - a million live codes
        raise ServiceError(_("暂时无法生成核销码,请稍后再试"))
    otc = OneTimeCode.objects.create(
        resident=resident,
        code=code,
        area_path=resident.area_path,
        expires_at=now + dt.timedelta(seconds=settings.GRIDGOV_POINTS_OTC_SECONDS),
    )
    audit.record(actor, "points.issue_code", otc, object_repr=str(otc))
    return otc


def _resident_from_code(code: str) -> Resident:
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        raise ServiceError(_("核销码应为6位数字"))
    now = timezone.now()
    # Lock order 1 (docs/points.md): the code's own row only (`of=("self",)`: not the resident's row, which
    # redemptions reference), FOR NO KEY UPDATE like every lock of a posting.
    otc = (
        OneTimeCode.objects.unscoped(
            "lock the live one-time code the merchant typed: the code is the authority"
        )
        .select_for_update(no_key=True, of=("self",))
        .filter(code=code, used_at__isnull=True, expires_at__gt=now)
        .select_related("resident")
        .first()
    )
    if otc is None:
        raise ServiceError(_("核销码无效、已使用或已过期"))
    # Single use: a concurrent redemption with the same code updates zero rows and fails.
    if (
        OneTimeCode.objects.unscoped("consume the one-time code once (conditional update of the locked row)")
        .filter(pk=otc.pk, used_at__isnull=True)
        .update(used_at=now)
        != 1
    ):
        raise ServiceError(_("核销码无效、已使用或已过期"))
    return otc.resident


def _code_names(code: str, resident_id: int) -> bool:
    """Does this code belong to the resident (live, used or expired)? For a replayed key only: the request
    that posted under the key consumed the code, and its replay carries the same code."""
    return (
        OneTimeCode.objects.unscoped("does the typed code belong to the resident a taken key redeemed for")
        .filter(code=(code or "").strip(), resident_id=resident_id)
        .exists()
    )


def resident_of_user(user) -> Resident | None:
    link = (
        ResidentLink.objects.filter(user=user).select_related("resident").first()
        if user.is_authenticated
        else None
    )
    return link.resident if link is not None else None


@transaction.atomic
def link_resident(actor: User | SystemActor, user, resident: Resident) -> ResidentLink:
    resident = Resident.objects.unscoped(
        "re-read the resident to link in the transaction; path re-checked by _check"
    ).get(pk=resident.pk)
    _check(actor, resident.area_path)
    if user.role != Role.RESIDENT or not resident.area_path.startswith(user.area_path):
        raise ServiceError(_("该账号不能绑定这位居民"))
    link, _created = ResidentLink.objects.update_or_create(user=user, defaults={"resident": resident})
    audit.record(actor, "points.link_resident", resident, after={"user": user.pk})
    return link


def request_own_correction(user, *, changes: dict[str, str], reason: str) -> list:
    """A resident's request to correct their own record (PIPL): the account's link names the resident, so
    a resident account can ask only about itself; the community decides (people.services)."""
    resident = resident_of_user(user)
    if resident is None or user.role != Role.RESIDENT:
        raise ServiceError(_("该账号未绑定居民"))
    return people_services.request_correction(
        user, resident, changes=changes, reason=reason, origin=CorrectionOrigin.RESIDENT, as_self=True
    )
