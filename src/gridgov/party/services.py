"""Writes about the party network; each in its own transaction, each audited, each scope-checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit, pii
from gridgov.core.actors import SystemActor, as_user
from gridgov.core.scope import subtree_q
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.signals import imports_records
from gridgov.core.xlsx import read_sheet
from gridgov.people import validation
from gridgov.people.models import ID_PURPOSE, Household, Resident, ResidentTag, Tag

from . import hooks
from .columns import DUAL_SERVICE_COLUMNS, MEMBER_COLUMNS, YES
from .models import (
    COVERED_LEVEL,
    HOME_LEVEL,
    OPTIONAL_PARENT,
    PARENT_KINDS,
    BuildingLeader,
    CentralHousehold,
    ChangeKind,
    DualReportService,
    FundSpending,
    GridFund,
    LeaderKind,
    MutualAidGroup,
    MutualAidMember,
    OrgChange,
    OrgCoverage,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServedHousehold,
    ServiceCategory,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def _refuse_if_any(rows, message: str) -> None:
    """Refuse the write when `rows` (a check across the platform, read unscoped) finds anything."""
    if rows.exists():
        raise ServiceError(message)


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
    if allowed and parent is None and kind not in OPTIONAL_PARENT:
        raise ServiceError(_("上级党组织的类型不正确"))
    if allowed and parent is not None and parent.kind not in allowed:
        raise ServiceError(_("上级党组织的类型不正确"))
    if not allowed and parent is not None:
        raise ServiceError(_("街道党工委没有上级党组织"))
    areas = _active_areas(actor, covers)
    _validate_coverage(kind, parent, areas)
    if kind in HOME_LEVEL:
        if area is None:
            raise ServiceError(_("请选择所在区域"))
        area = _active_areas(actor, [area])[0]
        if area.level not in HOME_LEVEL[kind]:
            raise ServiceError(
                _("所在区域的层级应为“%(l)s”")
                % {"l": "、".join(str(Level(lv).label) for lv in HOME_LEVEL[kind])}
            )
        if parent is not None and not area.path.startswith(parent.area_path):
            raise ServiceError(_("所在区域不在上级党组织的范围内"))
        if kind == OrgKind.PROPERTY_INDUSTRY and parent is not None and parent.area_path == area.path:
            raise ServiceError(_("区级物业服务行业党组织应在市级之下"))
        _refuse_if_any(
            PartyOrg.objects.unscoped("one org of a kind per area, whoever sees the other").filter(
                area=area, kind__in=[kind], is_active=True
            ),
            _("该区域已有同类党组织"),
        )
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
    _refuse_if_any(
        PartyMember.objects.unscoped("dissolve check: any active member blocks, seen or not").filter(
            org=org, is_active=True
        ),
        _("请先转出该党组织的党员"),
    )
    _refuse_if_any(
        PartyOrg.objects.unscoped("dissolve check: any active child org blocks, seen or not").filter(
            parent=org, is_active=True
        ),
        _("请先调整或撤销其下级党组织"),
    )
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
    _refuse_if_any(
        PartyMember.objects.unscoped("a resident is a member once, whoever registered it").filter(
            resident=resident
        ),
        _("该居民已登记为党员"),
    )
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
    _refuse_if_any(
        CentralHousehold.objects.unscoped(
            "a household is a central household once, whoever designated it"
        ).filter(household=household),
        _("该户已是党员中心户"),
    )
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
def _id_card(line: int, values: dict[str, str], errors: list[RowError]):
    """The row's checked ID number, or None with its error listed."""
    try:
        return validation.clean_id_number(values.get("id_number", ""))
    except ServiceError as exc:
        errors.append(RowError(line, str(exc), "身份证号"))
        return None


def _all_or_nothing(rows: list, errors: list[RowError]) -> None:
    """A file with no row at all, or with only bad rows, is rejected here. Rows whose format is right go on
    to the database checks even when others are malformed, so that the answer lists every bad row, the
    malformed and the unknown together (the second pass raises with both)."""
    if not rows and not errors:
        raise ImportRejected([RowError(2, _("表格中没有数据行"))])
    if not rows:
        raise ImportRejected(errors)


@dataclass
class ImportResult:
    members: int


