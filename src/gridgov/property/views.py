"""Pages: the monthly ranking with its chart and service star, the quarterly bottom list and the yearly
elimination list; the xlsx export of the ranking; companies, estates (and the no-service check) and
round-table meetings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from gridgov.areas.models import Area, Level
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import queries, services
from .api import parse_month
from .columns import companies_sheet, estates_sheet, my_company_sheet, ranking_sheet
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


def _month(request):
    try:
        return parse_month(request.GET.get("month"))
    except ValidationError:
        return parse_month(None)


@login_required
@permission_required("property.view_monthlyscore", raise_exception=True)
def ranking(request):
    month = _month(request)
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
    month = _month(request)
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


def _company_rows(request):
    qs = _companies(request).select_related("area").annotate(estate_count=Count("estates"))
    public = request.GET.get("public") == "1"
    if public:
        qs = qs.filter(is_public_interest=True)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(name__contains=q)
    return qs.order_by("area_path", "name"), q, public


def _querystring(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@permission_required("property.view_propertycompany", raise_exception=True)
def company_list(request):
    qs, q, public = _company_rows(request)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "property/company_list.html",
        {
            "page": page,
            "q": q,
            "public": public,
            "standards_total": len(STANDARDS),
            "querystring": _querystring(request),
        },
    )


@login_required
@permission_required("property.view_propertycompany", raise_exception=True)
def company_export(request):
    """The company list as xlsx: every company the filters select in the user's scope."""
    qs, _q, _public = _company_rows(request)
    return xlsx_response(companies_sheet(list(qs)), "property-companies.xlsx")


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


def _estate_rows(request):
    qs = _estates(request)
    no_service = request.GET.get("no_service") == "1"
    if no_service:
        qs = queries.estates_without_service(qs)
    model = request.GET.get("coverage_model", "")
    if model in CoverageModel.values:
        qs = qs.filter(coverage_model=model)
    else:
        model = ""
    return qs.order_by("area_path", "name"), model, no_service


@login_required
@permission_required("property.view_estate", raise_exception=True)
def estate_list(request):
    qs, model, no_service = _estate_rows(request)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    page.object_list = _with_complaints(list(page.object_list))
    return render(
        request,
        "property/estate_list.html",
        {
            "page": page,
            "summary": queries.coverage_summary(Estate.objects.visible_to(request.user)),
            "models": CoverageModel.choices,
            "model": model,
            "no_service": no_service,
            "querystring": _querystring(request),
        },
    )


@login_required
@permission_required("property.view_estate", raise_exception=True)
def estate_export(request):
    """The estate list as xlsx (filters applied, complaint counts and full place included)."""
    qs, _model, _no_service = _estate_rows(request)
    return xlsx_response(estates_sheet(_with_complaints(list(qs))), "estates.xlsx")


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


@login_required
@permission_required("property.view_roundtable", raise_exception=True)
def meeting_list(request):
    qs = (
        RoundTable.objects.visible_to(request.user)
        .select_related("area", "estate")
        .annotate(decision_count=Count("decisions"))
        .order_by("-held_on", "-id")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "property/meeting_list.html", {"page": page})


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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("、", "\n").splitlines() if line.strip()]


@login_required
@permission_required("property.add_roundtable", raise_exception=True)
def meeting_create(request):
    from gridgov.events.forms import leaf_categories
    from gridgov.events.models import Category

    communities = Area.objects.visible_to(request.user).filter(level=Level.COMMUNITY).order_by("path")[:300]
    estates = _estates(request).order_by("area_path", "name")[:500]
    categories = leaf_categories().select_related("parent").order_by("code")
    data = request.POST if request.method == "POST" else None
    if data is not None:
        community = (
            Area.objects.unscoped("checked by the service").filter(pk=data.get("community") or 0).first()
        )
        estate = (
            Estate.objects.unscoped("checked by the service").filter(pk=data.get("estate")).first()
            if data.get("estate")
            else None
        )
        category = Category.objects.filter(pk=data.get("category") or 0).first()
        held_on = parse_date(data.get("held_on") or "")
        if community is None or category is None or held_on is None:
            messages.error(request, _("请选择社区、工单分类并填写召开日期"))
        else:
            try:
                if (
                    estate is not None
                    and not Estate.objects.visible_to(request.user).filter(pk=estate.pk).exists()
                ):
                    raise OutOfScope(estate.area_path)
                meeting = services.record_round_table(
                    request.user,
                    community=community,
                    held_on=held_on,
                    convener=data.get("convener", ""),
                    attendees=_lines(data.get("attendees", "")),
                    topics=data.get("topics", ""),
                    decisions=_lines(data.get("decisions", "")),
                    category=category,
                    estate=estate,
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("圆桌会议已记录,%(n)d 项决定已生成工单") % {"n": meeting.decisions.count()}
                )
                return redirect("property:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "property/meeting_form.html",
        {
            "communities": communities,
            "estates": estates,
            "categories": categories,
            "data": data or {},
            "today": timezone.localdate(),
        },
    )


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
