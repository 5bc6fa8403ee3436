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


def dashboard_context(request, codes: list[str], chart_codes: list[str]) -> dict:
    """Figures for the chosen area and, in one grouped query per figure, for each of its children.

    Only figures shown at the area's level appear; the children's table has a column for each figure
    that breaks down to them (see core.indicators). The chart shows the first of `chart_codes` that does.
    """
    from gridgov.areas.queries import breakdown_for, visible_ancestors

    root = check_root(request)
    table = breakdown_for(root, codes, link=lambda a: f"?area={a.pk}")
    chart_code = next((c for c in chart_codes if c in table["column_codes"]), None)
    chart_rows = table["rows"][:60]
    return {
        "area": root,
        "crumbs": visible_ancestors(request.user, root),
        "figures": table["figures"],
        "values": table["values"],
        "table": table,
        "children": table["rows"],
        "chart": {
            "title": table["titles"].get(chart_code, ""),
            "names": [row["name"] for row in chart_rows],
            "values": [row["by_code"][chart_code] for row in chart_rows] if chart_code else [],
        }
        if chart_code
        else None,
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


def check_list_sheet(context: dict) -> bytes:
    """The overview of checks as on the page: each check with its number of problems for the area."""
    from django.utils.translation import gettext as _

    from gridgov.core.xlsx import Column, write_sheet

    area = context["area"]
    columns = [
        Column("area", str(_("区域"))),
        Column("label", str(_("检查项"))),
        Column("description", str(_("说明"))),
        Column("count", str(_("问题数"))),
    ]
    rows = [
        {
            "area": area.name,
            "label": str(c["label"]),
            "description": str(c["description"]),
            "count": c["count"],
        }
        for c in context["checks"]
    ]
    return write_sheet(f"{context['title']} {area.name}", columns, rows)


def check_rows_sheet(request, check) -> tuple[bytes, Area]:
    """Every problem a check finds in the chosen area (not only the page shown), in the page's columns."""
    from django.utils.translation import gettext as _

    from gridgov.core.xlsx import Column, write_sheet

    root = check_root(request)
    result = check.run(request.user, root.path, request.GET)
    columns = [
        Column("name", str(_("名称"))),
        Column("where", str(_("所在"))),
        Column("code", str(_("代码"))),
        Column("detail", str(_("说明"))),
    ]
    items = result if isinstance(result, list) else result.iterator(chunk_size=2000)
    rows = (check.describe(item) for item in items)
    return write_sheet(f"{check.label} {root.name}", columns, rows), root
