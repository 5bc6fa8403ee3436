"""Readiness: could a community's emergency groups be staffed right now from available responders within
the maximum distance? The same solve as activation (no writes but the Readiness rows), per district, so
each community's figure accounts for its neighbours competing for the same people."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from gridgov.areas.models import PATH_LENGTH, Area, Level, ancestor_path
from gridgov.core import audit
from gridgov.core.actors import SystemActor

from ..models import Mode, Readiness, WorkGroup
from ._common import now, require
from .activation import DEFAULT_MAX_DISTANCE, build_plan

SYSTEM = SystemActor("emergency.readiness")


def refresh_readiness(paths: list[str], *, max_distance_m: int = DEFAULT_MAX_DISTANCE) -> int:
    """Recompute the districts containing these paths (called when availability changes)."""
    districts = sorted(
        {ancestor_path(p, Level.DISTRICT) for p in paths if len(p) >= PATH_LENGTH[Level.DISTRICT]}
    )
    total = 0
    for d in districts:
        communities = list(
            Area.objects.unscoped("readiness is computed by the platform")
            .in_area(d)
            .filter(level=Level.COMMUNITY, is_active=True)
            .order_by("path")
        )
        total += _compute(SYSTEM, communities, max_distance_m)
    return total


@transaction.atomic
def compute_readiness(actor, area: Area, *, max_distance_m: int = DEFAULT_MAX_DISTANCE) -> int:
    require(actor, "emergency.view_readiness")
    Area.objects.lock_in_scope(actor, area.pk)
    return refresh_readiness([c.path for c in _communities_under(area)], max_distance_m=max_distance_m)


def _communities_under(area: Area) -> list[Area]:
    """The communities under `area`, or the one containing it (a grid asks about its community)."""
    path = ancestor_path(area.path, Level.COMMUNITY) if area.level > Level.COMMUNITY else area.path
    return list(
        Area.objects.unscoped("communities under a checked area")
        .in_area(path)
        .filter(level=Level.COMMUNITY, is_active=True)
    )


@transaction.atomic
def _compute(actor, communities: list[Area], max_distance_m: int) -> int:
    formed = set(
        WorkGroup.objects.unscoped("readiness is computed by the platform")
        .filter(community__in=communities, mode=Mode.EMERGENCY)
        .values_list("community_id", flat=True)
    )
    communities = [c for c in communities if c.pk in formed]
    if not communities:
        return 0
    plan = build_plan(actor, communities[0], communities, max_distance_m=max_distance_m, when=now())
    required: dict[int, int] = defaultdict(int)
    for g in plan.groups:
        required[g.community_id] += g.headcount
    short: dict[int, list[dict]] = defaultdict(list)
    for s in plan.shortfall:
        short[s["community"]].append(s)
    stamp = now()
    for c in communities:
        missing = sum(s["short"] for s in short[c.pk])
        Readiness.objects.unscoped("readiness is computed by the platform").update_or_create(
            community=c,
            defaults={
                "area_path": c.path,
                "required": required[c.pk],
                "staffed": required[c.pk] - missing,
                "shortfall": short[c.pk],
                "computed_at": stamp,
            },
        )
    audit.record(
        actor,
        "emergency.readiness",
        None,
        after={"communities": len(communities), "short": sum(len(v) for v in short.values())},
        area_path=ancestor_path(communities[0].path, Level.DISTRICT),
    )
    return len(communities)