@imports_records
def import_members(actor: User | SystemActor, upload: IO[bytes]) -> ImportResult:
    """Party members by ID number of a registered resident: all rows or nothing, every bad row listed."""
    errors: list[RowError] = []
    rows = []
    seen: dict[str, int] = {}
    for line, values in read_sheet(upload, MEMBER_COLUMNS):
        bad = len(errors)
        card = _id_card(line, values, errors)
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
    _all_or_nothing(rows, errors)
    with transaction.atomic():
        return _import_member_rows(actor, rows, errors)


def _import_member_rows(actor: User | SystemActor, rows, format_errors: list[RowError]) -> ImportResult:
    errors: list[RowError] = list(format_errors)
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


# --- 双报到 service records -------------------------------------------------------------------------
MAX_SERVICE_HOURS = Decimal("24")


def clean_hours(value) -> Decimal:
    """Hours of one day's service: more than 0, at most 24, at most one decimal."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("服务时长应为数字(小时)")) from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_SERVICE_HOURS:
        raise ServiceError(_("服务时长应大于 0 且不超过 24 小时"))
    if hours != hours.quantize(Decimal("0.1")):
        raise ServiceError(_("服务时长最多保留一位小数"))
    return hours.quantize(Decimal("0.1"))


def _check_dual_service(member: PartyMember, community: Area, served_on, category: str, content: str) -> str:
    if not (member.is_active and member.in_service and member.dual_community_id == community.pk):
        raise ServiceError(_("该党员不是向“%(c)s”双报到的在职党员") % {"c": community.name})
    if not isinstance(served_on, dt.date):
        raise ServiceError(_("请填写服务日期"))
    if served_on > timezone.localdate():
        raise ServiceError(_("服务日期不能晚于今天"))
    if category not in ServiceCategory.values:
        raise ServiceError(_("服务类别无效"))
    content = (content or "").strip()
    if not content:
        raise ServiceError(_("请填写服务内容"))
    if len(content) > 300:
        raise ServiceError(_("服务内容不超过 300 字"))
    return content


@transaction.atomic
def record_dual_service(
    actor: User | SystemActor,
    *,
    member: PartyMember,
    community: Area,
    served_on: dt.date,
    hours,
    category: str,
    content: str,
) -> DualReportService:
    """Record one service an in-service member did in the community they registered with (双报到)."""
    member = PartyMember.objects.lock_in_scope(actor, member.pk)
    community = _active_areas(actor, [community])[0]
    if community.level != Level.COMMUNITY:
        raise ServiceError(_("报到社区应为社区"))
    content = _check_dual_service(member, community, served_on, category, content)
    hours = clean_hours(hours)
    _refuse_if_any(
        DualReportService.objects.unscoped("the locked member's records of that day and category").filter(
            member=member, served_on=served_on, category=category
        ),
        _("该党员当天已有同类服务记录"),
    )
    record = DualReportService.objects.create(
        member=member,
        community=community,
        served_on=served_on,
        hours=hours,
        category=category,
        content=content,
        recorded_by=as_user(actor),
        area_path=community.path,
    )
    audit.record(actor, "party.record_dual_service", record, after=audit.snapshot(record))
    hooks.fire_dual_service(record)
    return record


@dataclass
class DualImportResult:
    records: int


def _category_of(text: str) -> str | None:
    text = (text or "").strip()
    for value, label in ServiceCategory.choices:
        if text in (value, str(label)):
            return value
    return None


@imports_records
def import_dual_services(actor: User | SystemActor, upload: IO[bytes]) -> DualImportResult:
    """双报到 records by the member's ID number: all rows or nothing, every bad row listed with its column."""
    errors: list[RowError] = []
    rows = []
    seen: dict[tuple, int] = {}
    for line, values in read_sheet(upload, DUAL_SERVICE_COLUMNS):
        bad = len(errors)
        card = _id_card(line, values, errors)
        served_on = None
        try:
            served_on = dt.date.fromisoformat(values.get("served_on", "")[:10])
        except ValueError:
            errors.append(RowError(line, _("服务日期格式应为 2026-05-01"), "服务日期"))
        if served_on is not None and served_on > timezone.localdate():
            errors.append(RowError(line, _("服务日期不能晚于今天"), "服务日期"))
        hours = None
        try:
            hours = clean_hours(values.get("hours", ""))
        except ServiceError as exc:
            errors.append(RowError(line, str(exc), "服务时长(小时)"))
        category = _category_of(values.get("category", ""))
        if category is None:
            errors.append(
                RowError(
                    line,
                    _("服务类别应为:%(c)s") % {"c": "、".join(str(lb) for _v, lb in ServiceCategory.choices)},
                    "服务类别",
                )
            )
        content = values.get("content", "").strip()
        if not content or len(content) > 300:
            errors.append(RowError(line, _("请填写服务内容(不超过 300 字)"), "服务内容"))
        if card is not None and served_on is not None and category is not None:
            key = (card.number, served_on, category)
            if key in seen:
                errors.append(
                    RowError(
                        line, _("与第%(l)d行重复(同一党员、同一天、同一类别)") % {"l": seen[key]}, "身份证号"
                    )
                )
            seen[key] = line
        if len(errors) > bad or card is None:
            continue
        index = pii.blind_index(card.number, purpose=ID_PURPOSE)
        rows.append((line, values, index, served_on, hours, category, content))
    _all_or_nothing(rows, errors)
    with transaction.atomic():
        return _import_dual_rows(actor, rows, errors)


