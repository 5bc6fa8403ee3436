"""Merchants and the redemption catalogue (scenarios)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.services import ServiceError
from gridgov.people.models import Tag

from ..models import Merchant, MerchantKind, Scenario
from ..reference import SCENARIOS
from ._common import _check
from .accounts import merchant_account

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.core.actors import SystemActor


@transaction.atomic
def create_merchant(actor: User | SystemActor, *, name: str, kind: str, area: Area, user=None) -> Merchant:
    area = Area.objects.unscoped(
        "re-read the merchant's area in the transaction; path re-checked by _check"
    ).get(pk=area.pk)
    _check(actor, area.path)
    if kind not in MerchantKind.values:
        raise ServiceError(_("未知商户类型"))
    if not (name or "").strip():
        raise ServiceError(_("请填写商户名称"))
    if area.level > Level.COMMUNITY:
        raise ServiceError(_("商户服务区域应为社区或以上"))
    if user is not None and not user.area_path.startswith(area.path[: len(user.area_path)]):
        raise ServiceError(_("商户账号不在该区域"))
    merchant = Merchant.objects.create(
        name=name.strip(), kind=kind, area=area, area_path=area.path, user=user
    )
    merchant_account(merchant)
    audit.record(actor, "points.create_merchant", merchant, after=audit.snapshot(merchant))
    return merchant


def _clean_scenario(data: dict) -> dict:
    price = data.get("price")
    if not isinstance(price, int) or price <= 0:
        raise ServiceError(_("所需积分必须是正整数"))
    for field in ("stock", "monthly_limit"):
        value = data.get(field)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ServiceError(_("库存和限兑次数必须是非负整数"))
    groups = data.get("eligible_groups") or []
    valid = {
        "elderly",
        *Tag.objects.values_list("code", flat=True),
    }
    if any(g not in valid for g in groups):
        raise ServiceError(_("适用人群无效"))
    kinds = data.get("merchant_kinds") or []
    if any(k not in MerchantKind.values for k in kinds):
        raise ServiceError(_("可核销商户类型无效"))
    return data


@transaction.atomic
def save_scenario(
    actor: User | SystemActor,
    *,
    area: Area,
    code: str,
    name: str,
    category: str,
    price: int,
    stock=None,
    monthly_limit=None,
    eligible_groups=(),
    merchant_kinds=(),
    is_active: bool = True,
    scenario: Scenario | None = None,
) -> Scenario:
    area = Area.objects.unscoped(
        "re-read the scenario's area in the transaction; path re-checked by _check"
    ).get(pk=area.pk)
    _check(actor, area.path)
    data = _clean_scenario(
        {
            "code": code.strip(),
            "name": name.strip(),
            "category": category.strip(),
            "price": price,
            "stock": stock,
            "monthly_limit": monthly_limit,
            "eligible_groups": list(eligible_groups),
            "merchant_kinds": list(merchant_kinds),
            "is_active": is_active,
        }
    )
    if not data["code"] or not data["name"]:
        raise ServiceError(_("请填写编码和名称"))
    if scenario is None:
        if (
            Scenario.objects.unscoped("is the code taken in this checked area (codes are unique per area)")
            .filter(area=area, code=data["code"])
            .exists()
        ):
            raise ServiceError(_("该区域已有编码为“%(c)s”的场景") % {"c": data["code"]})
        scenario = Scenario.objects.create(area=area, area_path=area.path, **data)
        audit.record(actor, "points.create_scenario", scenario, after=audit.snapshot(scenario))
        return scenario
    scenario = Scenario.objects.lock_in_scope(actor, scenario.pk)
    before = audit.snapshot(scenario)
    for key, value in data.items():
        setattr(scenario, key, value)
    scenario.area, scenario.area_path = area, area.path
    scenario.save()
    audit.record(actor, "points.change_scenario", scenario, before=before, after=audit.snapshot(scenario))
    return scenario


@transaction.atomic
def seed_catalogue(actor: User | SystemActor, area: Area) -> int:
    """The city's standard catalogue (reference.SCENARIOS) in an area; existing codes are kept."""
    area = Area.objects.unscoped(
        "re-read the area to seed in the transaction; path re-checked by _check"
    ).get(pk=area.pk)
    _check(actor, area.path)
    have = set(
        Scenario.objects.unscoped("codes the checked area already has")
        .filter(area=area)
        .values_list("code", flat=True)
    )
    rows = [
        Scenario(
            code=c,
            name=n,
            category=cat,
            price=p,
            stock=s,
            monthly_limit=m,
            eligible_groups=g,
            merchant_kinds=k,
            area=area,
            area_path=area.path,
        )
        for c, n, cat, p, s, m, g, k in SCENARIOS
        if c not in have
    ]
    Scenario.objects.bulk_create(rows)
    audit.record(actor, "points.seed_catalogue", area, after={"added": len(rows)})
    return len(rows)
