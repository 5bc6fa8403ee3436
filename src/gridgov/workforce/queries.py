"""Reads about community staff: the checks (successors, 一网一员, staffing against quota), rankings, exports."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.checks import area_row
from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core.checks import Check
from gridgov.core.scope import subtree_q
from gridgov.people.models import Household

from .models import (
    GridAssignment,
    GridLink,
    Post,
    PostCategory,
    Presentation,
    QuotaRule,
    SalaryScale,
    Staff,
    Successor,
)
from .services.ladders import eligible_grid_workers

COMMUNITY = PATH_LENGTH[Level.COMMUNITY]


def _areas_without(user, root: str, level: int, rows: QuerySet) -> QuerySet[Area]:
    """The active areas of `level` the user sees under `root` for which the correlated `rows` has none."""
    return (
        Area.objects.visible_to(user)
        .in_area(root)
        .filter(level=level, is_active=True)
        .filter(~Exists(rows))
        .select_related("parent")
        .order_by("path")
    )


def communities_without_successor(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    successors = Successor.objects.unscoped(
        "correlated: has a community the user sees a reserve listing"
    ).filter(community=OuterRef("pk"), ended_on__isnull=True)
    return _areas_without(user, root, Level.COMMUNITY, successors)


def grids_without_worker(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    assigned = GridAssignment.objects.unscoped("correlated: has a grid the user sees a worker").filter(
        grid=OuterRef("pk"), ended_on__isnull=True
    )
    return _areas_without(user, root, Level.GRID, assigned)


def workers_without_grid(user, root: str, params: dict | None = None) -> QuerySet[Staff]:
    assigned = GridAssignment.objects.unscoped("correlated: has a worker the user sees a grid").filter(
        staff=OuterRef("pk"), ended_on__isnull=True
    )
    return (
        Staff.objects.visible_to(user)
        .in_area(root)
        .filter(post=Post.GRID_WORKER, is_active=True)
        .filter(~Exists(assigned))
        .select_related("resident", "community")
        .order_by("area_path", "id")
    )


# --- committee members linked to grids (联网格 / 挂包) -------------------------------------------------
def linked_staff(grid: Area) -> QuerySet[Staff]:
    """The staff on duty with an open link to `grid` (the caller has the grid from its scope)."""
    links = GridLink.objects.unscoped("correlated: open links of a grid the caller already holds").filter(
        staff=OuterRef("pk"), grid=grid, ended_on__isnull=True
    )
    return (
        Staff.objects.unscoped("staff linked to a grid the caller already holds, in any community")
        .filter(Exists(links), is_active=True)
        .select_related("resident")
        .order_by("post", "id")
    )


def links_of(staff: Staff, *, open_only: bool = True) -> QuerySet[GridLink]:
    """A staff member's links (open ones, or the whole history), newest first."""
    qs = GridLink.objects.unscoped("links of a staff member the caller already holds").filter(staff=staff)
    if open_only:
        qs = qs.filter(ended_on__isnull=True)
    return qs.select_related("grid").order_by("-started_on", "-id")


def links_in_month(qs: QuerySet[GridLink], month: dt.date) -> QuerySet[GridLink]:
    """The links of `qs` open on at least one day of `month` (started by its end, not ended before it)."""
    first = month.replace(day=1)
    after = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return qs.filter(started_on__lt=after).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))


