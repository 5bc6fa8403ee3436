"""The area-bound half of coverage checks and figure dashboards (party and workforce): which area a check
runs for, the page contexts, the xlsx of a check's rows, an area row, and the API viewset bases. The
domain-free half (`Check`, `count_of`, the overview sheet) is `core.checks`."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from gridgov.core import indicators
from gridgov.core.checks import Check, count_of

from .models import Area

__all__ = [
    "AREA_PARAM",
    "Check",
    "CheckViewSetBase",
    "FiguresViewSetBase",
    "area_row",
    "check_list_context",
    "check_page_context",
    "check_root",
    "check_rows_sheet",
    "count_of",
    "dashboard_context",
]


def area_row(area: Area) -> dict:
    """A check's row for an area (a grid without a worker, a community without a branch, …)."""
    return {
        "id": area.pk,
        "name": area.name,
        "code": area.code,
        "path": area.path,
        "where": area.parent.name if area.parent is not None else "",
        "detail": "",
        "url": reverse("areas:detail", args=[area.pk]),
    }


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


def dashboard_context(request, codes: list[str], chart_codes: list[str]) -> dict:
    """Figures for the chosen area and, in one grouped query per figure, for each of its children.

    Only figures shown at the area's level appear; the children's table has a column for each figure
    that breaks down to them (see core.indicators). The chart shows the first of `chart_codes` that does.
    """
    from .queries import breakdown_for, visible_ancestors

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

    from .queries import visible_ancestors

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
    from .queries import visible_ancestors

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


# --- API: a family of checks, and an app's figures for an area ------------------------------------------
AREA_PARAM = OpenApiParameter("area", int, description="区域编号(默认本人所辖区域)")


class CheckViewSetBase(viewsets.ViewSet):
    """GET …/checks/ lists the checks with counts; GET …/checks/<code>/ pages the offending items."""

    checks: dict = {}
    view_permission = ""
    lookup_value_regex = "[a-z_]+"

    def get_permissions(self):
        self.action_permissions = {"list": [self.view_permission], "retrieve": [self.view_permission]}
        return super().get_permissions()

    @extend_schema(parameters=[AREA_PARAM], responses=OpenApiTypes.OBJECT)
    def list(self, request):
        root = check_root(request)
        return Response(
            {
                "area": {"id": root.pk, "name": root.name, "path": root.path},
                "checks": [
                    {
                        "code": c.code,
                        "label": str(c.label),
                        "description": str(c.description),
                        "count": count_of(c.run(request.user, root.path, request.GET)),
                    }
                    for c in self.checks.values()
                ],
            }
        )

    @extend_schema(parameters=[AREA_PARAM], responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, pk=None):
        from django.http import Http404

        check = self.checks.get(pk)
        if check is None:
            raise Http404
        root = check_root(request)
        paginator = self.pagination_class() if self.pagination_class else None  # type: ignore[misc]
        result = check.run(request.user, root.path, request.GET)
        assert paginator is not None
        page = paginator.paginate_queryset(result, request, view=self)
        response = paginator.get_paginated_response([check.describe(item) for item in page or []])
        response.data["check"] = {"code": check.code, "label": str(check.label), "area": root.pk}
        return response

    @property
    def pagination_class(self):
        from gridgov.core.permissions import Pagination

        return Pagination


class FiguresViewSetBase(viewsets.ViewSet):
    codes: list[str] = []
    view_permission = ""

    def get_permissions(self):
        self.action_permissions = {"list": [self.view_permission]}
        return super().get_permissions()

    def more_figures(self, values: dict) -> dict:
        return {}

    @extend_schema(parameters=[AREA_PARAM], responses=OpenApiTypes.OBJECT)
    def list(self, request):
        root = check_root(request)
        values = indicators.for_area(root.path, self.codes)
        return Response(
            {
                "area": {"id": root.pk, "name": root.name, "path": root.path},
                "figures": [
                    {
                        "code": c,
                        "label": str(indicators.get(c).label),
                        "unit": str(indicators.get(c).unit),
                        "value": values[c],
                    }
                    for c in self.codes
                ],
                **self.more_figures(values),
            }
        )
