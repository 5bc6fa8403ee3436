"""Reads about the party network: the coverage checks, member counts, export rows.

Each coverage check is a first-class query: given a user and an area in their scope it returns the
offending items (a queryset, so pages paginate it and the API pages it). Every queryset starts
from `visible_to(user)`; the area narrows it further.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.areas.checks import area_row
from gridgov.areas.models import Area, Level
from gridgov.core.checks import Check
from gridgov.people.models import Household

from .models import (
    BuildingLeader,
    CentralHousehold,
    LeaderKind,
    OrgCoverage,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServedHousehold,
)


def _active_coverage(kind: str):
    return OrgCoverage.objects.unscoped(
        "correlated: is an area the outer visible_to query shows covered"
    ).filter(area=OuterRef("pk"), ended_at__isnull=True, org__kind=kind, org__is_active=True)


def _areas(user, root: str, level: int) -> QuerySet[Area]:
    return Area.objects.visible_to(user).in_area(root).filter(level=level, is_active=True)


def grids_without_branch(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    return (
        _areas(user, root, Level.GRID)
        .filter(~Exists(_active_coverage(OrgKind.GRID_BRANCH)))
        .select_related("parent")
        .order_by("path")
    )


def buildings_without_group(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    return (
        _areas(user, root, Level.BUILDING)
        .filter(~Exists(_active_coverage(OrgKind.BUILDING_GROUP)))
        .select_related("parent")
        .order_by("path")
    )


def buildings_without_leader(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    leaders = BuildingLeader.objects.unscoped(
        "correlated: has a building the user sees an active leader"
    ).filter(area=OuterRef("pk"), kind=LeaderKind.BUILDING, is_active=True)
    return (
        _areas(user, root, Level.BUILDING).filter(~Exists(leaders)).select_related("parent").order_by("path")
    )


def households_not_served(user, root: str, params: dict | None = None) -> QuerySet[Household]:
    served = ServedHousehold.objects.unscoped("correlated: is a household the user sees served").filter(
        household=OuterRef("pk")
    )
    central = CentralHousehold.objects.unscoped(
        "correlated: is a household the user sees a central one"
    ).filter(household=OuterRef("pk"), is_active=True)
    return (
        Household.objects.visible_to(user)
        .in_area(root)
        .filter(is_active=True)
        .filter(~Exists(served), ~Exists(central))
        .select_related("unit__parent")
        .order_by("area_path", "number")
    )


def _count(qs) -> Coalesce:
    return Coalesce(
        Subquery(
            qs.order_by().annotate(n=Func(F("id"), function="COUNT")).values("n"), output_field=IntegerField()
        ),
        0,
    )


def member_count_subquery():
    """Active formal members of a branch: its own members and those of its building groups.

    Two correlated counts, each an index lookup (members by org; groups by parent), rather than one
    OR over a join that would scan every member for every branch.
    """
    members = PartyMember.objects.unscoped(
        "correlated: counts members of each org the outer query shows"
    ).filter(is_active=True)
    return _count(members.filter(org=OuterRef("pk"))) + _count(members.filter(org__parent=OuterRef("pk")))


def branch_thresholds(params: dict | None) -> tuple[int, int]:
    params = params or {}
    low, high = settings.GRIDGOV_BRANCH_MIN_MEMBERS, settings.GRIDGOV_BRANCH_MAX_MEMBERS
    try:
        low = int(params.get("min") or low)
        high = int(params.get("max") or high)
    except (TypeError, ValueError):
        pass
    return max(0, low), max(low, high)


def branches_out_of_range(user, root: str, params: dict | None = None) -> QuerySet[PartyOrg]:
    low, high = branch_thresholds(params)
    return (
        PartyOrg.objects.visible_to(user)
        .in_area(root)
        .filter(kind=OrgKind.GRID_BRANCH, is_active=True)
        .annotate(member_count=member_count_subquery())
        .filter(Q(member_count__lt=low) | Q(member_count__gt=high))
        .select_related("area")
        .order_by("area_path", "id")
    )


def _branch_row(org: PartyOrg) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "code": "",
        "path": org.area_path,
        "where": org.area.name,
        "detail": str(_("党员 %(n)d 名") % {"n": org.member_count}),  # type: ignore[attr-defined]
        "member_count": org.member_count,  # type: ignore[attr-defined]
        "url": reverse("party:org_detail", args=[org.pk]),
    }


def _household_row(h: Household) -> dict:
    return {
        "id": h.pk,
        "name": str(h),
        "code": h.unit.code,
        "path": h.area_path,
        "where": h.unit.parent.name if h.unit.parent is not None else "",
        "detail": "",
        "url": reverse("people:household_detail", args=[h.pk]),
    }


CHECKS: dict[str, Check] = {
    c.code: c
    for c in [
        Check(
            "grids_without_branch",
            _("未建网格党支部的网格"),
            _("每个网格都应由一个网格党支部覆盖(无缝覆盖)。"),
            grids_without_branch,
            area_row,
        ),
        Check(
            "branch_size",
            _("党员人数不适量的网格党支部"),
            _("网格党支部的正式党员人数应在下限与上限之间(党员适量),过少应合并,过多应拆分。"),
            branches_out_of_range,
            _branch_row,
        ),
        Check(
            "buildings_without_group",
            _("未建楼院党小组的楼院"),
            _("每个楼院都应有楼院党小组覆盖。"),
            buildings_without_group,
            area_row,
        ),
        Check(
            "buildings_without_leader",
            _("没有红色楼长的楼院"),
            _("每个楼院都应选聘一名红色楼长。"),
            buildings_without_leader,
            area_row,
        ),
        Check(
            "households_not_served",
            _("未纳入党员中心户联系的住户"),
            _("每户都应由一个党员中心户联系服务。"),
            households_not_served,
            _household_row,
        ),
    ]
}


def member_export_rows(qs: QuerySet[PartyMember], *, unmasked: bool = False) -> Iterator[dict]:
    """Rows in the import's columns; full ID numbers only when `unmasked` (then the file re-imports)."""
    qs = qs.select_related("resident__household__unit", "org", "dual_community").order_by("area_path", "id")
    for m in qs.iterator(chunk_size=2000):
        yield {
            "name": m.resident.name,
            "id_number": m.resident.reveal_id_number() if unmasked else m.resident.id_masked,
            "org": m.org_id or "",
            "in_service": "是" if m.in_service else "否",
            "workplace": m.workplace,
            "dual_community": m.dual_community.code if m.dual_community is not None else "",
            "joined_on": m.joined_on.isoformat() if m.joined_on else "",
            "org_name": m.org.name if m.org is not None else "",
            "area_name": m.resident.household.unit.name,
        }


def org_export_rows(qs: QuerySet[PartyOrg]) -> Iterator[dict]:
    """One row per organisation: where it sits, what it covers now and its own active members."""
    from django.db.models import Count, Prefetch

    active = OrgCoverage.objects.unscoped(
        "prefetched coverage of the orgs the caller already narrowed"
    ).filter(ended_at__isnull=True)
    qs = qs.annotate(
        n_members=Count("members", filter=Q(members__is_active=True), distinct=True)
    ).prefetch_related(Prefetch("coverage", queryset=active.select_related("area"), to_attr="covers"))
    for org in qs:
        yield {
            "name": org.name,
            "kind": org.get_kind_display(),
            "area": org.area.name,
            "area_code": org.area.code,
            "parent": org.parent.name if org.parent is not None else "",
            "covers": "、".join(c.area.name for c in org.covers),  # type: ignore[attr-defined]
            "members": org.n_members,  # type: ignore[attr-defined]
            "established_on": org.established_on.isoformat() if org.established_on else "",
            "state": str(_("有效")) if org.is_active else str(_("已撤销")),
        }