def grids_without_link(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    linked = GridLink.objects.unscoped("correlated: has a grid the user sees a linked member").filter(
        grid=OuterRef("pk"), ended_on__isnull=True, staff__is_active=True
    )
    return _areas_without(user, root, Level.GRID, linked)


def links_outside_community(user, root: str, params: dict | None = None) -> QuerySet[GridLink]:
    """Open links whose grid is no longer in the member's community (re-zoned grid, transferred member)."""
    return (
        GridLink.objects.visible_to(user)
        .in_area(root)
        .filter(ended_on__isnull=True)
        .exclude(area_path__startswith=F("staff__area_path"))
        .select_related("staff__resident", "staff__community", "grid")
        .order_by("area_path", "id")
    )


def grid_workers_eligible(
    user, root: str, params: dict | None = None, *, on: dt.date | None = None
) -> QuerySet[Staff]:
    """Grid workers who meet the rule for joining the community-worker corps (services/ladders.py) on `on`
    (default today, in the platform's time zone — the day `corps_refusal` is asked about on the staff page;
    the generator and its tests pass the city's fixed day)."""
    staff = Staff.objects.visible_to(user).in_area(root)
    return (
        eligible_grid_workers(staff, on or timezone.localdate())
        .select_related("resident", "community")
        .order_by("area_path", "id")
    )


def _link_row(link: GridLink) -> dict:
    return {
        "id": link.pk,
        "name": link.staff.resident.name,
        "code": link.grid.code,
        "path": link.area_path,
        "where": link.staff.community.name,
        "detail": str(_("联系网格“%(g)s”(不在其社区)") % {"g": link.grid.name}),
        "url": reverse("workforce:staff_detail", args=[link.staff_id]),
    }


# --- quota ------------------------------------------------------------------------------------------
def quota_rule(on: dt.date | None = None) -> QuotaRule | None:
    on = on or timezone.localdate()
    return QuotaRule.objects.filter(effective_from__lte=on).order_by("-effective_from").first()


def quota_for(rule: QuotaRule | None, households: int) -> int:
    if rule is None:
        return 0
    wanted = rule.base + math.ceil(households / max(1, rule.households_per_worker))
    return max(rule.minimum, min(rule.maximum, wanted))


@dataclass
class Staffing:
    community: Area
    households: int
    quota: int
    staffed: int

    @property
    def gap(self) -> int:
        return self.staffed - self.quota


def staffing(user, root: str) -> list[Staffing]:
    """Staff on duty (grid workers apart: they are one per grid) against each community's quota."""
    communities = list(
        Area.objects.visible_to(user)
        .in_area(root)
        .filter(level=Level.COMMUNITY, is_active=True)
        .select_related("parent")
        .order_by("path")
    )
    if not communities:
        return []
    top = root if len(root) <= COMMUNITY else root[:COMMUNITY]
    households = dict(
        Household.objects.visible_to(user)
        .filter(subtree_q("area_path", top), is_active=True)
        .annotate(c=Substr("area_path", 1, COMMUNITY))
        .order_by()
        .values_list("c")
        .annotate(n=Count("*"))
    )
    staffed = dict(
        Staff.objects.visible_to(user)
        .filter(subtree_q("area_path", top), is_active=True)
        .exclude(post=Post.GRID_WORKER)
        .order_by()
        .values_list("area_path")
        .annotate(n=Count("*"))
    )
    rule = quota_rule()
    return [
        Staffing(
            c, households.get(c.path, 0), quota_for(rule, households.get(c.path, 0)), staffed.get(c.path, 0)
        )
        for c in communities
    ]


def understaffed(user, root: str, params: dict | None = None) -> list[Staffing]:
    return [s for s in staffing(user, root) if s.gap < 0]


def overstaffed(user, root: str, params: dict | None = None) -> list[Staffing]:
    return [s for s in staffing(user, root) if s.gap > 0]


def _staff_row(staff: Staff) -> dict:
    return {
        "id": staff.pk,
        "name": staff.resident.name,
        "code": "",
        "path": staff.area_path,
        "where": staff.community.name,
        "detail": str(staff.get_post_display()),
        "url": reverse("workforce:staff_detail", args=[staff.pk]),
    }


def _staffing_row(s: Staffing) -> dict:
    return {
        "id": s.community.pk,
        "name": s.community.name,
        "code": s.community.code,
        "path": s.community.path,
        "where": s.community.parent.name if s.community.parent is not None else "",
        "detail": str(
            _("户数 %(h)d,核定 %(q)d 人,在岗 %(s)d 人") % {"h": s.households, "q": s.quota, "s": s.staffed}
        ),
        "households": s.households,
        "quota": s.quota,
        "staffed": s.staffed,
        "url": reverse("areas:detail", args=[s.community.pk]),
    }


CHECKS: dict[str, Check] = {
    c.code: c
    for c in [
        Check(
            "no_successor",
            _("未配备后备人才的社区"),
            _("每个社区至少配备 1 名书记后备人才。"),
            communities_without_successor,
            area_row,
        ),
        Check(
            "grids_without_worker",
            _("没有专职网格员的网格"),
            _("一网一员:每个网格都应有一名专职网格员。"),
            grids_without_worker,
            area_row,
        ),
        Check(
            "workers_without_grid",
            _("未配置网格的专职网格员"),
            _("机动、培训或待岗的网格员,可补充到空缺网格。"),
            workers_without_grid,
            _staff_row,
        ),
        Check(
            "grids_without_link",
            _("没有两委成员联系的网格"),
            _("两委成员联网格:每个网格都应有社区两委成员或专职工作者挂包联系。"),
            grids_without_link,
            area_row,
        ),
        Check(
            "links_outside_community",
            _("联系本社区以外网格的人员"),
            _("挂包联系的网格应在本人所在社区内(网格调整或人员调动后需重新挂包)。"),
            links_outside_community,
            _link_row,
        ),
        Check(
            "grid_workers_eligible",
            _("可转入社区工作者队伍的网格员"),
            _("从事网格工作满 2 年,持社会工作职业资格或最近一次履职评估称职以上;可在其档案页办理转入。"),
            grid_workers_eligible,
            _staff_row,
        ),
        Check(
            "understaffed",
            _("低于总量配备的社区"),
            _("在岗社区工作者(不含网格员)少于按户数核定的人数。"),
            understaffed,
            _staffing_row,
        ),
        Check(
            "overstaffed",
            _("超出总量配备的社区"),
            _("在岗社区工作者(不含网格员)多于按户数核定的人数。"),
            overstaffed,
            _staffing_row,
        ),
    ]
}


# --- competition ranking ----------------------------------------------------------------------------
def ranking(presentations: QuerySet[Presentation]) -> list[Presentation]:
    """Presentations by mean judges' score, best first; equal scores share a rank."""
    rows: list[Presentation] = list(
        presentations.annotate(mean=Avg("scores__score"), judges=Count("scores"))
        .select_related("staff__resident", "staff__community")
        .order_by("-mean", "id")
    )
    rank, previous = 0, None
    for i, row in enumerate(rows, start=1):
        mean = row.mean.quantize(Decimal("0.01")) if row.mean is not None else None  # type: ignore[attr-defined]
        row.mean = mean  # type: ignore[attr-defined]
        if mean != previous:
            rank, previous = i, mean
        row.rank = rank  # type: ignore[attr-defined]
    return rows


# --- exports ----------------------------------------------------------------------------------------
def staff_export_rows(qs: QuerySet[Staff]) -> Iterator[dict]:
    assignments = dict(
        GridAssignment.objects.unscoped("rows of staff already loaded through scope")
        .filter(staff__in=qs, ended_on__isnull=True)
        .values_list("staff_id", "grid__name")
    )
    qs = (
        qs.select_related("resident", "community")
        .prefetch_related("certificates")
        .order_by("area_path", "post", "id")
    )
    for s in qs.iterator(chunk_size=2000):
        yield {
            "name": s.resident.name,
            "id_number": s.resident.id_masked,
            "community_code": s.community.code,
            "post": s.get_post_display(),
            "education": s.get_education_display(),
            "hired_on": s.hired_on.isoformat(),
            "source": s.get_source_display() if s.source else "",
            "community_name": s.community.name,
            "category": s.get_category_display(),
            "grade": s.grade,
            "grid": assignments.get(s.pk, ""),
            "certificates": "、".join(c.get_kind_display() for c in s.certificates.all()),
        }


def scale_rows(scale: SalaryScale) -> list[dict]:
    return [
        {
            "category": str(PostCategory(r.category).label),
            "grade": r.grade,
            "post_pay": r.post_pay,
            "grade_pay": r.grade_pay,
            "performance_pay": r.performance_pay,
            "allowance": r.allowance,
            "total": r.total,
        }
        for r in scale.rates.all().order_by("category", "grade")
    ]


def scale_matrix(scale: SalaryScale) -> list[dict]:
    """Rows by grade (18 down to 1), one cell per post category: the salary table page."""
    rates = {(r.category, r.grade): r for r in scale.rates.all()}
    return [{"grade": g, "cells": [rates.get((c, g)) for c in PostCategory.values]} for g in range(18, 0, -1)]
