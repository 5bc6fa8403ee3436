"""Each role lands on a page made for its daily work (the home pages of README's "Roles" table).

The staff of an area (city to community) land on their area's drill-down; a grid worker on the grid's
work queue and patrol; a merchant on the redeem page; a property company on its own work orders and
rank; a resident on a phone page of their own. Reads only: every figure comes from the app that owns it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.areas.models import Area, Level
from gridgov.events.models import OPEN_STATES, Event


@login_required
def home(request):
    role = request.user.role
    if role == Role.RESIDENT:
        return redirect("web:resident_home")
    if role == Role.GRID_WORKER:
        return redirect("web:grid_home")
    if role == Role.MERCHANT:
        return redirect("points:merchant")
    if role == Role.PROPERTY:
        return redirect("web:property_home")
    if role in (
        Role.DEPT_PUBLIC_SECURITY,
        Role.DEPT_CIVIL_AFFAIRS,
        Role.DEPT_HOUSING,
        Role.DEPT_POLITICAL_LEGAL,
    ):
        return redirect("datahub:sources")  # department logins work only in the data hub
    return area_home(request)


@login_required
def area_home(request):
    """The drill-down of the user's own area (the root of what they may see)."""
    if request.user.area_id and request.user.has_perm("areas.view_area"):
        return redirect("areas:detail", pk=request.user.area_id)
    if not request.user.has_perm("areas.view_area"):
        raise PermissionDenied
    root = Area.objects.visible_to(request.user).filter(parent__isnull=True).order_by("path").first()
    if root is None:
        return render(request, "web/empty.html")
    return redirect("areas:detail", pk=root.pk)


def _require(request, role: str) -> None:
    if request.user.role != role:
        raise PermissionDenied


@login_required
def grid_home(request):
    """A grid worker's phone page: the grid's open work orders (most urgent first), patrol and report."""
    _require(request, Role.GRID_WORKER)
    grid = request.user.area
    events = Event.objects.visible_to(request.user).filter(state__in=OPEN_STATES)
    queue = list(
        events.select_related("category", "area").order_by("-escalation_level", "finish_due", "-reported_at")[
            :10
        ]
    )
    figures = {
        "open": events.count(),
        "overdue": events.filter(overdue=True).count(),
        "mine": events.filter(handler=request.user).count(),
    }
    return render(
        request,
        "web/grid_home.html",
        {"grid": grid, "queue": queue, "figures": figures, "now": timezone.now()},
    )


@login_required
def resident_home(request):
    """A resident's phone page: points and code, my reports, activities to join, positions nearby."""
    _require(request, Role.RESIDENT)
    from gridgov.facilities.api import nearby_origin
    from gridgov.facilities.queries import nearby
    from gridgov.points.queries import resident_summary

    origin = nearby_origin(request.user, None)
    positions, _method = nearby(origin, limit=3) if origin is not None else ([], "none")
    reports = list(
        Event.objects.visible_to(request.user)
        .filter(reporter=request.user)
        .select_related("category")
        .order_by("-reported_at")[:5]
    )
    return render(
        request,
        "web/resident_home.html",
        {
            "points": resident_summary(request.user),
            "reports": reports,
            "positions": positions,
            "origin": origin if origin is not None and origin.level == Level.BUILDING else None,
        },
    )


@login_required
def property_home(request):
    """A property company's page: its open work orders and its place in the latest monthly ranking."""
    _require(request, Role.PROPERTY)
    from gridgov.property.models import CompanyAccount
    from gridgov.property.queries import company_standing

    account = CompanyAccount.objects.filter(user=request.user).select_related("company").first()
    company = account.company if account is not None else None
    events = Event.objects.visible_to(request.user).filter(state__in=OPEN_STATES)
    queue = list(events.select_related("category", "area").order_by("-escalation_level", "finish_due")[:20])
    # The same rank as the company's own page and the street's ranking: its latest scored month.
    standing = company_standing(company, months=1) if company is not None else []
    rank = standing[0] if standing else None
    return render(
        request,
        "web/property_home.html",
        {"company": company, "queue": queue, "open": events.count(), "rank": rank},
    )
