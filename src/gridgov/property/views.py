"""Pages: the monthly ranking with its chart and service star, the quarterly bottom list and the yearly
elimination list; the xlsx export of the ranking; companies, estates (and the no-service check) and
round-table meetings; the evaluation's writes (10-standards checks, each scorer's own third, quarterly
talks, yearly elimination decisions) and the member companies of the property party organisations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.pages import ScopedListView, ServiceFormView
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import queries, services
from .columns import companies_sheet, estates_sheet, my_company_sheet, ranking_sheet
from .filters import CompanyFilter, EstateFilter, nameable_companies, scoreable_companies
from .forms import (
    EliminationForm,
    JoinForm,
    LeaveForm,
    MeetingForm,
    MonthForm,
    ScoreForm,
    StandardsCheckForm,
    TalkForm,
)
from .models import (
    MEMBERSHIP_KINDS,
    STANDARDS,
    CoverageModel,
    Elimination,
    Estate,
    MonthlyScore,
    OrgMembership,
    PropertyCompany,
    RoundTable,
    Scorer,
    StandardsCheck,
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
    queryset = queries.with_memberships(
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
    company = get_object_or_404(queries.with_memberships(_companies(request).select_related("area")), pk=pk)
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
            "checks": StandardsCheck.objects.visible_to(request.user).filter(company=company)[:10],
            "memberships": queries.memberships_of(company),
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
            **queries.own_records(company),
        },
    )


@login_required
def my_company_export(request):
    company = _own_company(request)
    return xlsx_response(
        my_company_sheet(company, queries.company_standing(company)), "my-company-ranking.xlsx"
    )


# --- the evaluation's write pages: standards checks, score entry, talks, eliminations ----------------
class StandardsCheckView(ServiceFormView):
    """红色物业十项标准检查 of one company: each standard met or not, with a note."""

    permission_required = "property.add_standardscheck"
    form_class = StandardsCheckForm
    template_name = "property/standards_form.html"

    @cached_property
    def company(self) -> PropertyCompany:  # read after the permission check: out of scope is a 404
        return self.object_in_scope(PropertyCompany.objects.all())

    def get_initial(self):
        latest = self.company.standards_checks.order_by("-checked_on", "-id").first()
        initial: dict = {}
        if latest is not None:
            for code, _label, met, note in latest.items():
                initial[f"met_{code}"], initial[f"note_{code}"] = met, note
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(company=self.company, **kwargs)

    def run_service(self, actor, data: dict):
        return services.record_standards_check(
            actor, self.company, checked_on=data["checked_on"], results=data["results"]
        )

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("已记录 %(d)s 的十项标准检查:达标 %(n)d 项") % {
            "d": self.result.checked_on,
            "n": self.result.met_count,
        }

    def get_success_url(self) -> str:
        return reverse("property:company_detail", args=[self.company.pk])


class ScorerPageMixin:
    """A page of one scorer: the login's own third (services.scorer_of), 403 for a login that scores
    nothing."""

    scorer: str

    def has_permission(self) -> bool:
        scorer = services.scorer_of(self.request.user)  # type: ignore[attr-defined]
        if scorer is None:
            return False
        self.scorer = scorer
        return True


class ScoreEntryView(ScorerPageMixin, ServiceFormView):
    """The scorer's month: the companies it scores with its own third (only its own), and the form to
    enter one."""

    form_class = ScoreForm
    template_name = "property/score_entry.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["scorer"] = self.scorer
        if self.request.method == "GET":
            month = MonthForm.month_of(self.request.GET)
            kwargs["initial"] = {**kwargs.get("initial", {}), "month": month}
            company = self.request.GET.get("company", "")
            if company.isdigit():
                kwargs["initial"]["company"] = int(company)
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["company"].queryset = scoreable_companies(self.request.user).order_by("name")
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        month = MonthForm.month_of(self.request.GET)
        if form.is_bound and form.is_valid():
            month = form.cleaned_data["month"].replace(day=1)
        companies = list(scoreable_companies(self.request.user).order_by("area_path", "name")[:500])
        own = {
            row.company_id: row
            for row in MonthlyScore.objects.unscoped(
                "the scorer's own third of the companies it scores (listed above), nothing else"
            ).filter(company__in=[c.pk for c in companies], month=month, scorer=self.scorer)
        }
        context.update(
            scorer_label=Scorer(self.scorer).label,
            scorer=self.scorer,
            month=month,
            rows=[(c, own.get(c.pk)) for c in companies],
        )
        return context

    def run_service(self, actor, data: dict):
        return services.score_month(
            actor,
            data["company"],
            month=data["month"],
            scorer=self.scorer,
            score=data.get("score"),
            inspection=data.get("inspection"),
        )

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("已录入 %(company)s %(month)s 的“%(scorer)s”得分 %(score)s") % {
            "company": self.result.company.name,
            "month": f"{self.result.month:%Y-%m}",
            "scorer": Scorer(self.scorer).label,
            "score": self.result.score,
        }

    def get_success_url(self) -> str:
        return f"{reverse('property:score_entry')}?month={self.result.month:%Y-%m}"


class TalkListView(ScopedListView):
    permission_required = "property.view_talk"
    queryset = Talk.objects.select_related("company").order_by("-year", "-quarter", "-held_on", "-id")
    template_name = "property/talk_list.html"
    extra_context = {
        "title": gettext_lazy("季度约谈"),
        "intro": gettext_lazy("每季度约谈排名末位的物业企业(名单见三个百分百排名页)。"),
    }


def _initial_from_query(request, names: tuple[str, ...]) -> dict:
    """Prefill from a link's query (the ranking page's "记录约谈" / "作出决定"); the form checks it."""
    return {name: request.GET[name] for name in names if request.GET.get(name, "").isdigit()}


class TalkCreateView(ServiceFormView):
    """季度约谈: a talk with a company on the quarter's bottom list, and what it must put right."""

    permission_required = "property.add_talk"
    form_class = TalkForm
    template_name = "property/talk_form.html"

    def get_initial(self):
        return super().get_initial() | _initial_from_query(self.request, ("company", "year", "quarter"))

    def run_service(self, actor, data: dict):
        return services.record_talk(actor, **data)

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("已记录 %(company)s %(y)d 年第 %(q)d 季度约谈") % {
            "company": self.result.company.name,
            "y": self.result.year,
            "q": self.result.quarter,
        }

    def get_success_url(self) -> str:
        return reverse("property:company_detail", args=[self.result.company_id])


