"""Party network pages: dashboard with figures and chart, coverage checks, organisations, members, import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.areas.checks import check_list_context, check_page_context, check_rows_sheet, dashboard_context
from gridgov.areas.queries import breakdown_sheet
from gridgov.core.checks import check_list_sheet
from gridgov.core.pages import ScopedDetailView, ScopedListView, ServiceFormView, listed, page_of
from gridgov.core.services import ServiceError
from gridgov.core.views import import_page, xlsx_response
from gridgov.core.xlsx import write_sheet

from . import queries, services
from .columns import DUAL_SERVICE_COLUMNS, MEMBER_COLUMNS, ORG_EXPORT_COLUMNS, ORGS_TITLE
from .filters import (
    BuildingLeaderFilter,
    CentralHouseholdFilter,
    DualServiceFilter,
    GridFundFilter,
    MutualAidFilter,
    PartyMemberFilter,
    PartyOrgFilter,
)
from .forms import (
    AidDissolveForm,
    AidJoinForm,
    AidLeaveForm,
    CentralForm,
    DissolveForm,
    DualServiceForm,
    FundForm,
    ImportForm,
    LeaderForm,
    MutualAidForm,
    OrgTargetForm,
    ServesForm,
    SpendingForm,
    SplitForm,
)
from .indicators import CODES
from .models import (
    COVERED_LEVEL,
    PARENT_KINDS,
    BuildingLeader,
    CentralHousehold,
    DualReportService,
    GridFund,
    MutualAidGroup,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServiceCategory,
)

VIEW = "party.view_partyorg"


def _dashboard_context(request) -> dict:
    context = dashboard_context(request, CODES, ["party_grid_branches"])
    values = context["values"]
    context["members"] = values["party_members"]
    context["per_branch"] = (
        round(context["members"] / values["party_grid_branches"], 1) if values["party_grid_branches"] else 0
    )
    return context


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request):
    context = _dashboard_context(request)
    root = context["area"]
    context["checks"] = [
        {"code": c.code, "label": c.label, "url": reverse("party:check", args=[c.code])}
        for c in queries.CHECKS.values()
    ]
    context["root"] = root
    return render(request, "party/dashboard.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard_export(request):
    """The dashboard's figures for the chosen area and each of its children, as on the page."""
    context = _dashboard_context(request)
    title = _("党组织网络指标")
    return xlsx_response(
        breakdown_sheet(f"{title} {context['area'].name}", context["table"]),
        f"party-figures-{context['area'].code}.xlsx",
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def check_list(request):
    context = check_list_context(request, queries.CHECKS.values(), "party:check", _("党组织覆盖检查"))
    context["export_url"] = reverse("party:checks_export")
    return render(request, "web/check_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def check_list_export(request):
    context = check_list_context(request, queries.CHECKS.values(), "party:check", _("党组织覆盖检查"))
    return xlsx_response(check_list_sheet(context), f"party-checks-{context['area'].code}.xlsx")


def _check(code: str):
    check = queries.CHECKS.get(code)
    if check is None:
        raise Http404
    return check


@login_required
@permission_required(VIEW, raise_exception=True)
def check_detail(request, code: str):
    check = _check(code)
    context = check_page_context(request, check)
    context["low"], context["high"] = queries.branch_thresholds(request.GET)
    context["back"] = reverse("party:checks")
    context["export_url"] = reverse("party:check_export", args=[code])
    return render(request, "web/check_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def check_export(request, code: str):
    check = _check(code)
    content, area = check_rows_sheet(request, check)
    return xlsx_response(content, f"party-check-{code}-{area.code}.xlsx")


class OrgListView(ScopedListView):
    permission_required = VIEW
    queryset = PartyOrg.objects.select_related("area", "parent").order_by("area_path", "kind", "id")
    filterset_class = PartyOrgFilter
    template_name = "party/org_list.html"
    extra_context = {"kinds": OrgKind.choices}

    def get_queryset(self):
        qs = super().get_queryset()
        bound = self.filterset is not None and self.filterset.is_bound
        return qs if bound else qs.filter(is_active=True)  # unfiltered: those in office


org_list = OrgListView.as_view()


@login_required
@permission_required(VIEW, raise_exception=True)
def org_export(request):
    """The organisations listed (same filter), with what each covers and its member count."""
    rows = queries.org_export_rows(listed(OrgListView, request))
    return xlsx_response(write_sheet(str(ORGS_TITLE), ORG_EXPORT_COLUMNS, rows), "party-orgs.xlsx")


def _reparent_candidates(request, org: PartyOrg):
    return (
        PartyOrg.objects.visible_to(request.user)
        .filter(kind__in=PARENT_KINDS[org.kind], is_active=True)
        .exclude(pk=org.parent_id)
        .order_by("area_path")
    )


def _merge_candidates(request, org: PartyOrg):
    parent_path = org.parent.area_path if org.parent is not None else org.area_path
    return (
        PartyOrg.objects.visible_to(request.user)
        .in_area(parent_path)
        .filter(kind=org.kind, is_active=True)
        .exclude(pk=org.pk)
        .order_by("area_path")
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def org_detail(request, pk: int):
    org = get_object_or_404(PartyOrg.objects.visible_to(request.user).select_related("area", "parent"), pk=pk)
    coverage = org.coverage.filter(ended_at__isnull=True).select_related("area").order_by("area_path")
    ended = org.coverage.filter(ended_at__isnull=False).select_related("area").order_by("-ended_at")
    members = org.members.filter(is_active=True).select_related("resident").order_by("id")
    children = org.children.filter(is_active=True).order_by("area_path")
    can_reorganise = request.user.has_perm("party.reorganise_partyorg") and org.is_active
    can_split = can_reorganise and org.kind in COVERED_LEVEL and coverage.count() > 1
    return render(
        request,
        "party/org_detail.html",
        {
            "org": org,
            "coverage": coverage,
            "ended": ended,
            "member_page": page_of(request, members, 50),
            "member_count": members.count(),
            "children": children,
            "changes": org.changes.select_related("other", "actor")[:50],
            "can_reorganise": can_reorganise,
            "can_split": can_split,
            "reparent_form": OrgTargetForm(candidates=_reparent_candidates(request, org))
            if can_reorganise and org.parent_id
            else None,
            "merge_form": OrgTargetForm(candidates=_merge_candidates(request, org))
            if can_reorganise
            else None,
        },
    )


def _org_action(request, pk: int, candidates_fn, func, done: str):
    org = get_object_or_404(PartyOrg.objects.visible_to(request.user), pk=pk)
    form = OrgTargetForm(request.POST, candidates=candidates_fn(request, org))
    if not form.is_valid():
        messages.error(request, _("请选择目标党组织并填写原因"))
        return redirect("party:org_detail", pk=pk)
    try:
        func(request.user, org, form.cleaned_data["target"], reason=form.cleaned_data["reason"])
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("party:org_detail", pk=pk)


@login_required
@require_POST
@permission_required("party.reorganise_partyorg", raise_exception=True)
def org_reparent(request, pk: int):
    return _org_action(
        request, pk, _reparent_candidates, services.reparent_org, _("已变更隶属关系,变更已记入历史")
    )


@login_required
@require_POST
@permission_required("party.reorganise_partyorg", raise_exception=True)
def org_merge(request, pk: int):
    return _org_action(
        request, pk, _merge_candidates, services.merge_orgs, _("已合并,原党组织已撤销并记入历史")
    )


class MemberListView(ScopedListView):
    permission_required = "party.view_partymember"
    queryset = (
        PartyMember.objects.filter(is_active=True)
        .select_related("resident", "org", "dual_community")
        .order_by("area_path", "id")
    )
    filterset_class = PartyMemberFilter
    template_name = "party/member_list.html"


member_list = MemberListView.as_view()


class MemberDetailView(ScopedDetailView):
    permission_required = "party.view_partymember"
    queryset = PartyMember.objects.select_related("resident__household__unit", "org", "dual_community")
    context_object_name = "member"
    template_name = "party/member_detail.html"


member_detail = MemberDetailView.as_view()


@login_required
@permission_required("party.export_partymember", raise_exception=True)
def member_export(request):
    content = services.export_members(
        request.user, listed(MemberListView, request), unmasked=request.GET.get("unmasked") == "1"
    )
    return xlsx_response(content, "party-members.xlsx")


@login_required
@permission_required("party.import_partymember", raise_exception=True)
def member_import(request):
    def run(user, data):
        result = services.import_members(user, data["file"])
        return _("导入成功:新增党员 %(n)d 名") % {"n": result.members}, reverse("party:member_import")

    context = {
        "columns": MEMBER_COLUMNS,
        "title": _("批量导入党员"),
        "template_url": reverse("party:member_template"),
    }
    return import_page(request, form_class=ImportForm, run=run, template="web/import.html", context=context)


@login_required
@permission_required("party.import_partymember", raise_exception=True)
def member_template(request):
    return xlsx_response(write_sheet(_("党员导入模板"), MEMBER_COLUMNS, []), "party-member-template.xlsx")


# --- forms for writes that were API-only: organisations, leaders, central households -----------------
class PartyFormView(ServiceFormView):
    """A party form page (party/form.html): `title`, `intro`, a back link; the user goes to the form."""

    template_name = "party/form.html"
    # Lazy translations (class attributes) or properties built from the object the page is about.
    title: Any = ""
    intro: Any = ""
    success_message: Any = ""
    submit_label = None
    pass_user = False
    # URL names: the list the form is reached from (its back link) and, for a form that creates an
    # object, the object's page (where a success goes; otherwise back where the user came from).
    list_url_name = ""
    detail_url_name = ""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.pass_user:
            kwargs["user"] = self.request.user
        return kwargs

    def back_url(self) -> str:
        return reverse(self.list_url_name) if self.list_url_name else ""

    def get_success_url(self) -> str:
        if self.detail_url_name:
            return reverse(self.detail_url_name, args=[self.result.pk])
        return self.back_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title, intro=self.intro, back=self.back_url(), submit=self.submit_label)
        return context


class _OrgFormView(PartyFormView):
    permission_required = "party.reorganise_partyorg"

    @cached_property
    def org(self) -> PartyOrg:
        return self.object_in_scope(PartyOrg.objects.select_related("area"))

    def back_url(self) -> str:
        return reverse("party:org_detail", args=[self.org.pk])

    def get_success_url(self) -> str:
        return reverse("party:org_detail", args=[self.result.pk])

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "org": self.org}


class OrgSplitView(_OrgFormView):
    form_class = SplitForm
    success_message = gettext_lazy("已拆分,新党组织已成立,变更已记入历史")  # type: ignore[assignment]

    @property
    def title(self):  # type: ignore[override]
        return _("拆分党组织:%(n)s") % {"n": self.org.name}

    intro = gettext_lazy("勾选要拆分出去的覆盖区域,住在这些区域的党员和其中的下级党组织随之转入新党组织。")

    def get_form_kwargs(self):
        from gridgov.areas.models import Area

        covered = self.org.coverage.filter(ended_at__isnull=True).values("area_id")
        candidates = Area.objects.visible_to(self.request.user).filter(pk__in=covered).order_by("path")
        return {**super().get_form_kwargs(), "candidates": candidates}

    def run_service(self, actor, data):
        return services.split_org(
            actor, self.org, name=data["name"], areas=list(data["areas"]), reason=data["reason"]
        )


class OrgDissolveView(_OrgFormView):
    form_class = DissolveForm
    success_message = gettext_lazy("党组织已撤销,变更已记入历史")  # type: ignore[assignment]
    intro = gettext_lazy("撤销前须转出全部党员、调整或撤销下级党组织;覆盖范围随之结束。")

    @property
    def title(self):  # type: ignore[override]
        return _("撤销党组织:%(n)s") % {"n": self.org.name}

    def run_service(self, actor, data):
        return services.dissolve_org(actor, self.org, reason=data["reason"])


org_split = OrgSplitView.as_view()
org_dissolve = OrgDissolveView.as_view()


class PartyListView(ScopedListView):
    """A list of the party's grid resources on party/_list.html, headed by `title`."""

    title: Any = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)


class LeaderListView(PartyListView):
    permission_required = "party.view_buildingleader"
    title = gettext_lazy("红色楼长/单元长")
    queryset = BuildingLeader.objects.select_related("area__parent", "resident").order_by(
        "area_path", "kind", "id"
    )
    filterset_class = BuildingLeaderFilter
    template_name = "party/leader_list.html"

    def get_queryset(self):
        qs = super().get_queryset()
        bound = self.filterset is not None and self.filterset.is_bound and "active" in self.request.GET
        return qs if bound else qs.filter(is_active=True)


leader_list = LeaderListView.as_view()


def _within(request):
    """The area of `?area=` when the user sees it (narrows a form's place choices), else None."""
    from gridgov.areas.models import Area

    value = request.GET.get("area", "")
    if not value.isdigit():
        return None
    return Area.objects.visible_to(request.user).filter(pk=int(value)).first()


class LeaderAppointView(PartyFormView):
    permission_required = "party.add_buildingleader"
    form_class = LeaderForm
    pass_user = True
    title = gettext_lazy("选聘红色楼长/单元长")
    intro = gettext_lazy("新选聘的楼长(单元长)上任,原楼长(单元长)任期随之结束。")
    success_message = gettext_lazy("已选聘")
    list_url_name = "party:leader_list"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        within = _within(self.request)
        if within is not None:
            form.fields["area"].queryset = form.fields["area"].queryset.in_area(within.path)
        return form

    def run_service(self, actor, data):
        return services.appoint_leader(
            actor,
            area=data["area"],
            resident=data["resident"],
            kind=data["kind"],
            appointed_on=data.get("appointed_on"),
        )

    def get_success_url(self):
        return reverse("party:leader_list") + f"?area={self.result.area_id}"


leader_appoint = LeaderAppointView.as_view()


class CentralListView(PartyListView):
    permission_required = "party.view_centralhousehold"
    title = gettext_lazy("党员中心户")
    queryset = (
        CentralHousehold.objects.filter(is_active=True)
        .select_related("household__unit", "member__resident", "group")
        .order_by("area_path", "id")
    )
    filterset_class = CentralHouseholdFilter
    template_name = "party/central_list.html"


central_list = CentralListView.as_view()


class CentralDetailView(ScopedDetailView):
    permission_required = "party.view_centralhousehold"
    queryset = CentralHousehold.objects.select_related("household__unit", "member__resident", "group")
    context_object_name = "central"
    template_name = "party/central_detail.html"

    def get_context_data(self, **kwargs):
        served = self.object.served.select_related("household__unit").order_by("area_path", "id")
        return super().get_context_data(served=served, **kwargs)


central_detail = CentralDetailView.as_view()


class CentralDesignateView(PartyFormView):
    permission_required = "party.add_centralhousehold"
    form_class = CentralForm
    title = gettext_lazy("推选党员中心户")
    intro = gettext_lazy("所选党员的户成为党员中心户;之后可在中心户页面添加其联系户。")
    success_message = gettext_lazy("已推选党员中心户")
    list_url_name, detail_url_name = "party:central_list", "party:central_detail"

    def run_service(self, actor, data):
        return services.designate_central_household(actor, member=data["member"], group=data["group"])


central_designate = CentralDesignateView.as_view()


class CentralServeView(PartyFormView):
    permission_required = "party.change_centralhousehold"
    form_class = ServesForm
    success_message = gettext_lazy("已添加联系户")
    intro = gettext_lazy("可选本网格内尚未由其他中心户联系的户。")

    @cached_property
    def central(self) -> CentralHousehold:
        return self.object_in_scope(CentralHousehold.objects.select_related("household"))

    @property
    def title(self):  # type: ignore[override]
        return _("添加联系户:%(h)s") % {"h": self.central.household}

    def get_form_kwargs(self):
        from gridgov.areas.models import PATH_LENGTH, Level
        from gridgov.people.models import Household

        grid = self.central.area_path[: PATH_LENGTH[Level.GRID]]
        candidates = (
            Household.objects.visible_to(self.request.user)
            .in_area(grid)
            .filter(is_active=True, served_by__isnull=True)
            .exclude(pk=self.central.household_id)
            .select_related("unit")
            .order_by("area_path", "number")
        )
        return {**super().get_form_kwargs(), "candidates": candidates}

    def back_url(self):
        return reverse("party:central_detail", args=[self.central.pk])

    def run_service(self, actor, data):
        return services.assign_served(actor, self.central, list(data["households"]))


central_serve = CentralServeView.as_view()


# --- 双报到 service records ------------------------------------------------------------------------
class DualServiceListView(PartyListView):
    permission_required = "party.view_dualreportservice"
    title = gettext_lazy("双报到服务记录")
    queryset = DualReportService.objects.select_related("member__resident", "community").order_by(
        "-served_on", "-id"
    )
    filterset_class = DualServiceFilter
    template_name = "party/dual_list.html"
    export_filename = "party-dual-services.xlsx"

    def export(self, qs) -> bytes:
        user: Any = self.request.user  # logged in: ScopedListView requires the permission
        return services.export_dual_services(user, qs)

    def get_context_data(self, **kwargs):
        from django.db.models import Count, Sum

        context = super().get_context_data(**kwargs)
        rows: Any = self.object_list  # the filtered queryset
        totals = rows.aggregate(n=Count("id"), hours=Sum("hours"))
        context.update(totals=totals, categories=ServiceCategory.choices)
        return context


dual_list = DualServiceListView.as_view()


class DualServiceRecordView(PartyFormView):
    permission_required = "party.add_dualreportservice"
    form_class = DualServiceForm
    title = gettext_lazy("登记双报到服务")
    intro = gettext_lazy("在职党员向居住地社区报到后参加的服务:每人每天每类服务登记一次,时长不超过 24 小时。")
    success_message = gettext_lazy("已登记双报到服务")
    list_url_name = "party:dual_list"

    def run_service(self, actor, data):
        return services.record_dual_service(actor, **data)


dual_record = DualServiceRecordView.as_view()


@login_required
@permission_required("party.import_dualreportservice", raise_exception=True)
def dual_import(request):
    def run(user, data):
        result = services.import_dual_services(user, data["file"])
        return _("导入成功:新增双报到服务记录 %(n)d 条") % {"n": result.records}, reverse("party:dual_list")

    context = {
        "columns": DUAL_SERVICE_COLUMNS,
        "title": _("批量导入双报到服务记录"),
        "template_url": reverse("party:dual_template"),
    }
    return import_page(request, form_class=ImportForm, run=run, template="web/import.html", context=context)


@login_required
@permission_required("party.import_dualreportservice", raise_exception=True)
def dual_template(request):
    return xlsx_response(
        write_sheet(_("双报到服务导入模板"), DUAL_SERVICE_COLUMNS, []), "party-dual-service-template.xlsx"
    )


# --- grid resources: mutual-aid groups and special funds --------------------------------------------
class MutualAidListView(PartyListView):
    permission_required = "party.view_mutualaidgroup"
    title = gettext_lazy("网格互助组")
    queryset = MutualAidGroup.objects.select_related("grid__parent", "leader").order_by("area_path", "id")
    filterset_class = MutualAidFilter
    template_name = "party/aid_list.html"


aid_list = MutualAidListView.as_view()


class MutualAidDetailView(ScopedDetailView):
    permission_required = "party.view_mutualaidgroup"
    queryset = MutualAidGroup.objects.select_related("grid", "leader")
    context_object_name = "group"
    template_name = "party/aid_detail.html"

    def get_context_data(self, **kwargs):
        rows = self.object.members.select_related("resident").order_by("left_on", "joined_on", "id")
        return super().get_context_data(rows=rows, **kwargs)


aid_detail = MutualAidDetailView.as_view()


class MutualAidFormView(PartyFormView):
    permission_required = "party.add_mutualaidgroup"
    form_class = MutualAidForm
    pass_user = True
    title = gettext_lazy("成立网格互助组")
    intro = gettext_lazy("组长和组员须为本网格在册居民,每行填一人;重名时在姓名后加空格和身份证号后四位。")
    success_message = gettext_lazy("网格互助组已成立")
    list_url_name, detail_url_name = "party:aid_list", "party:aid_detail"

    def run_service(self, actor, data):
        return services.form_mutual_aid_group(actor, **data)


aid_form = MutualAidFormView.as_view()


class _AidActionView(PartyFormView):
    permission_required = "party.change_mutualaidgroup"

    @cached_property
    def group(self) -> MutualAidGroup:
        return self.object_in_scope(MutualAidGroup.objects.select_related("grid"))

    def back_url(self):
        return reverse("party:aid_detail", args=[self.group.pk])


class AidJoinView(_AidActionView):
    form_class = AidJoinForm
    pass_user = True
    success_message = gettext_lazy("已加入互助组")  # type: ignore[assignment]

    @property
    def title(self):  # type: ignore[override]
        return _("加入互助组:%(n)s") % {"n": self.group.name}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "grid": self.group.grid}

    def run_service(self, actor, data):
        return services.join_mutual_aid(actor, self.group, data["members"])


