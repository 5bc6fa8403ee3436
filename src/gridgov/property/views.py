"""Pages: the monthly ranking with its chart and service star, the quarterly bottom list and the yearly
elimination list; the xlsx export of the ranking; companies, estates (and the no-service check) and
round-table meetings."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.pages import ScopedListView, ServiceFormView
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import queries, services
from .columns import companies_sheet, estates_sheet, my_company_sheet, ranking_sheet
from .filters import CompanyFilter, EstateFilter
from .forms import MeetingForm, MonthForm
from .models import (
    STANDARDS,
    CoverageModel,
    Elimination,
    Estate,
    MonthlyScore,
    PropertyCompany,
    RoundTable,
    Scorer,
    Talk,
)


@login_required
@permission_required("property.view_monthlyscore", raise_exception=True)
def ranking(request):
    month = MonthForm.month_of(request.GET)
    companies = PropertyCompany.objects.visible_to(request.user)
    rows = queries.monthly_ranking(companies, month)
    quarter = (month.month - 1) // 3 + 1
    chart = {
        "names": [r.company.name for r in rows[:30]],
        "party": [r.party for r in rows[:30]],
        "professional": [r.professional for r in rows[:30]],
        "satisfaction": [r.satisfaction for r in rows[:30]],
        "total": [r.total for r in rows[:30]],
    }
    return render(
        request,
        "property/ranking.html",
        {
            "month": month,
            "rows": rows,
            "chart": chart,
            "quarter": quarter,
            "bottom": queries.quarter_bottom(companies, month.year, quarter),
            "elimination": queries.elimination_list(companies, month.year - 1),
            "last_year": month.year - 1,
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required("property.export_ranking", raise_exception=True)
def ranking_export(request):
    month = MonthForm.month_of(request.GET)
    rows = queries.monthly_ranking(PropertyCompany.objects.visible_to(request.user), month)
    response = HttpResponse(ranking_sheet(month, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="ranking-{month:%Y-%m}.xlsx"'
    return response


# --- companies, estates, the no-service check, round-table meetings ----------------------------------
def _companies(request):
    return PropertyCompany.objects.visible_to(request.user)


def _estates(request):
    return Estate.objects.visible_to(request.user).select_related("company", "area")


def _with_complaints(estates: list[Estate]) -> list[Estate]:
    """Each estate's complaint count, from one grouped query for the whole list."""
    counts = queries.complaint_counts(estates)
    for estate in estates:
        estate.complaint_count = counts.get(estate.pk, 0)  # type: ignore[attr-defined]
    return estates


def _cleaned(filterset) -> dict:
    """The filter values a list page shows back in its form (none when one is invalid)."""
    return filterset.form.cleaned_data if filterset is not None and filterset.is_valid() else {}


class XlsxAtOwnURL:
    """A list's xlsx at its own URL (`…/export.xlsx`): the rows its filters select, not only one page."""

    def get(self, request, *args, **kwargs):
        return xlsx_response(self.export(self.get_queryset()), self.export_filename)  # type: ignore[attr-defined]


class CompanyListView(ScopedListView):
    permission_required = "property.view_propertycompany"
    queryset = (
        PropertyCompany.objects.select_related("area")
        .annotate(estate_count=Count("estates"))
        .order_by("area_path", "name")
    )
    filterset_class = CompanyFilter
    template_name = "property/company_list.html"
    export_filename = "property-companies.xlsx"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = _cleaned(self.filterset)
        context.update(q=data.get("q") or "", public=bool(data.get("public")), standards_total=len(STANDARDS))
        return context

    def export(self, qs) -> bytes:
        return companies_sheet(list(qs))


class CompanyExportView(XlsxAtOwnURL, CompanyListView):
    pass


class EstateListView(ScopedListView):
    permission_required = "property.view_estate"
    queryset = Estate.objects.select_related("company", "area").order_by("area_path", "name")
    filterset_class = EstateFilter
    template_name = "property/estate_list.html"
    export_filename = "estates.xlsx"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"].object_list = _with_complaints(list(context["page"].object_list))
        data = _cleaned(self.filterset)
        context.update(
            summary=queries.coverage_summary(Estate.objects.visible_to(self.request.user)),
            models=CoverageModel.choices,
            model=data.get("coverage_model") or "",
            no_service=bool(data.get("no_service")),
        )
        return context

    def export(self, qs) -> bytes:
        return estates_sheet(_with_complaints(list(qs)))


