"""Shared plumbing for coverage checks (party and workforce): which area, paging, API and page views."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from gridgov.areas.models import Area


def check_root(request) -> Area:
    """The area a check runs for: ?area=<id> inside the user's scope, else the user's own area (or the top)."""
    visible = Area.objects.visible_to(request.user)
    area_id = request.GET.get("area")  # DRF's Request proxies GET to the Django request
    if area_id:
        if not str(area_id).isdigit():
            raise Http404
        return get_object_or_404(visible, pk=int(area_id))
    if request.user.area_id:
        return get_object_or_404(visible, pk=request.user.area_id)
    root = visible.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise Http404
    return root


def count_of(result) -> int:
    return len(result) if isinstance(result, list) else result.count()


def dashboard_context(request, codes: list[str], chart_code: str) -> dict:
    """Figures for the chosen area and, in one grouped query per figure, for each of its children."""
    from gridgov.areas.models import PATH_LENGTH, Level
    from gridgov.areas.queries import visible_ancestors
    from gridgov.core import indicators

    root = check_root(request)
    values = indicators.for_area(root.path, codes)
    children = []
    if root.level < Level.GRID:
        kids = list(
            Area.objects.unscoped("children of a visible area")
            .filter(parent=root, is_active=True)
            .order_by("path")
        )
        grouped = indicators.for_children(root.path, PATH_LENGTH[root.level + 1], codes)
        children = [{"area": k, "values": [grouped[c].get(k.path, 0) for c in codes]} for k in kids]
    chart_index = codes.index(chart_code)
    return {
        "area": root,
        "crumbs": visible_ancestors(request.user, root),
        "figures": [
            {"code": c, "label": indicators.get(c).label, "unit": indicators.get(c).unit, "value": values[c]}
            for c in codes
        ],
        "values": values,
        "labels": [indicators.get(c).label for c in codes],
        "children": children,
        "chart": {
            "title": str(indicators.get(chart_code).label),
            "names": [row["area"].name for row in children[:60]],
            "values": [row["values"][chart_index] for row in children[:60]],
        },
    }


def check_page_context(request, check) -> dict:
    from django.core.paginator import Paginator

    from gridgov.areas.queries import visible_ancestors

    root = check_root(request)
    result = check.run(request.user, root.path, request.GET)
    page = Paginator(result, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "check": check,
        "area": root,
        "crumbs": visible_ancestors(request.user, root),
        "page": page,
        "rows": [check.describe(item) for item in page],
        "querystring": params.urlencode(),
    }


def check_list_context(request, checks, detail_url_name: str, title) -> dict:
    """The overview of a family of checks (party coverage, workforce): each check's count for one area."""
    from django.urls import reverse

    from gridgov.areas.queries import visible_ancestors

    root = check_root(request)
    rows = [
        {
            "code": c.code,
            "label": c.label,
            "description": c.description,
            "count": count_of(c.run(request.user, root.path, request.GET)),
            "url": reverse(detail_url_name, args=[c.code]),
        }
        for c in checks
    ]
    return {"checks": rows, "area": root, "crumbs": visible_ancestors(request.user, root), "title": title}
