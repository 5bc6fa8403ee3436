"""Writes about the party network; each in its own transaction, each audited, each scope-checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit, pii
from gridgov.core.actors import SystemActor, as_user
from gridgov.core.scope import subtree_q
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.xlsx import read_sheet
from gridgov.people import validation
from gridgov.people.models import ID_PURPOSE, Household, Resident, ResidentTag, Tag

from .columns import MEMBER_COLUMNS, YES
from .models import (
    COVERED_LEVEL,
    HOME_LEVEL,
    PARENT_KINDS,
    BuildingLeader,
    CentralHousehold,
    ChangeKind,
    LeaderKind,
    OrgChange,
    OrgCoverage,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServedHousehold,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def _active_org(org: PartyOrg) -> PartyOrg:
    if not org.is_active:
        raise ServiceError(_("党组织“%(n)s”已撤销") % {"n": org.name})
    return org


def _active_areas(actor: User | SystemActor, areas: Iterable[Area]) -> list[Area]:
    locked = Area.objects.lock_all_in_scope(actor, [a.pk for a in areas])
    for area in locked:
        if not area.is_active:
            raise ServiceError(_("区域“%(n)s”已撤销") % {"n": area.name})
    return locked


def common_home(paths: Sequence[str]) -> str:
    """The lowest area path that contains every path (cut back to a whole level)."""
    if not paths:
        raise ServiceError(_("请至少选择一个覆盖区域"))
    prefix = paths[0]
    for path in paths[1:]:
        n = 0
        while n < min(len(prefix), len(path)) and prefix[n] == path[n]:
            n += 1
        prefix = prefix[:n]
    for length in sorted(PATH_LENGTH.values(), reverse=True):
        if len(prefix) >= length:
            return prefix[:length]
    raise ServiceError(_("覆盖区域不在同一城市"))


def _change(
    actor: User | SystemActor, org: PartyOrg, kind: str, *, other=None, detail=None, reason: str = ""
) -> OrgChange:
    return OrgChange.objects.create(
        org=org,
        kind=kind,
        other=other,
        area_path=org.area_path,
        detail=detail or {},
        reason=reason,
        actor=as_user(actor),
    )


def _validate_coverage(org_kind: str, parent: PartyOrg | None, areas: list[Area]) -> None:
    level = COVERED_LEVEL.get(org_kind)
    if level is None:
        if areas:
            raise ServiceError(_("该类党组织不按网格或楼院划定覆盖范围"))
        return
    if not areas:
        raise ServiceError(_("请至少选择一个覆盖区域"))
    for area in areas:
        if area.level != level:
            raise ServiceError(
                _("“%(n)s”不是%(l)s,不能作为该党组织的覆盖范围") % {"n": area.name, "l": Level(level).label}
            )
    if org_kind == OrgKind.GRID_BRANCH:
        if len({a.path[: PATH_LENGTH[Level.COMMUNITY]] for a in areas}) > 1:
            raise ServiceError(_("一个网格党支部只能覆盖同一社区内的网格"))
        if parent is not None and not all(a.path.startswith(parent.area_path) for a in areas):
            raise ServiceError(_("网格不在上级社区党组织的范围内"))
    if org_kind == OrgKind.BUILDING_GROUP and parent is not None:
        grids = set(
            OrgCoverage.objects.unscoped("the parent branch's grids (the parent was locked and checked)")
            .filter(org=parent, ended_at__isnull=True)
            .values_list("area_path", flat=True)
        )
        if not all(a.path[: PATH_LENGTH[Level.GRID]] in grids for a in areas):
            raise ServiceError(_("楼院不在上级网格党支部覆盖的网格内"))


def _taken(areas: list[Area], exclude_org: PartyOrg | None = None) -> list[str]:
    qs = OrgCoverage.objects.unscoped(
        "an area is covered by one org city-wide; only names of taken areas leave"
    ).filter(area__in=areas, ended_at__isnull=True)
    if exclude_org is not None:
        qs = qs.exclude(org=exclude_org)
    return [
        a.name
        for a in Area.objects.unscoped(
            "names of the areas just found taken, which the actor had chosen"
        ).filter(pk__in=qs.values("area_id"))
    ]


def _cover(org: PartyOrg, areas: list[Area]) -> None:
    taken = _taken(areas, exclude_org=org)
    if taken:
        raise ServiceError(_("以下区域已由其他党组织覆盖:%(a)s") % {"a": "、".join(taken)})
    current = set(
        OrgCoverage.objects.unscoped("what the org locked and checked by the caller covers now")
        .filter(org=org, ended_at__isnull=True)
        .values_list("area_id", flat=True)
    )
    try:
        OrgCoverage.objects.bulk_create(
            [OrgCoverage(org=org, area=a, area_path=a.path) for a in areas if a.pk not in current]
        )
    except IntegrityError:  # a concurrent transaction covered the same area first
        raise ServiceError(_("所选区域刚被其他党组织覆盖,请刷新后重试")) from None


def _rehome(org: PartyOrg) -> None:
    """Re-derive an organisation's home area from what it covers (after a coverage change)."""
    if org.kind not in COVERED_LEVEL:
        return
    paths = list(
        OrgCoverage.objects.unscoped("every area of an org the caller locked, to re-derive its home")
        .filter(org=org, ended_at__isnull=True)
        .values_list("area_path", flat=True)
    )
    if not paths:
        return
    home = common_home(paths)
    if home != org.area_path:
        org.area = Area.objects.unscoped("an org's home is the common ancestor of its areas").get(path=home)
        org.area_path = home
        org.save(update_fields=["area", "area_path", "updated_at"])
        # Members of the organisation follow it.
        PartyMember.objects.unscoped("every member of the org follows it to its new home").filter(
            org=org
        ).update(area_path=home)