class EliminationListView(ScopedListView):
    permission_required = "property.view_elimination"
    queryset = Elimination.objects.select_related("company").order_by("-year", "average", "id")
    template_name = "property/elimination_list.html"
    extra_context = {
        "title": gettext_lazy("年度淘汰决定"),
        "intro": gettext_lazy("年度平均分低于淘汰标准的企业列入淘汰名单,逐家作出淘汰或限期整改的决定。"),
    }


class EliminationCreateView(ServiceFormView):
    """末位淘汰: the yearly decision on a company on the elimination list (eliminate, or rectify)."""

    permission_required = "property.decide_elimination"
    form_class = EliminationForm
    template_name = "property/elimination_form.html"

    def get_initial(self):
        initial = {"year": timezone.localdate().year - 1}
        return initial | _initial_from_query(self.request, ("company", "year"))

    def get_context_data(self, **kwargs):
        year = timezone.localdate().year - 1
        listed = queries.elimination_list(PropertyCompany.objects.visible_to(self.request.user), year)
        return super().get_context_data(listed=listed, listed_year=year, **kwargs)

    def run_service(self, actor, data: dict):
        return services.decide_elimination(actor, **data)

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("已记录对 %(company)s 的 %(y)d 年度决定:%(d)s") % {
            "company": self.result.company.name,
            "y": self.result.year,
            "d": self.result.get_decision_display(),
        }

    def get_success_url(self) -> str:
        return reverse("property:company_detail", args=[self.result.company_id])


# --- the property party organisations and their member companies --------------------------------------
def _property_orgs(request):
    from gridgov.party.models import PartyOrg

    return PartyOrg.objects.visible_to(request.user).filter(kind__in=MEMBERSHIP_KINDS).select_related("area")


@login_required
@permission_required("property.view_orgmembership", raise_exception=True)
def org_list(request):
    """The property industry party organisations and red-property alliances in the user's area."""
    orgs = list(
        _property_orgs(request)
        .filter(is_active=True)
        .annotate(member_count=Count("property_members", filter=Q(property_members__left_on__isnull=True)))
        .order_by("area_path", "kind", "name")
    )
    context = {
        "orgs": orgs,
        "title": _("党建联盟与行业党组织"),
        "intro": _(
            "市、区县物业服务行业党组织和街道党工委牵头的红色物业党建联盟及其成员企业。党组织本身在党组织网络中设立。"
        ),
    }
    return render(request, "property/org_list.html", context)


class OrgDetailView(ServiceFormView):
    """One organisation's member companies (current and past) and the form to add one."""

    permission_required = "property.view_orgmembership"
    form_class = JoinForm
    template_name = "property/org_detail.html"

    @cached_property
    def org(self):
        return self.object_in_scope(_property_orgs(self.request))

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("property.add_orgmembership"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["company"].queryset = nameable_companies(self.request.user).filter(is_active=True)
        return form

    def get_context_data(self, **kwargs):
        members = list(
            OrgMembership.objects.visible_to(self.request.user)
            .filter(org=self.org)
            .select_related("company", "company__area")
            .order_by("left_on", "company__name")
        )
        return super().get_context_data(
            org=self.org,
            current=[m for m in members if m.left_on is None],
            past=[m for m in members if m.left_on is not None],
            leave_form=LeaveForm(),
            **kwargs,
        )

    def run_service(self, actor, data: dict):
        return services.join_org(actor, org=self.org, **data)

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("%(company)s 已加入%(org)s") % {"company": self.result.company.name, "org": self.org.name}

    def get_success_url(self) -> str:
        return reverse("property:org_detail", args=[self.org.pk])


class MembershipLeaveView(ServiceFormView):
    """A member company leaves its organisation (the membership stays as history)."""

    permission_required = "property.change_orgmembership"
    form_class = LeaveForm
    template_name = "property/membership_leave.html"
    http_method_names = ["get", "post"]

    @cached_property
    def membership(self) -> OrgMembership:
        return self.object_in_scope(OrgMembership.objects.select_related("org", "company"))

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, **kwargs)

    def run_service(self, actor, data: dict):
        return services.leave_org(actor, self.membership, **data)

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("%(company)s 已退出%(org)s") % {
            "company": self.membership.company.name,
            "org": self.membership.org.name,
        }

    def get_success_url(self) -> str:
        return reverse("property:org_detail", args=[self.membership.org_id])