def _import_dual_rows(actor: User | SystemActor, rows, format_errors: list[RowError]) -> DualImportResult:
    errors: list[RowError] = list(format_errors)
    members = {
        m.resident.id_index: m
        for m in PartyMember.objects.visible_to(actor)
        .select_related("resident", "dual_community")
        .filter(resident__id_index__in=[r[2] for r in rows], is_active=True)
    }
    taken = set(
        DualReportService.objects.unscoped("a member's records of a day and category, whoever recorded them")
        .filter(member__in=members.values(), served_on__in={r[3] for r in rows})
        .values_list("member_id", "served_on", "category")
    )
    records = []
    for line, values, index, served_on, hours, category, content in rows:
        member = members.get(index)
        if member is None:
            errors.append(RowError(line, _("该身份证号的党员未登记,或不在您的管辖范围内"), "身份证号"))
            continue
        if values.get("name") and values["name"] != member.resident.name:
            errors.append(RowError(line, _("姓名与登记信息不一致"), "姓名"))
            continue
        community = member.dual_community
        if not member.in_service or community is None or not community.is_active:
            errors.append(RowError(line, _("该党员不是双报到的在职党员"), "身份证号"))
            continue
        if (member.pk, served_on, category) in taken:
            errors.append(RowError(line, _("该党员当天已有同类服务记录"), "服务日期"))
            continue
        records.append(
            DualReportService(
                member=member,
                community=community,
                served_on=served_on,
                hours=hours,
                category=category,
                content=content,
                recorded_by=as_user(actor),
                area_path=community.path,
            )
        )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    try:
        with transaction.atomic():
            created = DualReportService.objects.bulk_create(records, batch_size=2000)
    except IntegrityError:  # a concurrent recording of the same member, day and category
        raise ImportRejected([RowError(0, _("有记录刚被他人登记,请刷新后重试"))]) from None
    audit.record_many(actor, "party.import_dual_service", created)
    for record in created:
        hooks.fire_dual_service(record)
    return DualImportResult(records=len(created))


@transaction.atomic
def export_dual_services(actor: User | SystemActor, qs) -> bytes:
    """The listed records in the import's columns (ID numbers masked), audited."""
    from gridgov.core.xlsx import write_sheet

    from .columns import DUAL_SERVICE_EXPORT_COLUMNS, DUAL_SERVICES_TITLE

    rows = [
        {
            "name": r.member.resident.name,
            "id_number": r.member.resident.id_masked,
            "served_on": r.served_on.isoformat(),
            "hours": str(r.hours),
            "category": r.get_category_display(),
            "content": r.content,
            "community": r.community.name,
            "workplace": r.member.workplace,
        }
        for r in qs.select_related("member__resident", "community")
    ]
    audit.record(
        actor,
        "party.export_dual_services",
        None,
        object_repr=str(DUAL_SERVICES_TITLE),
        after={"rows": len(rows)},
    )
    return write_sheet(str(DUAL_SERVICES_TITLE), DUAL_SERVICE_EXPORT_COLUMNS, rows)


