"""Reads about community staff: the checks (successors, 一网一员, staffing against quota), rankings, exports."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.areas.checks import area_row
from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core.checks import Check
from gridgov.core.scope import subtree_q
from gridgov.people.models import Household

from .models import (
    GridAssignment,
    Post,
    PostCategory,
    Presentation,
    QuotaRule,
    SalaryScale,
    Staff,
    Successor,
)

COMMUNITY = PATH_LENGTH[Level.COMMUNITY]


def communities_without_successor(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    successors = Successor.objects.unscoped(
        "correlated: has a community the user sees a reserve listing"
    ).filter(community=OuterRef("pk"), ended_on__isnull=True)
    return (
        Area.objects.visible_to(user)
        .in_area(root)
        .filter(level=Level.COMMUNITY, is_active=True)
        .filter(~Exists(successors))
        .select_related("parent")
        .order_by("path")
    )


def grids_without_worker(user, root: str, params: dict | None = None) -> QuerySet[Area]:
    assigned = GridAssignment.objects.unscoped("correlated: has a grid the user sees a worker").filter(
        grid=OuterRef("pk"), ended_on__isnull=True
    )
    return (
        Area.objects.visible_to(user)
        .in_area(root)
        .filter(level=Level.GRID, is_active=True)
        .filter(~Exists(assigned))
        .select_related("parent")
        .order_by("path")
    )


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


# --- quota ------------------------------------------------------------------------------------------
def quota_rule(on: dt.date | None = None) -> QuotaRule | None:
    on = on or dt.date.today()
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
