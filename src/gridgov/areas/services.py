"""Area writes: creating nodes, re-zoning (move, retire, rename). Nothing is ever deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db import transaction
from django.db.models import Max, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import SystemActor, as_user, skips_checks
from gridgov.core.scope import ScopedModel, subtree_q
from gridgov.core.services import ServiceError
from gridgov.core.text import pinyin_pair

from .models import MOVABLE_LEVELS, SEGMENT, Area, AreaChange, ChangeKind, Level, path_to_code

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def next_child_path(parent: Area) -> str:
    level = parent.level + 1
    width = SEGMENT[level]
    last = (
        Area.objects.unscoped("code allocation: every child code under the parent is taken, seen or not")
        .filter(parent=parent)
        .aggregate(m=Max("path"))["m"]
    )
    # A code once given under this parent stays taken after its area moved away: history names it.
    moved_away = AreaChange.objects.unscoped(
        "code allocation: codes of children that moved away stay taken"
    ).filter(old_parent=parent, kind=ChangeKind.MOVE)
    used = [int(code[-width:]) for code in [last, *moved_away.values_list("old_code", flat=True)] if code]
    seq = max(used, default=0) + 1
    if seq >= 10**width:
        raise ServiceError(_("“%(p)s”下的编号已用尽") % {"p": parent.name})
    return parent.path + str(seq).zfill(width)


def _validate_geometry(geometry: dict | None) -> None:
    if geometry is None:
        return
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon", "Point"}:
        raise ServiceError(_("空间范围必须是 GeoJSON 的 Polygon、MultiPolygon 或 Point"))
    if not isinstance(geometry.get("coordinates"), list):
        raise ServiceError(_("GeoJSON 缺少坐标"))


@transaction.atomic
def create_area(
    actor: User | SystemActor,
    *,
    parent: Area,
    name: str,
    geometry: dict | None = None,
    x: float | None = None,
    y: float | None = None,
) -> Area:
    parent = Area.objects.lock_in_scope(actor, parent.pk)
    if parent.level >= Level.UNIT:
        raise ServiceError(_("单元下不能再建下级区域"))
    if not parent.is_active:
        raise ServiceError(_("上级区域已撤销"))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("名称不能为空"))
    _validate_geometry(geometry)
    level = parent.level + 1
    path = next_child_path(parent)
    full, initials = pinyin_pair(name)
    area = Area.objects.create(
        level=level,
        code=path_to_code(path, level),
        path=path,
        name=name,
        name_pinyin=full,
        name_initials=initials,
        parent=parent,
        geometry=geometry,
        x=x,
        y=y,
    )
    AreaChange.objects.create(
        area=area,
        kind=ChangeKind.CREATE,
        area_path=path,
        new_code=area.code,
        new_parent=parent,
        new_name=name,
        actor=as_user(actor),
    )
    audit.record(actor, "areas.create", area, after=audit.snapshot(area))
    return area


def _path_holders() -> list[type[ScopedModel]]:
    """Every concrete scoped model whose rows carry an area path, except areas and their history."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, ScopedModel) and model not in (Area, AreaChange)
    ]


def _repath(old: str, new: str) -> None:
    """Rewrite every path under `old` to lie under `new`, in areas and in every model that stores paths."""
    cut = len(old) + 1
    Area.objects.unscoped(
        "re-zoning rewrites the moved subtree, which the actor was checked to reach"
    ).filter(subtree_q("path", old)).update(
        path=Concat(Value(new), Substr("path", cut)),
        code=Concat(Value(new), Substr("code", cut)),
    )
    for model in _path_holders():
        field = model.scope_field
        model.objects.unscoped("re-zoning rewrites the paths of every row under the moved subtree").filter(
            subtree_q(field, old)
        ).update(**{field: Concat(Value(new), Substr(field, cut))})