# --- grid resources: mutual-aid groups and special funds -------------------------------------------
def _grid(actor: User | SystemActor, grid: Area) -> Area:
    grid = _active_areas(actor, [grid])[0]
    if grid.level != Level.GRID:
        raise ServiceError(_("请选择网格"))
    return grid


def _grid_residents(actor: User | SystemActor, grid: Area, residents: Iterable[Resident]) -> list[Resident]:
    locked = Resident.objects.lock_all_in_scope(actor, [r.pk for r in residents])
    for r in locked:
        if not r.is_active:
            raise ServiceError(_("居民“%(n)s”已不在册") % {"n": r.name})
        if not r.area_path.startswith(grid.path):
            raise ServiceError(_("居民“%(n)s”不住在本网格") % {"n": r.name})
    return locked


@transaction.atomic
def form_mutual_aid_group(
    actor: User | SystemActor,
    *,
    grid: Area,
    name: str,
    leader: Resident,
    purpose: str,
    members: Sequence[Resident] = (),
    formed_on: dt.date | None = None,
) -> MutualAidGroup:
    """Form a grid's mutual-aid group; the leader is a member, every member lives in the grid."""
    grid = _grid(actor, grid)
    name, purpose = (name or "").strip(), (purpose or "").strip()
    if not name:
        raise ServiceError(_("名称不能为空"))
    if not purpose:
        raise ServiceError(_("请填写互助内容"))
    formed_on = formed_on or timezone.localdate()
    if formed_on > timezone.localdate():
        raise ServiceError(_("成立日期不能晚于今天"))
    people = _grid_residents(actor, grid, [leader, *members])
    leader = next(r for r in people if r.pk == leader.pk)
    _refuse_if_any(
        MutualAidGroup.objects.unscoped("one active group of a name per grid, whoever formed it").filter(
            grid=grid, name=name, is_active=True
        ),
        _("本网格已有同名互助组"),
    )
    group = MutualAidGroup.objects.create(
        grid=grid, name=name, leader=leader, purpose=purpose, formed_on=formed_on, area_path=grid.path
    )
    MutualAidMember.objects.bulk_create(
        [MutualAidMember(group=group, resident=r, joined_on=formed_on, area_path=r.area_path) for r in people]
    )
    audit.record(
        actor,
        "party.form_mutual_aid",
        group,
        after={**audit.snapshot(group), "members": [r.pk for r in people]},
    )
    return group


def _active_group(actor: User | SystemActor, group: MutualAidGroup) -> MutualAidGroup:
    group = MutualAidGroup.objects.lock_in_scope(actor, group.pk)
    if not group.is_active:
        raise ServiceError(_("该互助组已解散"))
    return group


@transaction.atomic
def join_mutual_aid(actor: User | SystemActor, group: MutualAidGroup, residents: Sequence[Resident]) -> int:
    group = _active_group(actor, group)
    grid = Area.objects.unscoped("the grid of the group locked and checked above").get(pk=group.grid_id)
    people = _grid_residents(actor, grid, residents)
    if not people:
        raise ServiceError(_("请选择要加入的居民"))
    current = set(
        MutualAidMember.objects.unscoped("current members of the locked group")
        .filter(group=group, left_on__isnull=True)
        .values_list("resident_id", flat=True)
    )
    new = [r for r in people if r.pk not in current]
    if not new:
        raise ServiceError(_("所选居民已是本组成员"))
    today = timezone.localdate()
    MutualAidMember.objects.bulk_create(
        [MutualAidMember(group=group, resident=r, joined_on=today, area_path=r.area_path) for r in new]
    )
    audit.record(actor, "party.join_mutual_aid", group, after={"joined": [r.pk for r in new]})
    return len(new)


@transaction.atomic
def leave_mutual_aid(actor: User | SystemActor, group: MutualAidGroup, resident: Resident) -> MutualAidMember:
    group = _active_group(actor, group)
    if resident.pk == group.leader_id:
        raise ServiceError(_("组长不能退出,请先解散或另组"))
    row = (
        MutualAidMember.objects.unscoped("the resident's current membership of the locked group")
        .select_for_update()
        .filter(group=group, resident_id=resident.pk, left_on__isnull=True)
        .first()
    )
    if row is None:
        raise ServiceError(_("该居民不是本组成员"))
    row.leave()
    row.save(update_fields=["left_on"])
    audit.record(actor, "party.leave_mutual_aid", group, after={"left": resident.pk})
    return row