class EstateExportView(XlsxAtOwnURL, EstateListView):
    pass


@login_required
@permission_required("property.view_propertycompany", raise_exception=True)
def company_detail(request, pk: int):
    company = get_object_or_404(_companies(request).select_related("area"), pk=pk)
    met = set(company.standards_met or [])
    estates = list(_estates(request).filter(company=company).order_by("area_path", "name"))
    scores: dict = {}
    for row in MonthlyScore.objects.visible_to(request.user).filter(company=company).order_by("-month")[:36]:
        scores.setdefault(row.month, {})[row.scorer] = row.score
    months = [
        {
            "month": month,
            "party": parts.get(Scorer.PARTY),
            "professional": parts.get(Scorer.PROFESSIONAL),
            "satisfaction": parts.get(Scorer.SATISFACTION),
        }
        for month, parts in sorted(scores.items(), reverse=True)
    ]
    return render(
        request,
        "property/company_detail.html",
        {
            "company": company,
            "standards": [(code, label, code in met) for code, label in STANDARDS],
            "estates": _with_complaints(estates),
            "months": months,
            "talks": Talk.objects.visible_to(request.user).filter(company=company),
            "eliminations": Elimination.objects.visible_to(request.user).filter(company=company),
        },
    )


@login_required
@permission_required("property.view_estate", raise_exception=True)
def estate_detail(request, pk: int):
    estate = get_object_or_404(_estates(request), pk=pk)
    return render(
        request,
        "property/estate_detail.html",
        {
            "estate": estate,
            "complaints": queries.complaint_counts([estate]).get(estate.pk, 0),
            "buildings": estate.buildings.order_by("path"),
            "contracts": estate.contracts.select_related("company"),
            "meetings": RoundTable.objects.visible_to(request.user).filter(estate=estate)[:20],
        },
    )


class MeetingListView(ScopedListView):
    permission_required = "property.view_roundtable"
    queryset = (
        RoundTable.objects.select_related("area", "estate")
        .annotate(decision_count=Count("decisions"))
        .order_by("-held_on", "-id")
    )
    template_name = "property/meeting_list.html"


@login_required
@permission_required("property.view_roundtable", raise_exception=True)
def meeting_detail(request, pk: int):
    meeting = get_object_or_404(
        RoundTable.objects.visible_to(request.user).select_related("area", "estate", "company"), pk=pk
    )
    return render(
        request,
        "property/meeting_detail.html",
        {"meeting": meeting, "decisions": meeting.decisions.select_related("event")},
    )


class MeetingCreateView(ServiceFormView):
    """Record a round-table meeting; each decision becomes a work order."""

    permission_required = "property.add_roundtable"
    form_class = MeetingForm
    template_name = "property/meeting_form.html"

    def run_service(self, actor, data: dict):
        return services.record_round_table(actor, **data)

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("圆桌会议已记录,%(n)d 项决定已生成工单") % {"n": self.result.decisions.count()}

    def get_success_url(self) -> str:
        return reverse("property:meeting_detail", args=[self.result.pk])


# --- the property company's own page: its scores and rank -------------------------------------------
def _own_company(request) -> PropertyCompany:
    from .assignees import company_of

    company = company_of(request.user)
    if company is None:
        raise PermissionDenied
    return company


@login_required
def my_company(request):
    """A property company's own page: who it is, its scores and rank month by month, its work orders."""
    from gridgov.events.models import OPEN_STATES, AssigneeKind, Event

    company = _own_company(request)
    standing = queries.company_standing(company)
    latest = next((s for s in standing if s["row"] is not None), None)
    events = Event.objects.visible_to(request.user)
    return render(
        request,
        "property/my_company.html",
        {
            "company": company,
            "standing": standing,
            "latest": latest,
            "open_count": events.filter(state__in=OPEN_STATES).count(),
            "assigned_open": events.filter(
                state__in=OPEN_STATES, assignee_kind=AssigneeKind.PROPERTY, assignee_id=company.pk
            ).count(),
            "standards": [
                (code, label, code in set(company.standards_met or [])) for code, label in STANDARDS
            ],
        },
    )


@login_required
def my_company_export(request):
    company = _own_company(request)
    return xlsx_response(
        my_company_sheet(company, queries.company_standing(company)), "my-company-ranking.xlsx"
    )
