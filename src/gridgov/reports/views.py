"""指标总表: every indicator of an area for a period, grouped by the report's chapters, with its
breakdown by child area, an xlsx of that breakdown and a refresh of the snapshots (docs/reports.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.areas.checks import check_root
from gridgov.areas.models import Area
from gridgov.areas.queries import visible_ancestors
from gridgov.core import indicators
from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response

from . import queries, services


def _period(raw: str | None) -> str | None:
    """The period asked for: "" (current), "YYYY-MM", or None when malformed."""
    raw = (raw or "").strip()
    try:
        indicators.parse_period(raw)
    except ValueError:
        return None
    return raw


@login_required
@permission_required("reports.view_indicatorsnapshot", raise_exception=True)
def index(request):
    area = check_root(request)
    period = _period(request.GET.get("period"))
    status = 200
    if period is None:
        messages.error(request, _("期间格式应为 YYYY-MM"))
        period, status = "", 400
    t = queries.table(area, period)
    query = urlencode({"area": str(area.pk), "period": period})
    return render(
        request,
        "reports/index.html",
        {
            "area": area,
            "crumbs": visible_ancestors(request.user, area),
            "period": period,
            "table": t,
            "chapters": t.chapters(),
            "columns": [indicators.get(c) for c in t.columns],
            "breakdown": t.breakdown_rows(),
            "stale": t.computed_at is not None and queries.newer_sources(area, t.computed_at),
            "export_url": f"{reverse('reports:export')}?{query}",
            "can_refresh": request.user.has_perm("reports.refresh_indicatorsnapshot"),
        },
        status=status,
    )


@login_required
@permission_required("reports.view_indicatorsnapshot", raise_exception=True)
def export(request) -> HttpResponse:
    area = check_root(request)
    period = _period(request.GET.get("period"))
    if period is None:
        return HttpResponse(_("期间格式应为 YYYY-MM"), status=400, content_type="text/plain; charset=utf-8")
    t = queries.table(area, period)
    return xlsx_response(queries.table_sheet(t), f"indicators-{area.code}-{period or 'current'}.xlsx")


@login_required
@require_POST
def refresh(request):
    if not request.user.has_perm("reports.refresh_indicatorsnapshot"):
        raise PermissionDenied
    raw = request.POST.get("area", "")
    if not (raw.isdigit() and len(raw) < 19):
        raise Http404
    area = get_object_or_404(Area.objects.visible_to(request.user), pk=int(raw))
    period = _period(request.POST.get("period"))
    if period is None:
        messages.error(request, _("期间格式应为 YYYY-MM"))
        return redirect(_index_url(area, ""))
    try:
        n = services.refresh_snapshots(request.user, period=period, root_path=area.path)
        messages.success(request, _("已刷新%(n)d项指标快照") % {"n": n})
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect(_index_url(area, period))


def _index_url(area: Area, period: str) -> str:
    return f"{reverse('reports:index')}?{urlencode({'area': str(area.pk), 'period': period})}"