@transaction.atomic
def create_org(
    actor: User | SystemActor,
    *,
    kind: str,
    name: str,
    parent: PartyOrg | None = None,
    area: Area | None = None,
    covers: Sequence[Area] = (),
    established_on: dt.date | None = None,
) -> PartyOrg:
    if kind not in OrgKind.values:
        raise ServiceError(_("党组织类型无效"))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("名称不能为空"))
    if parent is not None:
        parent = _active_org(PartyOrg.objects.lock_in_scope(actor, parent.pk))
    allowed = PARENT_KINDS[kind]
    if allowed and (parent is None or parent.kind not in allowed):
        raise ServiceError(_("上级党组织的类型不正确"))
    if not allowed and parent is not None:
        raise ServiceError(_("街道党工委没有上级党组织"))
    areas = _active_areas(actor, covers)
    _validate_coverage(kind, parent, areas)
    if kind in HOME_LEVEL:
        if area is None:
            raise ServiceError(_("请选择所在区域"))
        area = _active_areas(actor, [area])[0]
        if area.level != HOME_LEVEL[kind]:
            raise ServiceError(_("所在区域的层级应为“%(l)s”") % {"l": Level(HOME_LEVEL[kind]).label})
        if parent is not None and not area.path.startswith(parent.area_path):
            raise ServiceError(_("所在区域不在上级党组织的范围内"))
        if (
            PartyOrg.objects.unscoped("one org of a kind per area, whoever sees the other")
            .filter(area=area, kind__in=[kind], is_active=True)
            .exists()
        ):
            raise ServiceError(_("该区域已有同类党组织"))
        home = area
    else:
        home = Area.objects.unscoped(
            "the new org's home: the common ancestor of the areas checked above"
        ).get(path=common_home([a.path for a in areas]))
    org = PartyOrg.objects.create(
        kind=kind,
        name=name,
        parent=parent,
        area=home,
        area_path=home.path,
        established_on=established_on or timezone.localdate(),
    )
    if areas:
        _cover(org, areas)
    _change(actor, org, ChangeKind.CREATE, detail={"covers": [a.path for a in areas]})
    audit.record(
        actor, "party.create_org", org, after={**audit.snapshot(org), "covers": [a.path for a in areas]}
    )
    return org


def _coverage_paths(org: PartyOrg) -> list[str]:
    return sorted(
        OrgCoverage.objects.unscoped("the areas of one org, for its audit row and history")
        .filter(org=org, ended_at__isnull=True)
        .values_list("area_path", flat=True)
    )


