"""Redemptions that settle with the resident's own payee (points/payees.py): the merchant standing for a
payee of another app, and redeeming for a resident at that payee."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit
from gridgov.core.services import ServiceError

from .. import payees
from ..models import Merchant, Scenario
from ._common import _check
from .accounts import merchant_account

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


def payee_for(kind: str, resident) -> payees.Payee | None:
    return payees.resolve(kind, resident)


def payee_merchant_id(kind: str, resident) -> int | None:
    """The id of the merchant standing for the resident's payee of this kind (None: no payee or no row yet)."""
    payee = payees.resolve(kind, resident)
    if payee is None:
        return None
    if payee.merchant_id is not None:
        return payee.merchant_id
    return (
        Merchant.objects.unscoped("the merchant row of a payee resolved for a checked resident")
        .filter(payee_ref=payee.ref)
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def payee_merchant(actor: User | SystemActor, kind: str, resident) -> Merchant:
    """The merchant that stands for the resident's payee of a kind, made on first use (a property company
    gets one merchant row and so one points account and one monthly settlement, whatever its estates)."""
    _check(actor, resident.area_path)
    payee = payees.resolve(kind, resident)
    if payee is None:
        raise ServiceError(_("该居民没有可结算的对象(如所在小区无物业服务企业)"))
    merchants = Merchant.objects.unscoped("the merchant row of a payee resolved for a checked resident")
    if payee.merchant_id is not None:
        return merchants.get(pk=payee.merchant_id)
    found = merchants.filter(payee_ref=payee.ref).first()
    if found is not None:
        return found
    path = payee.area_path[: PATH_LENGTH[Level.COMMUNITY]]
    area = Area.objects.unscoped("the area a payee is registered in, resolved by its app").get(path=path)
    try:
        with transaction.atomic():
            merchant = Merchant.objects.create(
                name=payee.name[:100], kind=kind, area=area, area_path=area.path, payee_ref=payee.ref
            )
    except IntegrityError:  # made by a concurrent request just now
        return merchants.get(payee_ref=payee.ref)
    merchant_account(merchant)
    audit.record(actor, "points.create_merchant", merchant, after=audit.snapshot(merchant))
    return merchant


def check_payee(merchant, resident) -> bool:
    """For `redeem()`'s validation: True when the merchant's kind settles with the resident's own payee
    (then the merchant must be that payee's, which raises otherwise); False: the usual area rule applies."""
    if not payees.exclusive(merchant.kind):
        return False
    if payee_merchant_id(merchant.kind, resident) != merchant.pk:
        payee = payees.resolve(merchant.kind, resident)
        if payee is None:
            raise ServiceError(_("该居民所在小区没有物业服务企业,不能兑换此场景"))
        raise ServiceError(_("此场景须与居民所在小区的物业企业“%(n)s”结算") % {"n": payee.name})
    return True


def redeem_for_payee(actor: User | SystemActor, *, scenario: Scenario, resident, key: str, quantity: int = 1):
    """Redeem a scenario for a resident (by id, as staff do) at the payee the scenario settles with: the
    property company of the resident's estate, the canteen serving the resident."""
    from .redemption import redeem

    kinds = [k for k in (scenario.merchant_kinds or []) if payees.registered(k)]
    if not kinds:
        raise ServiceError(_("该兑换场景不按居民确定结算对象"))
    merchant = payee_merchant(actor, kinds[0], resident)
    return redeem(actor, merchant=merchant, scenario=scenario, key=key, resident=resident, quantity=quantity)