class AidLeaveView(_AidActionView):
    form_class = AidLeaveForm
    success_message = gettext_lazy("组员已退出,记入历史")  # type: ignore[assignment]

    @property
    def title(self):  # type: ignore[override]
        return _("组员退出:%(n)s") % {"n": self.group.name}

    def get_form_kwargs(self):
        from gridgov.people.models import Resident

        current = self.group.members.filter(left_on__isnull=True).exclude(resident_id=self.group.leader_id)
        candidates = Resident.objects.visible_to(self.request.user).filter(
            pk__in=current.values("resident_id")
        )
        return {**super().get_form_kwargs(), "candidates": candidates.order_by("name")}

    def run_service(self, actor, data):
        return services.leave_mutual_aid(actor, self.group, data["resident"])


class AidDissolveView(_AidActionView):
    form_class = AidDissolveForm
    success_message = gettext_lazy("互助组已解散,记入历史")  # type: ignore[assignment]

    @property
    def title(self):  # type: ignore[override]
        return _("解散互助组:%(n)s") % {"n": self.group.name}

    def run_service(self, actor, data):
        return services.dissolve_mutual_aid(actor, self.group, reason=data["reason"])


aid_join = AidJoinView.as_view()
aid_leave = AidLeaveView.as_view()
aid_dissolve = AidDissolveView.as_view()


