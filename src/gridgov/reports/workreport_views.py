"""工作报告 pages: choose an area and a period, generate the .docx (reports/workreport.py), list the reports
of the user's scope, read one as HTML (the same content and charts as its file) and download it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import Area, Level
from gridgov.core.indicators import PERIOD_RE
from gridgov.core.pages import page_of
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError

from . import workreport
from .models import WorkReport

VIEW = "reports.view_indicatorsnapshot"
GENERATE = "reports.generate_workreport"
MAX_ID_DIGITS = 18  # ids fit a signed 64-bit integer


def area_choices(user):
    """The areas offered: the user's own and its descendants two levels down, not below communities
    (a city: districts and streets; a street: its communities)."""
    own = user.area.level if getattr(user, "area_id", None) else Level.CITY
    deepest = max(own, min(own + 2, Level.COMMUNITY))
    return (
        Area.objects.visible_to(user)
        .filter(is_active=True, level__gte=own, level__lte=deepest)
        .order_by("path")
    )


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return "\u3000" * max(0, obj.level - self.top_level) + f"{obj.name}({obj.get_level_display()})"

    top_level = Level.CITY


class WorkReportForm(forms.Form):
    area = AreaChoiceField(queryset=Area.objects.none(), label=gettext_lazy("区域"), empty_label=None)
    period = forms.CharField(
        label=gettext_lazy("期间"),
        required=False,
        max_length=7,
        help_text=gettext_lazy("留空为当前数"),
        widget=forms.TextInput(attrs={"type": "month", "data-testid": "work-report-period"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, AreaChoiceField)
        field.queryset = area_choices(user)
        field.widget.attrs["data-testid"] = "work-report-area"
        field.top_level = user.area.level if getattr(user, "area_id", None) else Level.CITY

    def clean_period(self) -> str:
        period = (self.cleaned_data.get("period") or "").strip()
        if period and not PERIOD_RE.match(period):
            raise forms.ValidationError(_("期间格式应为 YYYY-MM"))
        return period


def _visible_reports(user):
    return WorkReport.objects.visible_to(user).select_related("area", "created_by")


@login_required
@permission_required(VIEW, raise_exception=True)
def index(request):
    """GET: the form and the reports already generated in the user's scope; POST: generate one."""
    user = request.user
    status = 200
    if request.method == "POST":
        if not user.has_perm(GENERATE):
            raise PermissionDenied
        raw = request.POST.get("area", "")
        # An id of an area the user cannot see (or none at all) is not found, as everywhere else.
        visible = Area.objects.visible_to(user)
        if raw.isdigit() and len(raw) <= MAX_ID_DIGITS and not visible.filter(pk=int(raw)).exists():
            raise Http404
        form = WorkReportForm(request.POST, user=user)
        if form.is_valid():
            try:
                report = workreport.generate_work_report(
                    user, area=form.cleaned_data["area"], period=form.cleaned_data["period"]
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                form.add_error(None, str(exc))
                status = 400
            except workreport.ChartFontMissing as exc:
                form.add_error(None, str(exc))
                status = 503
            else:
                messages.success(request, _("已生成工作报告:%(title)s") % {"title": report.title})
                return redirect("reports:work_report_detail", pk=report.pk)
        else:
            status = 400
    else:
        # Opened from 指标总表: the area and period shown there (an id not offered is ignored).
        asked, period = request.GET.get("area", ""), request.GET.get("period", "")
        area_id = int(asked) if asked.isdigit() and len(asked) <= MAX_ID_DIGITS else user.area_id
        if not area_choices(user).filter(pk=area_id).exists():
            area_id = user.area_id
        initial = {"area": area_id, "period": period if PERIOD_RE.match(period) else ""}
        form = WorkReportForm(initial=initial, user=user)
    return render(
        request,
        "reports/work_report_index.html",
        {
            "form": form,
            "page": page_of(request, _visible_reports(user).order_by("-created_at", "-pk"), 20),
            "can_generate": user.has_perm(GENERATE),
        },
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def detail(request, pk: int):
    """The report as HTML, built from the figures it was made from (the same content as its file)."""
    report = get_object_or_404(_visible_reports(request.user), pk=pk)
    content = workreport.build_content(report.figures, report.title)
    return render(
        request,
        "reports/work_report_detail.html",
        {"report": report, "content": content, "figures": report.figures},
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def download(request, pk: int):
    report = get_object_or_404(_visible_reports(request.user), pk=pk)
    return FileResponse(report.docx.open("rb"), as_attachment=True, filename=download_name(report))


@login_required
@permission_required(VIEW, raise_exception=True)
def chart(request, pk: int, index: int):
    """One chart of the report as PNG: the image its .docx holds."""
    report = get_object_or_404(_visible_reports(request.user), pk=pk)
    png = workreport.chart_png(report, index)
    if png is None:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"  # a kept report never changes
    return response


def download_name(report: WorkReport) -> str:
    code = "".join(ch for ch in report.area.code if ch.isalnum()) or str(report.area_id)
    return f"工作报告-{code}-{report.period or '当前'}.docx"
