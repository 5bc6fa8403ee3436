"""数据大屏 (the city cockpit): a full-screen page that draws what GET /api/reports/cockpit/ returns and
fetches it again every minute (docs/reports.md). The page only checks the area, the period and the
indicator it opens with; the figures come through the endpoint."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.areas.checks import check_root
from gridgov.core import indicators

from .views import _period

REFRESH_SECONDS = 60


@login_required
@permission_required("reports.view_indicatorsnapshot", raise_exception=True)
def cockpit(request):
    area = check_root(request)  # ?area= outside the scope or malformed: 404
    period = _period(request.GET.get("period"))
    code = (request.GET.get("code") or "").strip()
    error, status = "", 200
    if period is None:
        error, status, period = _("期间格式应为 YYYY-MM"), 400, ""
    if code and code not in indicators.REGISTRY:
        error, status, code = _("未知的指标"), 400, ""
    return render(
        request,
        "reports/cockpit.html",
        {
            "area": area,
            "period": period,
            "code": code,
            "error": error,
            "api_url": reverse("report-cockpit-list"),
            "table_url": reverse("reports:index"),
            "refresh_seconds": REFRESH_SECONDS,
            "labels": _labels(),
        },
        status=status,
    )


def _labels() -> dict[str, str]:
    """The words the script writes (placeholders in braces, filled in by the script)."""
    return {
        "live": _("实时计算"),
        "computed": _("计算于"),
        "stale": _("数据已更新,快照较旧"),
        "refreshed": _("刷新于"),
        "total": _("合计"),
        "parts_sum": _("各{level}之和"),
        "not_additive": _("不可相加"),
        "no_children": _("无下级区域"),
        "no_geometry": _("{n} 个下级区域无空间范围,见左侧排名"),
        "drill": _("点击进入"),
        "red_empty": _("无未达标指标"),
        "yellow_empty": _("各项检查均无问题"),
        "target": _("目标"),
        "at_most": _("不超过"),
        "at_least": _("不低于"),
        "where": _("问题所在"),
        "error": _("数据加载失败,一分钟后自动重试"),
        "ranking": _("各{level}{indicator}排名"),
        "map": _("各{level}{indicator}"),
        "trend_empty": _("本区域没有按月统计的指标"),
        "loading": _("正在加载…"),
    }
