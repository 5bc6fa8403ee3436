"""Party network pages: dashboard with figures and chart, coverage checks, organisations, members, import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.areas.checks import check_list_context, check_page_context, check_rows_sheet, dashboard_context
from gridgov.areas.queries import breakdown_sheet
from gridgov.core.checks import check_list_sheet
from gridgov.core.pages import ScopedListView, listed, page_of
from gridgov.core.services import ServiceError
from gridgov.core.views import import_page, xlsx_response
from gridgov.core.xlsx import write_sheet

from . import queries, services
from .columns import MEMBER_COLUMNS, ORG_EXPORT_COLUMNS, ORGS_TITLE
from .filters import PartyMemberFilter, PartyOrgFilter
from .forms import ImportForm, OrgTargetForm
from .indicators import CODES
from .models import PARENT_KINDS, OrgKind, PartyMember, PartyOrg

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


@login_required
@permission_required("party.view_partymember", raise_exception=True)
def member_detail(request, pk: int):
    member = get_object_or_404(
        PartyMember.objects.visible_to(request.user).select_related(
            "resident__household__unit", "org", "dual_community"
        ),
        pk=pk,
    )
    return render(request, "party/member_detail.html", {"member": member})


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