@transaction.atomic
def move_area(actor: User | SystemActor, area: Area, new_parent: Area, *, reason: str) -> Area:
    """Hang a grid under another community, or a building under another grid; its subtree follows."""
    area = Area.objects.lock_in_scope(actor, area.pk)
    new_parent = Area.objects.lock_in_scope(actor, new_parent.pk)
    if area.level not in MOVABLE_LEVELS:
        raise ServiceError(_("只有网格和楼院可以迁移"))
    if new_parent.level != area.level - 1:
        raise ServiceError(_("新上级的层级不正确:应为“%(l)s”") % {"l": Level(area.level - 1).label})
    if not area.is_active or not new_parent.is_active:
        raise ServiceError(_("已撤销的区域不能迁移或接收下级"))
    if new_parent.pk == area.parent_id:
        raise ServiceError(_("新上级与当前上级相同"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写调整原因"))
    before = audit.snapshot(area)
    old_path, old_code, old_parent = area.path, area.code, area.parent
    new_path = next_child_path(new_parent)
    _repath(old_path, new_path)
    Area.objects.unscoped("re-zoning: the moved area itself, locked and checked above").filter(
        pk=area.pk
    ).update(parent=new_parent)
    area.refresh_from_db()
    AreaChange.objects.create(
        area=area,
        kind=ChangeKind.MOVE,
        area_path=area.path,
        old_code=old_code,
        new_code=area.code,
        old_parent=old_parent,
        new_parent=new_parent,
        old_name=area.name,
        new_name=area.name,
        reason=reason.strip(),
        actor=as_user(actor),
    )
    audit.record(actor, "areas.move", area, before=before, after=audit.snapshot(area))
    return area


@transaction.atomic
def retire_area(actor: User | SystemActor, area: Area, *, reason: str) -> Area:
    """Retire a node that no longer has active children or residents; the row and its history stay."""
    area = Area.objects.lock_in_scope(actor, area.pk)
    if not area.is_active:
        raise ServiceError(_("该区域已撤销"))
    if area.level <= Level.COMMUNITY and not skips_checks(actor) and not actor.is_superuser:
        raise ServiceError(_("社区及以上区划的撤销须由民政部门办理,平台内只能撤销网格、楼院和单元"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写撤销原因"))
    if (
        Area.objects.unscoped("retire check: any active child blocks, seen by the actor or not")
        .filter(parent=area, is_active=True)
        .exists()
    ):
        raise ServiceError(_("请先迁移或撤销其下级区域"))
    for model in _path_holders():
        active = model.objects.unscoped("retire check: any active row under the area blocks").filter(
            subtree_q(model.scope_field, area.path)
        )
        if "is_active" in {f.name for f in model._meta.fields}:
            active = active.filter(is_active=True)
        if active.exists():
            raise ServiceError(_("该区域仍有在册的%(what)s,请先迁出") % {"what": model._meta.verbose_name})
    before = audit.snapshot(area)
    area.is_active = False
    area.retired_at = timezone.now()
    area.save(update_fields=["is_active", "retired_at", "updated_at"])
    AreaChange.objects.create(
        area=area,
        kind=ChangeKind.RETIRE,
        area_path=area.path,
        old_code=area.code,
        new_code=area.code,
        old_parent=area.parent,
        new_parent=area.parent,
        old_name=area.name,
        new_name=area.name,
        reason=reason.strip(),
        actor=as_user(actor),
    )
    audit.record(actor, "areas.retire", area, before=before, after=audit.snapshot(area))
    return area


@transaction.atomic
def rename_area(actor: User | SystemActor, area: Area, *, name: str) -> Area:
    area = Area.objects.lock_in_scope(actor, area.pk)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("名称不能为空"))
    before = audit.snapshot(area)
    old_name = area.name
    area.name = name
    area.name_pinyin, area.name_initials = pinyin_pair(name)
    area.save(update_fields=["name", "name_pinyin", "name_initials", "updated_at"])
    AreaChange.objects.create(
        area=area,
        kind=ChangeKind.RENAME,
        area_path=area.path,
        old_code=area.code,
        new_code=area.code,
        old_name=old_name,
        new_name=name,
        actor=as_user(actor),
    )
    audit.record(actor, "areas.rename", area, before=before, after=audit.snapshot(area))
    return area


__all__ = ["create_area", "move_area", "rename_area", "retire_area"]