class FundListView(PartyListView):
    permission_required = "party.view_gridfund"
    title = gettext_lazy("专项经费进网格")
    queryset = GridFund.objects.select_related("grid__parent").order_by("-year", "area_path", "id")
    filterset_class = GridFundFilter
    template_name = "party/fund_list.html"

    def get_context_data(self, **kwargs):
        from django.db.models import Sum

        context = super().get_context_data(**kwargs)
        rows: Any = self.object_list  # the filtered queryset
        context["totals"] = rows.aggregate(amount=Sum("amount"), spent=Sum("spent"))
        return context


fund_list = FundListView.as_view()


class FundDetailView(ScopedDetailView):
    permission_required = "party.view_gridfund"
    queryset = GridFund.objects.select_related("grid")
    context_object_name = "fund"
    template_name = "party/fund_detail.html"

    def get_context_data(self, **kwargs):
        spendings = self.object.spendings.select_related("recorded_by").order_by("-spent_on", "-id")
        return super().get_context_data(spendings=spendings, **kwargs)


fund_detail = FundDetailView.as_view()


class FundAllocateView(PartyFormView):
    permission_required = "party.add_gridfund"
    form_class = FundForm
    title = gettext_lazy("登记网格专项经费")
    intro = gettext_lazy("同一网格、同一年度、同一来源的经费只登记一次。")
    success_message = gettext_lazy("专项经费已登记")
    list_url_name, detail_url_name = "party:fund_list", "party:fund_detail"

    def run_service(self, actor, data):
        return services.allocate_grid_fund(actor, **data)


class FundSpendView(PartyFormView):
    permission_required = "party.add_fundspending"
    form_class = SpendingForm
    success_message = gettext_lazy("支出已登记")

    @cached_property
    def fund(self) -> GridFund:
        return self.object_in_scope(GridFund.objects.select_related("grid"))

    @property
    def title(self):  # type: ignore[override]
        return _("登记经费支出:%(g)s %(y)d 年 %(s)s") % {
            "g": self.fund.grid.name,
            "y": self.fund.year,
            "s": self.fund.source,
        }

    @property
    def intro(self):  # type: ignore[override]
        return _("当前余额 %(b)s 元;支出不得超过余额。") % {"b": f"{self.fund.balance:.2f}"}

    def back_url(self):
        return reverse("party:fund_detail", args=[self.fund.pk])

    def run_service(self, actor, data):
        return services.record_fund_spending(actor, self.fund, **data)


fund_allocate = FundAllocateView.as_view()
fund_spend = FundSpendView.as_view()
