"""Who a redemption settles with, when that depends on the resident (结算对象).

Points sits below the apps that know such payees (property knows which company manages a resident's
estate), so they register a resolver here from their AppConfig.ready(), keyed by the merchant kind the
scenarios of that kind are redeemed at (`Scenario.merchant_kinds`):

* `property` (registered by `property/payees.py`, *exclusive*): a property-service scenario (物业费减免 …)
  settles with the company of the resident's estate and no other: `redeem()` refuses a property merchant
  that is not that company's payee merchant (`Merchant.payee_ref == "property.company:<id>"`, made by
  `services.payee_merchant`);
* `canteen` (registered here): an elderly-canteen scenario settles with a canteen serving the resident's
  area — the nearest one is picked by `services.redeem_for_payee`; any canteen serving the resident may
  redeem it (the usual area rule).

A resolver takes a resident (anything with `area_path`) and returns a `Payee` or None (no payee: the
scenario cannot be redeemed for this resident).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Payee:
    ref: str  # stable reference of the payee in its own app: "property.company:12"
    name: str
    area_path: str  # the area the payee is registered in (its merchant serves it)
    merchant_id: int | None = None  # set when the payee already is a points merchant (a canteen)


Resolver = Callable[[Any], "Payee | None"]
_RESOLVERS: dict[str, tuple[Resolver, bool]] = {}


def register(kind: str, resolver: Resolver, *, exclusive: bool = False) -> None:
    """Register the payee resolver of a merchant kind (idempotent per kind: a second ready() replaces it)."""
    _RESOLVERS[kind] = (resolver, exclusive)


def registered(kind: str) -> bool:
    return kind in _RESOLVERS


def exclusive(kind: str) -> bool:
    """Must every redemption at a merchant of this kind go to the resident's own payee?"""
    entry = _RESOLVERS.get(kind)
    return bool(entry and entry[1])


def resolve(kind: str, resident) -> Payee | None:
    entry = _RESOLVERS.get(kind)
    return entry[0](resident) if entry else None


def _nearest_canteen(resident) -> Payee | None:
    from .models import Merchant, MerchantKind

    paths = [resident.area_path[:n] for n in (12, 9, 6, 4) if len(resident.area_path) >= n]
    found = (
        Merchant.objects.unscoped("the canteens covering a resident the caller already checked")
        .filter(kind=MerchantKind.CANTEEN, is_active=True, area_path__in=paths)
        .order_by("-area_path", "id")
        .first()
    )
    return Payee(f"points.merchant:{found.pk}", found.name, found.area_path, found.pk) if found else None


register("canteen", _nearest_canteen)