@transaction.atomic
def dissolve_mutual_aid(actor: User | SystemActor, group: MutualAidGroup, *, reason: str) -> MutualAidGroup:
    group = _active_group(actor, group)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写解散原因"))
    before = audit.snapshot(group)
    today = timezone.localdate()
    MutualAidMember.objects.unscoped("every current member of the locked group leaves with it").filter(
        group=group, left_on__isnull=True
    ).update(left_on=today)
    group.is_active, group.dissolved_on, group.dissolve_reason = False, today, reason[:300]
    group.save(update_fields=["is_active", "dissolved_on", "dissolve_reason", "updated_at"])
    audit.record(actor, "party.dissolve_mutual_aid", group, before=before, after=audit.snapshot(group))
    return group


MAX_FUND = Decimal("100000000")


def clean_money(value, *, what: str) -> Decimal:
    """A positive amount in yuan with at most two decimals (and below a hundred million)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("%(w)s应为数字(元)") % {"w": what}) from None
    if not amount.is_finite() or amount <= 0:
        raise ServiceError(_("%(w)s应大于 0") % {"w": what})
    if amount >= MAX_FUND:
        raise ServiceError(_("%(w)s过大") % {"w": what})
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(_("%(w)s最多保留两位小数") % {"w": what})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def allocate_grid_fund(actor: User | SystemActor, *, grid: Area, year: int, amount, source: str) -> GridFund:
    """A special fund allocated to a grid for a year (专项经费进网格); one per grid, year and source."""
    grid = _grid(actor, grid)
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not (2000 <= year <= this_year + 1):
        raise ServiceError(_("年度应在 2000 年至 %(y)d 年之间") % {"y": this_year + 1})
    amount = clean_money(amount, what=_("下达金额"))
    source = (source or "").strip()
    if not source:
        raise ServiceError(_("请填写经费来源"))
    _refuse_if_any(
        GridFund.objects.unscoped("one fund per grid, year and source, whoever recorded it").filter(
            grid=grid, year=year, source=source
        ),
        _("该网格本年度已有同一来源的专项经费"),
    )
    fund = GridFund.objects.create(
        grid=grid,
        year=year,
        amount=amount,
        source=source[:100],
        allocated_by=as_user(actor),
        area_path=grid.path,
    )
    audit.record(actor, "party.allocate_grid_fund", fund, after=audit.snapshot(fund))
    return fund


@transaction.atomic
def record_fund_spending(
    actor: User | SystemActor, fund: GridFund, *, spent_on: dt.date, amount, purpose: str
) -> FundSpending:
    """Spend out of a grid's fund: the balance never goes below zero (checked under the fund's lock)."""
    fund = GridFund.objects.lock_in_scope(actor, fund.pk)
    amount = clean_money(amount, what=_("支出金额"))
    purpose = (purpose or "").strip()
    if not purpose:
        raise ServiceError(_("请填写用途"))
    if not isinstance(spent_on, dt.date):
        raise ServiceError(_("请填写支出日期"))
    if spent_on > timezone.localdate():
        raise ServiceError(_("支出日期不能晚于今天"))
    if spent_on.year != fund.year:
        raise ServiceError(_("支出日期应在经费年度(%(y)d 年)内") % {"y": fund.year})
    balance = fund.amount - fund.spent
    if amount > balance:
        raise ServiceError(
            _("余额不足:该经费余额 %(b)s 元,本次支出 %(a)s 元")
            % {"b": f"{balance:.2f}", "a": f"{amount:.2f}"}
        )
    before = audit.snapshot(fund)
    spending = FundSpending.objects.create(
        fund=fund,
        spent_on=spent_on,
        amount=amount,
        purpose=purpose[:300],
        recorded_by=as_user(actor),
        area_path=fund.area_path,
    )
    fund.spent = fund.spent + amount
    fund.save(update_fields=["spent", "updated_at"])
    audit.record(
        actor,
        "party.record_fund_spending",
        fund,
        before=before,
        after={**audit.snapshot(fund), "spending": spending.pk},
    )
    return spending
