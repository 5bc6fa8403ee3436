"""Shared reads of the points system: what applies to a user's area (items defined above it included),
what a resident can sign up for or report, the resident's summary for their home page, report figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Model, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Level
from gridgov.core.scope import OutOfScope, subtree_q, user_can_reach, user_scope_path

from .models import Activity, Entry, GridScoreRule, Participation, PartStatus, Redemption, Transaction, TxKind

COMMUNITY_LENGTH = PATH_LENGTH[Level.COMMUNITY]
LEVEL_OF_LENGTH = {length: level for level, length in PATH_LENGTH.items()}
# How far back a resident may self-report hours for an activity that has taken place.
REPORT_WINDOW_DAYS = 30


# --- items defined at an ancestor apply to the whole subtree -------------------------------------------
def ancestor_paths(path: str) -> list[str]:
    """The paths of the areas above `path` (city first), not `path` itself."""
    return [path[:n] for n in sorted(PATH_LENGTH.values()) if n < len(path)]


def applicable(model: type[Model], user) -> QuerySet:
    """Rows of a scoped model that apply to the user's area: those in its subtree (the user may change
    them) and those defined at an ancestor (read-only: city-wide scenarios and rules apply below)."""
    manager = model.objects  # type: ignore[attr-defined]
    try:
        root = user_scope_path(user)
    except OutOfScope:
        return manager.visible_to(user)  # resolves to nothing
    if root is None:
        return manager.visible_to(user)
    field = model.scope_field  # type: ignore[attr-defined]
    return manager.unscoped("items defined above the user's area apply to it (read-only)").filter(
        subtree_q(field, root) | Q(**{f"{field}__in": ancestor_paths(root)})
    )


def owner_label(path: str, user) -> str:
    """'' when the item lies in the user's subtree (theirs to change); else who owns it: 上级（市级）."""
    if user_can_reach(user, path):
        return ""
    level = LEVEL_OF_LENGTH.get(len(path))
    name = Level(level).label if level else "?"
    return _("上级（%(level)s级）") % {"level": name}


def mark_owners(items, user) -> list:
    """The items with `owner_label` and `editable` set for templates."""
    items = list(items)
    for item in items:
        item.owner_label = owner_label(item.area_path, user)
        item.editable = not item.owner_label
    return items


# --- what a resident can join ----------------------------------------------------------------------
def _open_to(path: str) -> Q:
    """Activities a resident at `path` may join: those of their community's subtree and those of an area
    above it (a street's or the city's activity is open to every community below)."""
    community = path[:COMMUNITY_LENGTH]
    return subtree_q("area_path", community) | Q(area_path__in=ancestor_paths(community))


def open_activities(resident) -> QuerySet[Activity]:
    """Upcoming activities of the resident's community (or above) with free places, soonest first."""
    now = timezone.now()
    return (
        Activity.objects.unscoped("activities open to a resident")
        .filter(_open_to(resident.area_path), starts_at__gt=now)
        .filter(signed_up__lt=F("capacity"))
        .exclude(participations__resident=resident)
        .order_by("starts_at", "id")
    )


def reportable_activities(resident) -> QuerySet[Activity]:
    """Activities that have taken place (within REPORT_WINDOW_DAYS) and for which the resident may still
    report hours: not reported, approved or rejected yet."""
    now = timezone.now()
    done = Participation.objects.unscoped("a resident's own participations").filter(
        resident=resident,
        status__in=[PartStatus.REPORTED, PartStatus.APPROVED, PartStatus.REJECTED],
    )
    return (
        Activity.objects.unscoped("activities a resident may report")
        .filter(
            _open_to(resident.area_path),
            starts_at__lte=now,
            starts_at__gte=now - dt.timedelta(days=REPORT_WINDOW_DAYS),
        )
        .exclude(pk__in=done.values("activity_id"))
        .order_by("-starts_at", "-id")
    )


def my_participations(resident, limit: int = 50) -> list[Participation]:
    return list(
        Participation.objects.unscoped("a resident's own participations")
        .filter(resident=resident)
        .select_related("activity")
        .order_by("-service_date", "-id")[:limit]
    )


def resident_summary(user) -> dict[str, Any] | None:
    """What a resident's home page shows about points, or None when the login is not linked to a resident.

    Keys: resident, account, balance, recent (last 5 ledger entries with their transaction),
    open_activities (up to 5 upcoming ones to sign up for), pending (their participations waiting for
    sign-in or approval), reportable (activities they may still report hours for).
    """
    from . import services

    if not getattr(user, "is_authenticated", False):
        return None
    resident = services.resident_of_user(user)
    if resident is None:
        return None
    account = services.resident_account(resident)
    pending = [
        p
        for p in my_participations(resident, limit=20)
        if p.status in (PartStatus.SIGNED_UP, PartStatus.CHECKED_IN, PartStatus.REPORTED)
    ]
    return {
        "resident": resident,
        "account": account,
        "balance": account.balance,
        "recent": list(account.entries.select_related("transaction").order_by("-id")[:5]),
        "open_activities": list(open_activities(resident)[:5]),
        "pending": pending,
        "reportable": list(reportable_activities(resident)[:5]),
    }


