"""Validation shared by forms, API and import: kinds, names, areas, coordinates, services, and the area a
position is registered to (`resolve_location`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core.actors import SystemActor
from gridgov.core.scope import check_reach
from gridgov.core.services import ServiceError

from ..location import Locator, contains, polygon_owner
from ..models import FacilityKind, HostType, Service

if TYPE_CHECKING:
    from gridgov.accounts.models import User

KIND_BY_LABEL = {str(label): value for value, label in FacilityKind.choices}
HOST_BY_LABEL = {str(label): value for value, label in HostType.choices}
SERVICE_BY_LABEL = {str(label): value for value, label in Service.choices}


def clean_kind(value: str) -> str:
    value = (value or "").strip()
    if value in FacilityKind.values:
        return value
    if value in KIND_BY_LABEL:
        return KIND_BY_LABEL[value]
    raise ServiceError(_("阵地类型“%(v)s”无效") % {"v": value})


def clean_host_type(value: str) -> str:
    value = (value or "").strip() or HostType.PUBLIC
    if value in HostType.values:
        return value
    if value in HOST_BY_LABEL:
        return HOST_BY_LABEL[value]
    raise ServiceError(_("用房类型“%(v)s”无效") % {"v": value})


def clean_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(_("名称不能为空"))
    if len(value) > 100:
        raise ServiceError(_("名称不能超过 100 个字"))
    return value


def clean_floor_area(value: Any, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise ServiceError(_("党群服务中心必须填写面积"))
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("面积“%(v)s”不是数字") % {"v": value}) from None
    if not number.is_finite():
        raise ServiceError(_("面积“%(v)s”不是数字") % {"v": value})
    if number < 0:
        raise ServiceError(_("面积不能为负数(%(v)s)") % {"v": value})
    if number == 0:
        raise ServiceError(_("面积必须大于零"))
    if number >= Decimal("100000000"):
        raise ServiceError(_("面积过大(%(v)s)") % {"v": value})
    return number.quantize(Decimal("0.1"))


def clean_coordinate(value: Any, label: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(_("%(l)s“%(v)s”不是数字") % {"l": label, "v": value}) from None
    if not math.isfinite(number):
        raise ServiceError(_("%(l)s“%(v)s”不是数字") % {"l": label, "v": value})
    return number


def clean_services(values: Iterable[str] | str) -> list[str]:
    if isinstance(values, str):
        for sep in ",,;;/ ":
            values = values.replace(sep, "、")
        values = values.split("、")
    out: list[str] = []
    for raw in values:
        value = str(raw).strip()
        if not value:
            continue
        code = value if value in Service.values else SERVICE_BY_LABEL.get(value)
        if code is None:
            raise ServiceError(_("未知服务内容“%(v)s”") % {"v": value})
        if code not in out:
            out.append(code)
    return out


def resolve_location(
    actor: User | SystemActor,
    *,
    kind: str,
    area: Area | None,
    x: float | None,
    y: float | None,
    locator: Locator | None = None,
) -> tuple[Area, float, float]:
    """The area a position is registered to, and its coordinates; ServiceError when it is outside.

    With an area: it must be in scope, and the point (the area's own point if none is given) must lie
    in its polygon or its nearest ancestor's. Without: the deepest visible area containing the point.
    A service centre is registered to a street or community; other kinds to a community or below.
    """
    if area is not None:
        check_reach(actor, area.path)
        if not area.is_active:
            raise ServiceError(_("区域“%(a)s”已撤销") % {"a": area.name})
        if x is None or y is None:
            if area.x is None or area.y is None:
                raise ServiceError(_("请填写坐标:区域“%(a)s”没有坐标") % {"a": area.name})
            x, y = area.x, area.y
        owner = polygon_owner(area)
        if owner is not None and not contains(owner.geometry, x, y):
            raise ServiceError(
                _("位置 (%(x).0f, %(y).0f) 不在区域“%(a)s”的范围内") % {"x": x, "y": y, "a": owner.name}
            )
    else:
        if x is None or y is None:
            raise ServiceError(_("请填写坐标或所属区域"))
        locator = locator or Locator.for_user(actor)  # a SystemActor reaches every area
        area = locator.locate(x, y)
        if area is None:
            raise ServiceError(_("位置 (%(x).0f, %(y).0f) 不在您管辖的任何区域内") % {"x": x, "y": y})
        if kind == FacilityKind.SERVICE_CENTRE and area.level > Level.COMMUNITY:
            area = Area.objects.unscoped("the community above an area the locator found in scope").get(
                path=ancestor_path(area.path, Level.COMMUNITY)
            )
    if kind == FacilityKind.SERVICE_CENTRE and area.level not in (Level.STREET, Level.COMMUNITY):
        raise ServiceError(_("党群服务中心应登记在街道或社区"))
    if kind != FacilityKind.SERVICE_CENTRE and area.level < Level.COMMUNITY:
        raise ServiceError(_("位置不在任何社区内"))
    return area, float(x), float(y)