@transaction.atomic
def set_coverage(
    actor: User | SystemActor, org: PartyOrg, areas: Sequence[Area], *, reason: str = ""
) -> PartyOrg:
    """Replace what a branch or group covers; ended coverage rows stay as history."""
    org = _active_org(PartyOrg.objects.lock_in_scope(actor, org.pk))
    areas = _active_areas(actor, areas)
    parent = org.parent
    _validate_coverage(org.kind, parent, areas)
    before = {**audit.snapshot(org), "covers": _coverage_paths(org)}
    keep = {a.pk for a in areas}
    OrgCoverage.objects.unscoped("ends every current row of the org locked above").filter(
        org=org, ended_at__isnull=True
    ).exclude(area_id__in=keep).update(ended_at=timezone.now())
    _cover(org, areas)
    _rehome(org)
    after = {**audit.snapshot(org), "covers": _coverage_paths(org)}
    if before["covers"] == after["covers"]:
        raise ServiceError(_("覆盖范围没有变化"))
    _change(
        actor,
        org,
        ChangeKind.COVER,
        detail={"before": before["covers"], "after": after["covers"]},
        reason=reason,
    )
    audit.record(actor, "party.set_coverage", org, before=before, after=after)
    return org


@transaction.atomic
def merge_orgs(actor: User | SystemActor, source: PartyOrg, target: PartyOrg, *, reason: str) -> PartyOrg:
    """Merge `source` into `target`: its coverage, members, groups and central households move; it is dissolved."""
    if source.pk == target.pk:
        raise ServiceError(_("不能与自身合并"))
    first, second = sorted([source, target], key=lambda o: o.pk)
    locked = {o.pk: _active_org(PartyOrg.objects.lock_in_scope(actor, o.pk)) for o in (first, second)}
    source, target = locked[source.pk], locked[target.pk]
    if source.kind != target.kind:
        raise ServiceError(_("只能合并同类党组织"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写调整原因"))
    before = {"source": _coverage_paths(source), "target": _coverage_paths(target)}
    moved = OrgCoverage.objects.unscoped("merge: all coverage of the locked source org moves").filter(
        org=source, ended_at__isnull=True
    )
    areas = list(
        Area.objects.unscoped("merge: the areas the source org covers").filter(pk__in=moved.values("area_id"))
    )
    if target.kind == OrgKind.GRID_BRANCH:
        _validate_coverage(
            target.kind,
            target.parent,
            areas
            + list(
                Area.objects.unscoped("merge: the areas the target org covers").filter(
                    pk__in=OrgCoverage.objects.unscoped("merge: the coverage of the locked target org")
                    .filter(org=target, ended_at__isnull=True)
                    .values("area_id")
                )
            ),
        )
    now = timezone.now()
    moved.update(ended_at=now)
    _cover(target, areas)
    members = (
        PartyMember.objects.unscoped("merge: every member of the source org moves")
        .filter(org=source)
        .update(org=target)
    )
    PartyOrg.objects.unscoped("merge: every child org of the source moves").filter(
        parent=source, is_active=True
    ).update(parent=target)
    CentralHousehold.objects.unscoped("merge: every central household of the source moves").filter(
        group=source
    ).update(group=target)
    _rehome(target)
    PartyMember.objects.unscoped("merge: every member of the target follows its new home").filter(
        org=target
    ).update(area_path=target.area_path)
    source.is_active = False
    source.dissolved_at = now
    source.save(update_fields=["is_active", "dissolved_at", "updated_at"])
    detail = {**before, "members": members}
    _change(actor, source, ChangeKind.MERGE, other=target, detail=detail, reason=reason.strip())
    _change(actor, target, ChangeKind.MERGE, other=source, detail=detail, reason=reason.strip())
    audit.record(
        actor,
        "party.merge_orgs",
        target,
        before=before,
        after={"target": _coverage_paths(target), "dissolved": source.pk},
    )
    return target


@transaction.atomic
def split_org(
    actor: User | SystemActor, org: PartyOrg, *, name: str, areas: Sequence[Area], reason: str
) -> PartyOrg:
    """Split off the given covered areas into a new sibling; members living there and groups inside follow."""
    org = _active_org(PartyOrg.objects.lock_in_scope(actor, org.pk))
    if org.kind not in COVERED_LEVEL:
        raise ServiceError(_("只有网格党支部和楼院党小组可以按覆盖范围拆分"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写调整原因"))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("名称不能为空"))
    areas = _active_areas(actor, areas)
    current = set(_coverage_paths(org))
    split_paths = {a.path for a in areas}
    if not split_paths or not split_paths <= current:
        raise ServiceError(_("拆分出的区域必须是原党组织当前覆盖的区域"))
    if split_paths == current:
        raise ServiceError(_("不能把全部覆盖区域都拆分出去"))
    before = {**audit.snapshot(org), "covers": sorted(current)}
    OrgCoverage.objects.unscoped("split: the locked org's coverage of the areas checked above").filter(
        org=org, area__in=areas, ended_at__isnull=True
    ).update(ended_at=timezone.now())
    home = Area.objects.unscoped("the new org's home: the common ancestor of the split areas").get(
        path=common_home(sorted(split_paths))
    )
    new = PartyOrg.objects.create(
        kind=org.kind,
        name=name,
        parent=org.parent,
        area=home,
        area_path=home.path,
        established_on=timezone.localdate(),
    )
    _cover(new, areas)
    moved_members = 0
    for path in split_paths:
        moved_members += (
            PartyMember.objects.unscoped("split: every member of the org living in a split area")
            .filter(org=org, resident__area_path__startswith=path)
            .update(org=new, area_path=new.area_path)
        )
        PartyOrg.objects.unscoped("split: every child org inside a split area").filter(
            parent=org, is_active=True
        ).filter(subtree_q("area_path", path)).update(parent=new)
    _rehome(org)
    detail = {"from": sorted(current), "moved": sorted(split_paths), "members": moved_members}
    _change(actor, org, ChangeKind.SPLIT, other=new, detail=detail, reason=reason.strip())
    _change(actor, new, ChangeKind.CREATE, other=org, detail=detail, reason=reason.strip())
    audit.record(actor, "party.split_org", org, before=before, after={"new_org": new.pk, **detail})
    return new


@transaction.atomic
def reparent_org(actor: User | SystemActor, org: PartyOrg, new_parent: PartyOrg, *, reason: str) -> PartyOrg:
    """Hang an organisation under another parent (e.g. after its grids were moved to another community)."""
    org = _active_org(PartyOrg.objects.lock_in_scope(actor, org.pk))
    new_parent = _active_org(PartyOrg.objects.lock_in_scope(actor, new_parent.pk))
    if new_parent.kind not in PARENT_KINDS[org.kind]:
        raise ServiceError(_("上级党组织的类型不正确"))
    if new_parent.pk == org.parent_id:
        raise ServiceError(_("新上级与当前上级相同"))
    if not (reason or "").strip():
        raise ServiceError(_("请填写调整原因"))
    if not org.area_path.startswith(new_parent.area_path):
        raise ServiceError(_("该党组织的所在区域不在新上级党组织的范围内"))
    before = audit.snapshot(org)
    old_parent = org.parent
    org.parent = new_parent
    org.save(update_fields=["parent", "updated_at"])
    _change(
        actor,
        org,
        ChangeKind.REPARENT,
        other=old_parent,
        detail={"old_parent": old_parent.pk if old_parent else None, "new_parent": new_parent.pk},
        reason=reason.strip(),
    )
    audit.record(actor, "party.reparent_org", org, before=before, after=audit.snapshot(org))
    return org


@transaction.atomic
def dissolve_org(actor: User | SystemActor, org: PartyOrg, *, reason: str) -> PartyOrg:
    org = _active_org(PartyOrg.objects.lock_in_scope(actor, org.pk))
    if not (reason or "").strip():
        raise ServiceError(_("请填写撤销原因"))
    if (
        PartyMember.objects.unscoped("dissolve check: any active member blocks, seen or not")
        .filter(org=org, is_active=True)
        .exists()
    ):
        raise ServiceError(_("请先转出该党组织的党员"))
    if (
        PartyOrg.objects.unscoped("dissolve check: any active child org blocks, seen or not")
        .filter(parent=org, is_active=True)
        .exists()
    ):
        raise ServiceError(_("请先调整或撤销其下级党组织"))
    before = {**audit.snapshot(org), "covers": _coverage_paths(org)}
    now = timezone.now()
    OrgCoverage.objects.unscoped("dissolve: ends all coverage of the locked org").filter(
        org=org, ended_at__isnull=True
    ).update(ended_at=now)
    org.is_active = False
    org.dissolved_at = now
    org.save(update_fields=["is_active", "dissolved_at", "updated_at"])
    _change(actor, org, ChangeKind.DISSOLVE, detail={"covers": before["covers"]}, reason=reason.strip())
    audit.record(actor, "party.dissolve_org", org, before=before, after=audit.snapshot(org))
    return org


# --- members ----------------------------------------------------------------------------------------
def _party_tag() -> Tag:
    return Tag.objects.get(code="party_member")


def _member_path(org: PartyOrg | None, dual_community: Area | None) -> str:
    if org is not None:
        return org.area_path
    assert dual_community is not None
    return dual_community.path


@transaction.atomic
def register_member(
    actor: User | SystemActor,
    *,
    resident: Resident,
    org: PartyOrg | None = None,
    in_service: bool = False,
    workplace: str = "",
    dual_community: Area | None = None,
    joined_on: dt.date | None = None,
) -> PartyMember:
    """Record a resident's party membership; the resident is tagged 党员."""
    resident = Resident.objects.lock_in_scope(actor, resident.pk)
    member = _validate_member(actor, resident, org, in_service, workplace, dual_community)
    member.joined_on = joined_on
    member.save()
    ResidentTag.objects.get_or_create(resident=resident, tag=_party_tag())
    audit.record(actor, "party.register_member", member, after=audit.snapshot(member))
    return member


def _validate_member(
    actor: User | SystemActor, resident, org, in_service, workplace, dual_community
) -> PartyMember:
    if (
        PartyMember.objects.unscoped("a resident is a member once, whoever registered it")
        .filter(resident=resident)
        .exists()
    ):
        raise ServiceError(_("该居民已登记为党员"))
    if org is not None:
        org = _active_org(PartyOrg.objects.lock_in_scope(actor, org.pk))
    workplace = (workplace or "").strip()
    if in_service:
        if not workplace:
            raise ServiceError(_("在职党员须填写工作单位党组织"))
        if dual_community is None:
            raise ServiceError(_("在职党员须向居住地社区报到(请选择双报到社区)"))
    elif org is None:
        raise ServiceError(_("请选择所在党组织"))
    if dual_community is not None:
        dual_community = _active_areas(actor, [dual_community])[0]
        if dual_community.level != Level.COMMUNITY:
            raise ServiceError(_("双报到须选择社区"))
    return PartyMember(
        resident=resident,
        org=org,
        in_service=in_service,
        workplace=workplace,
        dual_community=dual_community,
        dual_registered_on=timezone.localdate() if dual_community is not None else None,
        area_path=_member_path(org, dual_community),
    )


@transaction.atomic
def transfer_member(
    actor: User | SystemActor, member: PartyMember, org: PartyOrg, *, reason: str = ""
) -> PartyMember:
    member = PartyMember.objects.lock_in_scope(actor, member.pk)
    org = _active_org(PartyOrg.objects.lock_in_scope(actor, org.pk))
    if member.org_id == org.pk:
        raise ServiceError(_("该党员已在此党组织"))
    before = audit.snapshot(member)
    member.org = org
    member.area_path = org.area_path
    member.save(update_fields=["org", "area_path", "updated_at"])
    audit.record(
        actor,
        "party.transfer_member",
        member,
        before=before,
        after={**audit.snapshot(member), "reason": reason},
    )
    return member


# --- central households and leaders ----------------------------------------------------------------
@transaction.atomic
def designate_central_household(
    actor: User | SystemActor,
    *,
    member: PartyMember,
    group: PartyOrg | None,
    serves: Sequence[Household] = (),
) -> CentralHousehold:
    member = (
        PartyMember.objects.unscoped("the member's household is locked and checked next")
        .select_related("resident")
        .get(pk=member.pk)
    )
    household = Household.objects.lock_in_scope(actor, member.resident.household_id)
    if group is not None:
        group = _active_org(PartyOrg.objects.lock_in_scope(actor, group.pk))
        if group.kind != OrgKind.BUILDING_GROUP:
            raise ServiceError(_("党员中心户应归属楼院党小组"))
    if (
        CentralHousehold.objects.unscoped("a household is a central household once, whoever designated it")
        .filter(household=household)
        .exists()
    ):
        raise ServiceError(_("该户已是党员中心户"))
    central = CentralHousehold.objects.create(
        household=household,
        member=member,
        group=group,
        area_path=household.area_path,
        designated_on=timezone.localdate(),
    )
    if serves:
        _add_served(actor, central, serves)
    audit.record(
        actor,
        "party.designate_central",
        central,
        after={**audit.snapshot(central), "serves": [h.pk for h in serves]},
    )
    return central


def _add_served(
    actor: User | SystemActor, central: CentralHousehold, households: Sequence[Household]
) -> list[ServedHousehold]:
    locked = Household.objects.lock_all_in_scope(actor, [h.pk for h in households])
    community = central.area_path[: PATH_LENGTH[Level.COMMUNITY]]
    for h in locked:
        if not h.area_path.startswith(community):
            raise ServiceError(_("联系户应在中心户所在社区内"))
        if h.pk == central.household_id:
            raise ServiceError(_("中心户不能联系自身"))
    taken = (
        ServedHousehold.objects.unscoped("a household is served by one central household, whoever sees it")
        .filter(household__in=locked)
        .exclude(central=central)
    )
    if taken.exists():
        raise ServiceError(_("有户已由其他党员中心户联系"))
    existing = set(
        ServedHousehold.objects.unscoped("the households the central household locked above already serves")
        .filter(central=central)
        .values_list("household_id", flat=True)
    )
    rows = [
        ServedHousehold(central=central, household=h, area_path=h.area_path)
        for h in locked
        if h.pk not in existing
    ]
    ServedHousehold.objects.bulk_create(rows)
    return rows


@transaction.atomic
def assign_served(
    actor: User | SystemActor, central: CentralHousehold, households: Sequence[Household]
) -> int:
    central = CentralHousehold.objects.lock_in_scope(actor, central.pk)
    if not central.is_active:
        raise ServiceError(_("该党员中心户已取消"))
    rows = _add_served(actor, central, households)
    if not rows:
        raise ServiceError(_("所选户已在联系名单中"))
    audit.record(actor, "party.assign_served", central, after={"households": [r.household_id for r in rows]})
    return len(rows)


@transaction.atomic
def appoint_leader(
    actor: User | SystemActor,
    *,
    area: Area,
    resident: Resident,
    kind: str = LeaderKind.BUILDING,
    appointed_on: dt.date | None = None,
) -> BuildingLeader:
    """Appoint a red building leader (building) or unit leader (unit); the previous one's term ends."""
    area = _active_areas(actor, [area])[0]
    want = Level.BUILDING if kind == LeaderKind.BUILDING else Level.UNIT
    if kind not in LeaderKind.values or area.level != want:
        raise ServiceError(_("红色楼长按楼院选聘,单元长按单元选聘"))
    resident = Resident.objects.lock_in_scope(actor, resident.pk)
    if not resident.is_active:
        raise ServiceError(_("该居民已不在册"))
    current = (
        BuildingLeader.objects.unscoped("the current leader of the area locked and checked above")
        .select_for_update()
        .filter(area=area, kind=kind, is_active=True)
        .first()
    )
    if current is not None and current.resident_id == resident.pk:
        raise ServiceError(_("该居民已是本楼院(单元)的楼长"))
    before = None
    if current is not None:
        before = audit.snapshot(current)
        current.is_active = False
        current.ended_on = timezone.localdate()
        current.save(update_fields=["is_active", "ended_on", "updated_at"])
    leader = BuildingLeader.objects.create(
        kind=kind,
        area=area,
        resident=resident,
        area_path=area.path,
        appointed_on=appointed_on or timezone.localdate(),
    )
    audit.record(actor, "party.appoint_leader", leader, before=before, after=audit.snapshot(leader))
    return leader


# --- import -----------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    members: int


def import_members(actor: User | SystemActor, upload: IO[bytes]) -> ImportResult:
    """Party members by ID number of a registered resident: all rows or nothing, every bad row listed."""
    errors: list[RowError] = []
    rows = []
    seen: dict[str, int] = {}
    for line, values in read_sheet(upload, MEMBER_COLUMNS):
        bad = len(errors)
        try:
            card = validation.clean_id_number(values.get("id_number", ""))
        except ServiceError as exc:
            errors.append(RowError(line, str(exc), "身份证号"))
            card = None
        org_id = values.get("org", "")
        if org_id and not org_id.isdigit():
            errors.append(RowError(line, _("党组织编号应为数字"), "党组织编号"))
        in_service = values.get("in_service", "") in YES
        community_code = values.get("dual_community", "")
        joined = None
        if values.get("joined_on"):
            try:
                joined = dt.date.fromisoformat(values["joined_on"])
            except ValueError:
                errors.append(RowError(line, _("入党日期格式应为 2001-07-01"), "入党日期"))
        if not org_id and not in_service:
            errors.append(RowError(line, _("请填写党组织编号,或标明在职党员并填写双报到社区"), "党组织编号"))
        if in_service and not (values.get("workplace") and community_code):
            errors.append(RowError(line, _("在职党员须填写工作单位党组织和双报到社区编码"), "工作单位党组织"))
        if card is not None:
            if card.number in seen:
                errors.append(
                    RowError(line, _("身份证号与第%(l)d行重复") % {"l": seen[card.number]}, "身份证号")
                )
            seen[card.number] = line
        if len(errors) > bad or card is None:
            continue
        rows.append(
            (
                line,
                values,
                pii.blind_index(card.number, purpose=ID_PURPOSE),
                org_id,
                in_service,
                community_code,
                joined,
            )
        )
    if not rows and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        return _import_member_rows(actor, rows)


def _import_member_rows(actor: User | SystemActor, rows) -> ImportResult:
    errors: list[RowError] = []
    residents = {
        r.id_index: r
        for r in Resident.objects.visible_to(actor).filter(
            id_index__in=[row[2] for row in rows], is_active=True
        )
    }
    orgs = {
        str(o.pk): o
        for o in PartyOrg.objects.visible_to(actor).filter(
            pk__in=[int(r[3]) for r in rows if r[3]], is_active=True
        )
    }
    communities = {
        a.code: a
        for a in Area.objects.visible_to(actor).filter(
            level=Level.COMMUNITY, is_active=True, code__in=[r[5] for r in rows if r[5]]
        )
    }
    existing = set(
        PartyMember.objects.unscoped("a resident is a member once, whoever registered it")
        .filter(resident__in=residents.values())
        .values_list("resident_id", flat=True)
    )
    members = []
    for line, values, index, org_id, in_service, community_code, joined in rows:
        resident = residents.get(index)
        if resident is None:
            errors.append(RowError(line, _("该身份证号的居民未登记,或不在您的管辖范围内"), "身份证号"))
            continue
        if values.get("name") and values["name"] != resident.name:
            errors.append(RowError(line, _("姓名与登记信息不一致"), "姓名"))
        if resident.pk in existing:
            errors.append(RowError(line, _("该居民已登记为党员"), "身份证号"))
        org = orgs.get(org_id) if org_id else None
        if org_id and org is None:
            errors.append(
                RowError(line, _("党组织编号“%(c)s”不存在或不在您的管辖范围内") % {"c": org_id}, "党组织编号")
            )
        community = communities.get(community_code) if community_code else None
        if community_code and community is None:
            errors.append(
                RowError(
                    line,
                    _("社区编码“%(c)s”不存在或不在您的管辖范围内") % {"c": community_code},
                    "双报到社区编码",
                )
            )
        if errors and errors[-1].line == line:
            continue
        members.append(
            PartyMember(
                resident=resident,
                org=org,
                in_service=in_service,
                workplace=values.get("workplace", "") if in_service else "",
                dual_community=community,
                dual_registered_on=timezone.localdate() if community else None,
                joined_on=joined,
                area_path=_member_path(org, community),
            )
        )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    PartyMember.objects.bulk_create(members, batch_size=2000)
    tag = _party_tag()
    ResidentTag.objects.bulk_create(
        [ResidentTag(resident_id=m.resident_id, tag=tag) for m in members],
        ignore_conflicts=True,
        batch_size=2000,
    )
    audit.record_many(actor, "party.import_member", members)
    return ImportResult(members=len(members))


@transaction.atomic
def export_members(actor: User | SystemActor, qs, *, unmasked: bool = False) -> bytes:
    """Members in the import's columns. Full ID numbers (so the file re-imports) only when asked for and
    the user may unmask residents (people.unmask_resident); otherwise masked. Audited either way."""
    from gridgov.core.xlsx import write_sheet
    from gridgov.people.services import can_unmask

    from .columns import MEMBER_EXPORT_COLUMNS, MEMBERS_TITLE
    from .queries import member_export_rows

    unmasked = unmasked and can_unmask(actor)
    rows = list(member_export_rows(qs, unmasked=unmasked))
    audit.record(
        actor,
        "party.export_members",
        None,
        object_repr=str(MEMBERS_TITLE),
        after={"rows": len(rows), "unmasked": unmasked},
    )
    return write_sheet(str(MEMBERS_TITLE), MEMBER_EXPORT_COLUMNS, rows)