# --- reports ------------------------------------------------------------------------------------------
def short_label(name: str, parent_name: str, limit: int = 8) -> str:
    """A child's name without its parent's name in front (春晖社区第1网格 → 第1网格), cut to `limit` characters
    so chart axis labels stay readable on a phone."""
    if parent_name and name.startswith(parent_name) and len(name) > len(parent_name):
        name = name[len(parent_name) :]
    return name if len(name) <= limit else name[: limit - 1] + "…"


def report_figures(user, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Issued and redeemed points by child area, top volunteers and redemptions by scenario, for the days
    start..end (inclusive), in the user's scope."""
    from gridgov.areas.models import Area

    root = user.area
    children = list(Area.objects.visible_to(user).filter(parent=root).order_by("path")[:40]) if root else []
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    txs = Transaction.objects.visible_to(user).filter(created_at__gte=since, created_at__lt=until)
    redemptions = Redemption.objects.visible_to(user).filter(
        reversed=False, created_at__gte=since, created_at__lt=until
    )
    issued_q = Q(kind__in=[TxKind.EARN, TxKind.STAFF])
    by_area = []
    for child in children:
        issued = (
            Entry.objects.unscoped("credits of transactions the user sees (visible_to above), per child area")
            .filter(
                transaction__in=txs.filter(issued_q).filter(subtree_q("area_path", child.path)), amount__gt=0
            )
            .aggregate(s=Sum("amount"))["s"]
            or 0
        )
        redeemed = redemptions.in_area(child.path).aggregate(s=Sum("points"))["s"] or 0
        by_area.append(
            {
                "name": child.name,
                "label": short_label(child.name, root.name if root else ""),
                "issued": issued,
                "redeemed": redeemed,
            }
        )
    top = list(
        Participation.objects.visible_to(user)
        .filter(status=PartStatus.APPROVED, service_date__gte=start, service_date__lte=end)
        .values("resident__name")
        .annotate(m=Sum("minutes"), p=Sum("points"))
        .order_by("-m", "resident__name")[:10]
    )
    scenarios = list(
        redemptions.values("scenario__name").annotate(n=Sum("quantity"), p=Sum("points")).order_by("-n")[:15]
    )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by_area": by_area,
        "top_volunteers": [
            {
                "name": t["resident__name"],
                "label": short_label(t["resident__name"], ""),
                "hours": round((t["m"] or 0) / 60, 1),
                "points": t["p"] or 0,
            }
            for t in top
        ],
        "by_scenario": [
            {
                "name": s["scenario__name"],
                "label": short_label(s["scenario__name"], ""),
                "count": s["n"],
                "points": s["p"],
            }
            for s in scenarios
        ],
    }


def volunteer_figures(area, *, top: int = 10) -> dict:
    """Volunteer services under an area (the indicator `pt_volunteer_services`): the total, by child area,
    by month and the top volunteers. The children and the months each add up to the total."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from gridgov.areas.models import Area

    from .indicators import VOLUNTEER_SERVICES, volunteer_services

    total = VOLUNTEER_SERVICES.value(area.path)
    children = []
    if area.level < Level.UNIT:
        length = PATH_LENGTH[Level(area.level + 1)]
        counts = VOLUNTEER_SERVICES.by_prefix(area.path, length)
        known = {
            path: (name, pk)
            for path, name, pk in Area.objects.unscoped("the children of an area the caller read in scope")
            .filter(parent=area)
            .values_list("path", "name", "pk")
        }
        children = [
            {"path": p, "name": known.get(p, (p, None))[0], "pk": known.get(p, (p, None))[1], "count": n}
            for p, n in sorted(counts.items())
        ]
    rows = volunteer_services().filter(subtree_q("resident_path", area.path))
    months = [
        {"month": r["m"], "count": r["n"]}
        for r in rows.annotate(m=TruncMonth("service_date")).order_by("m").values("m").annotate(n=Count("id"))
    ]
    volunteers = list(
        rows.order_by()
        .values("resident_id", "resident__name")
        .annotate(n=Count("id"), minutes=Sum("minutes"))
        .order_by("-n", "-minutes", "resident_id")[:top]
    )
    return {
        "total": total,
        "children": children,
        "months": months,
        "top": [
            {"name": v["resident__name"], "count": v["n"], "hours": round((v["minutes"] or 0) / 60, 1)}
            for v in volunteers
        ],
    }


# --- grid-score rules ------------------------------------------------------------------------------------
def grid_rules_for(user) -> QuerySet[GridScoreRule]:
    """The grid-score rules that apply in the user's area: the city default, the rule of the user's own
    district (above a street, community or grid user) and the districts' below (a city user: all of them).
    `GridScoreRule` is configuration, not a scoped row, so this is its one narrowing (page and API)."""
    try:
        path = user_scope_path(user)
    except OutOfScope:
        return GridScoreRule.objects.none()
    rules = GridScoreRule.objects.select_related("district")
    if path is not None:
        district = path[: PATH_LENGTH[Level.DISTRICT]]
        rules = rules.filter(
            Q(district__isnull=True) | Q(district__path__startswith=path) | Q(district__path=district)
        )
    return rules.order_by("district__path", "-effective_from", "id")
