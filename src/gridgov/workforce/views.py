"""Workforce pages: dashboard, checks, staff, the salary table, payroll, competition ranking, import."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.areas.checks import (
    check_list_context,
    check_page_context,
    check_root,
    check_rows_sheet,
    dashboard_context,
)
from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.areas.queries import breakdown_sheet, visible_ancestors
from gridgov.core.checks import check_list_sheet
from gridgov.core.forms import ImportForm
from gridgov.core.pages import (
    ScopedListView,
    ServiceFormView,
    listed,
    page_of,
    query_without_page,
    scope_form,
)
from gridgov.core.services import ServiceError
from gridgov.core.views import import_page, xlsx_response
from gridgov.core.xlsx import write_sheet

from . import queries, services
from .columns import (
    COMPETITION_COLUMNS,
    GRID_HISTORY_COLUMNS,
    PAYROLL_LIST_COLUMNS,
    RATE_COLUMNS,
    RATE_EXPORT_COLUMNS,
    SALON_COLUMNS,
    SCALE_TITLE,
    STAFF_COLUMNS,
    STUDIO_COLUMNS,
)
from .filters import PayrollFilter, StaffFilter
from .forms import (
    CompetitionEditForm,
    CompetitionForm,
    EvaluationForm,
    GridForm,
    JoinCorpsForm,
    LinkGridForm,
    PayrollForm,
    PostChangeForm,
    QuotaRuleForm,
    ReplaceForm,
    RoundForm,
    SalonAttendanceForm,
    SalonForm,
    ScaleImportForm,
    SecondmentForm,
    StaffGridLinkForm,
    StudioEditForm,
    StudioForm,
    StudioMemberForm,
    TrainingForm,
    UnlinkGridForm,
)
from .indicators import CODES
from .models import (
    LINK_POSTS,
    Competition,
    GridAssignment,
    GridLink,
    Payroll,
    Post,
    PostCategory,
    Presentation,
    QuotaRule,
    SalaryScale,
    Salon,
    Staff,
    Studio,
    Successor,
    TrainingKind,
)

VIEW = "workforce.view_staff"


class FormPage(ServiceFormView):
    done: Any = ""  # the success message, a lazy translation resolved per request

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return str(self.done)


def _dashboard_context(request) -> dict:
    # Staff belong to a community; per grid, the chart shows the workers assigned to each grid.
    context = dashboard_context(request, CODES, ["wf_grid_workers", "wf_grid_assigned"])
    values = context["values"]
    corps = values.get("wf_corps", 0)
    context["qualified_share"] = (
        (Decimal(values.get("wf_qualified", 0)) * 100 / corps).quantize(Decimal("0.1")) if corps else 0
    )
    return context


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request):
    context = _dashboard_context(request)
    context["checks"] = [
        {"label": c.label, "url": reverse("workforce:check", args=[c.code])} for c in queries.CHECKS.values()
    ]
    area = context["area"]
    top = area.path if area.level <= Level.DISTRICT else ancestor_path(area.path, Level.DISTRICT)
    context["competitions"] = (
        Competition.objects.visible_to(request.user).in_area(top).order_by("-year", "area_path")
    )
    return render(request, "workforce/dashboard.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard_export(request):
    """The dashboard's figures for the chosen area and each of its children, as on the page."""
    context = _dashboard_context(request)
    area = context["area"]
    title = _("社区工作者队伍指标")
    return xlsx_response(
        breakdown_sheet(f"{title} {area.name}", context["table"]), f"workforce-figures-{area.code}.xlsx"
    )


CHECKS_TITLE = gettext_lazy("队伍建设检查")


@login_required
@permission_required(VIEW, raise_exception=True)
def check_list(request):
    context = check_list_context(request, queries.CHECKS.values(), "workforce:check", CHECKS_TITLE)
    context["export_url"] = reverse("workforce:checks_export")
    return render(request, "web/check_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def check_list_export(request):
    context = check_list_context(request, queries.CHECKS.values(), "workforce:check", CHECKS_TITLE)
    return xlsx_response(check_list_sheet(context), f"workforce-checks-{context['area'].code}.xlsx")


def _check(code: str):
    check = queries.CHECKS.get(code)
    if check is None:
        raise Http404
    return check


@login_required
@permission_required(VIEW, raise_exception=True)
def check_detail(request, code: str):
    context = check_page_context(request, _check(code))
    context["back"] = reverse("workforce:checks")
    context["export_url"] = reverse("workforce:check_export", args=[code])
    return render(request, "web/check_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def check_export(request, code: str):
    content, area = check_rows_sheet(request, _check(code))
    return xlsx_response(content, f"workforce-check-{code}-{area.code}.xlsx")


class StaffListView(ScopedListView):
    permission_required = VIEW
    queryset = Staff.objects.select_related("resident", "community").order_by("area_path", "post", "id")
    filterset_class = StaffFilter
    template_name = "workforce/staff_list.html"
    extra_context = {"posts": Post.choices}

    def get_queryset(self):
        qs = super().get_queryset()
        bound = self.filterset is not None and self.filterset.is_bound
        return qs if bound else qs.filter(is_active=True)  # unfiltered: those in post


staff_list = StaffListView.as_view()


def _grids_for(request, staff: Staff):
    return (
        Area.objects.visible_to(request.user)
        .in_area(staff.area_path)
        .filter(level=Level.GRID, is_active=True)
        .order_by("path")
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def staff_detail(request, pk: int):
    staff = get_object_or_404(
        Staff.objects.visible_to(request.user).select_related("resident", "community"), pk=pk
    )
    can_edit = request.user.has_perm("workforce.change_staff") and staff.is_active
    links = list(queries.links_of(staff, open_only=False))
    can_link = can_edit and staff.post in LINK_POSTS
    link_form = None
    if can_link:
        link_form = _community_grids(scope_form(LinkGridForm(), request.user), staff)
        linked = {link.grid_id for link in links if link.ended_on is None}
        link_form.fields["grid"].queryset = link_form.fields["grid"].queryset.exclude(pk__in=linked)
    joins = can_edit and staff.post == Post.GRID_WORKER
    return render(
        request,
        "workforce/staff_detail.html",
        {
            "staff": staff,
            "open_links": [link for link in links if link.ended_on is None],
            "past_links": [link for link in links if link.ended_on is not None],
            "link_form": link_form,
            "can_unlink": can_edit,
            "corps_refusal": services.corps_refusal(staff, timezone.localdate()) if joins else None,
            "join_form": JoinCorpsForm() if joins else None,
            "secondment_form": SecondmentForm() if can_edit else None,
            "studio_member_form": scope_form(StudioMemberForm(), request.user) if can_edit else None,
            "salon_form": scope_form(SalonAttendanceForm(), request.user) if can_edit else None,
            "positions": staff.positions.order_by("started_on", "id"),
            "certificates": staff.certificates.all(),
            "trainings": staff.trainings.select_related("studio", "salon").order_by("-started_on"),
            "evaluations": staff.evaluations.all(),
            "assignments": staff.grid_assignments.select_related("grid").order_by("-started_on"),
            "grade_changes": staff.grade_changes.all(),
            "post_form": PostChangeForm() if can_edit else None,
            "grid_form": GridForm(grids=_grids_for(request, staff))
            if can_edit and staff.post == Post.GRID_WORKER
            else None,
            "can_edit": can_edit,
            "is_successor": staff.post != Post.SECRETARY
            and Successor.objects.visible_to(request.user)
            .filter(staff=staff, ended_on__isnull=True)
            .exists(),
            "training_form": TrainingForm(choices=_training_choices()) if can_edit else None,
            "evaluation_form": EvaluationForm() if can_edit else None,
            "replace_form": ReplaceForm(choices=_incoming_choices(request, staff))
            if can_edit
            and staff.post == Post.SECRETARY
            and request.user.has_perm("workforce.replace_secretary")
            else None,
        },
    )


@login_required
@require_POST
@permission_required("workforce.change_staff", raise_exception=True)
def staff_change_post(request, pk: int):
    staff = get_object_or_404(Staff.objects.visible_to(request.user), pk=pk)
    form = PostChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择新岗位"))
        return redirect("workforce:staff_detail", pk=pk)
    try:
        services.change_post(
            request.user,
            staff,
            post=form.cleaned_data["post"],
            on=form.cleaned_data["on"],
            note=form.cleaned_data["note"],
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("岗位已变动,任职经历已更新"))
    return redirect("workforce:staff_detail", pk=pk)


@login_required
@require_POST
@permission_required("workforce.change_staff", raise_exception=True)
def staff_assign_grid(request, pk: int):
    staff = get_object_or_404(Staff.objects.visible_to(request.user), pk=pk)
    form = GridForm(request.POST, grids=_grids_for(request, staff))
    if not form.is_valid():
        messages.error(request, _("请选择网格"))
        return redirect("workforce:staff_detail", pk=pk)
    try:
        services.assign_grid(
            request.user, staff, form.cleaned_data["grid"], reason=form.cleaned_data["reason"]
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已配置到网格,原配置记入历史"))
    return redirect("workforce:staff_detail", pk=pk)


@login_required
@permission_required("workforce.export_staff", raise_exception=True)
def staff_export(request):
    return xlsx_response(services.export_staff(request.user, listed(StaffListView, request)), "staff.xlsx")


@login_required
@permission_required("workforce.import_staff", raise_exception=True)
def staff_import(request):
    def run(user, data):
        result = services.import_staff(user, data["file"])
        return _("导入成功:新增社区工作人员 %(n)d 名") % {"n": result.staff}, reverse(
            "workforce:staff_import"
        )

    context = {
        "columns": STAFF_COLUMNS,
        "title": _("批量导入社区工作人员"),
        "template_url": reverse("workforce:staff_template"),
    }
    return import_page(request, form_class=ImportForm, run=run, template="web/import.html", context=context)


@login_required
@permission_required("workforce.import_staff", raise_exception=True)
def staff_template(request):
    return xlsx_response(
        write_sheet(_("社区工作人员导入模板"), STAFF_COLUMNS, []), "staff-import-template.xlsx"
    )


# --- salary scale and payroll -----------------------------------------------------------------------
@login_required
@permission_required("workforce.view_salaryscale", raise_exception=True)
def salary_table(request):
    scales = list(SalaryScale.objects.order_by("-effective_from"))
    chosen = request.GET.get("scale")
    scale = next((s for s in scales if str(s.pk) == chosen), scales[0] if scales else None)
    return render(
        request,
        "workforce/salary.html",
        {
            "scales": scales,
            "scale": scale,
            "rows": queries.scale_matrix(scale) if scale else [],
            "categories": PostCategory.choices,
            "district_share": (Decimal(1) - scale.city_share) if scale else None,
        },
    )


@login_required
@permission_required("workforce.view_salaryscale", raise_exception=True)
def salary_export(request, pk: int):
    scale = get_object_or_404(SalaryScale, pk=pk)
    content = write_sheet(str(SCALE_TITLE), RATE_EXPORT_COLUMNS, queries.scale_rows(scale))
    return xlsx_response(content, f"salary-scale-{scale.effective_from}.xlsx")


@login_required
@permission_required("workforce.import_salaryscale", raise_exception=True)
def salary_import(request):
    def run(user, data):
        scale = services.import_salary_scale(
            user,
            data["file"],
            name=data["name"],
            effective_from=data["effective_from"],
            city_share=data["city_share"],
        )
        return _("已导入新的薪酬标准"), f"{reverse('workforce:salary')}?scale={scale.pk}"

    context = {"columns": RATE_COLUMNS, "title": _("导入薪酬标准表")}
    return import_page(
        request, form_class=ScaleImportForm, run=run, template="web/import.html", context=context
    )


def _payrolls(request):
    base = Payroll.objects.visible_to(request.user)
    filterset = PayrollFilter(request.GET or None, queryset=base, request=request)
    qs = filterset.qs
    return qs.select_related("community").order_by("-month", "area_path")


@login_required
@permission_required("workforce.view_payroll", raise_exception=True)
def payroll_list(request):
    qs = _payrolls(request)
    page = page_of(request, qs, 50)
    communities = (
        Area.objects.visible_to(request.user).filter(level=Level.COMMUNITY, is_active=True).order_by("path")
    )
    form = PayrollForm(communities=communities)
    if request.method == "POST":
        if not request.user.has_perm("workforce.compute_payroll"):
            return HttpResponse(status=403)
        form = PayrollForm(request.POST, communities=communities)
        if form.is_valid():
            try:
                payroll = services.compute_payroll(
                    request.user, form.cleaned_data["community"], form.cleaned_data["month"]
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("工资表已生成"))
                return redirect("workforce:payroll_detail", pk=payroll.pk)
    return render(
        request,
        "workforce/payroll_list.html",
        {"page": page, "form": form, "querystring": query_without_page(request)},
    )


@login_required
@permission_required("workforce.view_payroll", raise_exception=True)
def payroll_list_export(request):
    rows = (
        {
            "month": f"{p.month:%Y-%m}",
            "community": p.community.name,
            "community_code": p.community.code,
            "headcount": p.headcount,
            "total": p.total,
            "city_amount": p.city_amount,
            "district_amount": p.district_amount,
        }
        for p in _payrolls(request)
    )
    return xlsx_response(write_sheet(_("社区工作者工资表"), PAYROLL_LIST_COLUMNS, rows), "payrolls.xlsx")


@login_required
@permission_required("workforce.view_payroll", raise_exception=True)
def payroll_detail(request, pk: int):
    payroll = get_object_or_404(
        Payroll.objects.visible_to(request.user).select_related("community", "scale"), pk=pk
    )
    lines = list(payroll.lines.select_related("staff__resident").order_by("id"))
    performance_total = sum((line.performance_pay for line in lines), Decimal("0.00"))
    return render(
        request,
        "workforce/payroll_detail.html",
        {"payroll": payroll, "lines": lines, "performance_total": performance_total},
    )


@login_required
@permission_required("workforce.view_payroll", raise_exception=True)
def payroll_export(request, pk: int):
    payroll = get_object_or_404(Payroll.objects.visible_to(request.user), pk=pk)
    return xlsx_response(
        services.export_payroll(request.user, payroll), f"payroll-{payroll.month:%Y-%m}.xlsx"
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def competition_detail(request, pk: int):
    competition = get_object_or_404(Competition.objects.visible_to(request.user), pk=pk)
    rows = queries.ranking(
        Presentation.objects.visible_to(request.user).filter(round__competition=competition)
    )
    return render(
        request,
        "workforce/competition.html",
        {
            "competition": competition,
            "rows": rows,
            "rounds": competition.rounds.all(),
            "round_form": RoundForm() if request.user.has_perm("workforce.add_competitionround") else None,
        },
    )


def _grid_history(request):
    root = check_root(request)
    qs = (
        GridAssignment.objects.visible_to(request.user)
        .in_area(root.path)
        .select_related("grid", "staff__resident")
        .order_by("area_path", "-started_on")
    )
    return root, qs


@login_required
@permission_required(VIEW, raise_exception=True)
def competition_export(request, pk: int):
    competition = get_object_or_404(Competition.objects.visible_to(request.user), pk=pk)
    rows = [
        {
            "rank": r.rank,  # type: ignore[attr-defined]
            "name": r.staff.resident.name,
            "community": r.staff.community.name,
            "judges": r.judges,  # type: ignore[attr-defined]
            "mean": r.mean if r.mean is not None else "",  # type: ignore[attr-defined]
        }
        for r in queries.ranking(
            Presentation.objects.visible_to(request.user).filter(round__competition=competition)
        )
    ]
    return xlsx_response(
        write_sheet(competition.title, COMPETITION_COLUMNS, rows), f"competition-{competition.pk}.xlsx"
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def grid_history(request):
    root, qs = _grid_history(request)
    page = page_of(request, qs, 50)
    return render(
        request,
        "workforce/grid_history.html",
        {
            "area": root,
            "crumbs": visible_ancestors(request.user, root),
            "page": page,
            "querystring": query_without_page(request),
        },
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def grid_history_export(request):
    root, qs = _grid_history(request)
    rows = (
        {
            "grid": a.grid.name,
            "grid_code": a.grid.code,
            "staff": a.staff.resident.name,
            "started_on": a.started_on,
            "ended_on": a.ended_on or "",
            "reason": a.reason,
        }
        for a in qs.iterator(chunk_size=2000)
    )
    title = f"{_('网格员配置与调整记录')} {root.name}"
    return xlsx_response(write_sheet(title, GRID_HISTORY_COLUMNS, rows), f"grid-workers-{root.code}.xlsx")


# --- staff career records: successor, training, evaluation, replacement -----------------------------
def _form_error(form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}:{errors[0]}" if label else str(errors[0])
    return _("请检查填写的内容")


def _training_choices():
    # Studios and salons are municipal or district events: any one may be chosen (as in the API).
    return {
        "studio": Studio.objects.unscoped("municipal studios are open to all").order_by("name"),
        "salon": Salon.objects.unscoped("salons are open to all").order_by("-held_on", "id"),
    }


def _incoming_choices(request, staff: Staff):
    return {
        "incoming": Staff.objects.visible_to(request.user)
        .filter(community_id=staff.community_id, is_active=True)
        .exclude(pk=staff.pk)
        .select_related("resident")
        .order_by("post", "id")
    }


def _staff_action(request, pk: int, form_class, run, success: str, choices=None):
    """Thin POST handler: the staff member from the user's scope (else 404), the form, the service."""
    staff = get_object_or_404(Staff.objects.visible_to(request.user), pk=pk)
    kwargs = {"choices": choices(request, staff)} if choices else {}
    form = form_class(request.POST, **kwargs) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("workforce:staff_detail", pk=pk)
    try:
        run(staff, form.cleaned_data if form is not None else {})
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("workforce:staff_detail", pk=pk)


@login_required
@require_POST
@permission_required("workforce.change_staff", raise_exception=True)
def staff_successor(request, pk: int):
    return _staff_action(
        request,
        pk,
        None,
        lambda staff, data: services.designate_successor(request.user, staff),
        _("已确定为后备人才"),
    )


@login_required
@require_POST
@permission_required("workforce.change_staff", raise_exception=True)
def staff_training(request, pk: int):
    return _staff_action(
        request,
        pk,
        TrainingForm,
        lambda staff, data: services.record_training(request.user, staff, **data),
        _("培训记录已保存"),
        choices=lambda request, staff: _training_choices(),
    )


@login_required
@require_POST
@permission_required("workforce.change_staff", raise_exception=True)
def staff_evaluate(request, pk: int):
    return _staff_action(
        request,
        pk,
        EvaluationForm,
        lambda staff, data: services.evaluate(request.user, staff, **data),
        _("履职评估已保存"),
    )


@login_required
@require_POST
@permission_required(["workforce.change_staff", "workforce.replace_secretary"], raise_exception=True)
def staff_replace(request, pk: int):
    return _staff_action(
        request,
        pk,
        ReplaceForm,
        lambda staff, data: services.replace_secretary(
            request.user,
            staff,
            reason=data["reason"],
            incoming=data["incoming"],
            note=data["note"],
            on=data["on"],
        ),
        _("书记调整撤换已办理"),
        choices=_incoming_choices,
    )


# --- competitions, studios, salons -------------------------------------------------------------------
def _areas(request, *levels: int):
    return Area.objects.visible_to(request.user).filter(level__in=levels, is_active=True).order_by("path")


@login_required
@permission_required("workforce.add_competition", raise_exception=True)
def competition_create(request):
    choices = {"district": _areas(request, Level.DISTRICT)}
    form = CompetitionForm(choices=choices)
    if request.method == "POST":
        form = CompetitionForm(request.POST, choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                competition = services.create_competition(
                    request.user, data["district"], title=data["title"], year=data["year"]
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("擂台赛已创建,请添加场次"))
                return redirect("workforce:competition", pk=competition.pk)
    return render(request, "workforce/form.html", {"form": form, "title": _("新建社区书记擂台赛")})


class CompetitionRoundView(FormPage):
    """Add a round (posted from the competition page; an error is shown here with what was typed)."""

    permission_required = "workforce.add_competitionround"
    form_class = RoundForm
    template_name = "workforce/form.html"

    @cached_property
    def competition(self) -> Competition:
        return get_object_or_404(Competition.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_form(self, form_class=None):
        self.competition  # noqa: B018 - out of scope is a 404 before any form is shown or run
        return super().get_form(form_class)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("%(t)s:添加场次") % {"t": self.competition.title}, **kwargs)

    def run_service(self, actor, data):
        row = services.add_round(actor, self.competition, held_on=data["held_on"], number=data["number"])
        messages.success(self.request, _("已添加第%(n)d场") % {"n": row.number})
        return row

    def get_success_url(self):
        return reverse("workforce:competition", args=[self.competition.pk])


competition_add_round = CompetitionRoundView.as_view()


def _studio_choices(request):
    return {
        "community": _areas(request, Level.COMMUNITY),
        "lead": Staff.objects.visible_to(request.user)
        .filter(post=Post.SECRETARY, is_active=True)
        .select_related("resident")
        .order_by("area_path", "id"),
    }


@login_required
@permission_required("workforce.view_studio", raise_exception=True)
def studio_list(request):
    can_add = request.user.has_perm("workforce.add_studio")
    form = StudioForm(choices=_studio_choices(request)) if can_add else None
    if request.method == "POST":
        if not can_add:
            return HttpResponse(status=403)
        form = StudioForm(request.POST, choices=_studio_choices(request))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_studio(
                    request.user,
                    data["community"],
                    name=data["name"],
                    training_base=data["training_base"],
                    lead=data["lead"],
                    established_on=data["established_on"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("书记工作室已创建"))
                return redirect("workforce:studios")
    return render(request, "workforce/studios.html", {"studios": _studios(request), "form": form})


def _studios(request):
    return (
        Studio.objects.visible_to(request.user)
        .select_related("lead__resident")
        .annotate(member_count=Count("members"))
        .order_by("name")
    )


@login_required
@permission_required("workforce.view_studio", raise_exception=True)
def studio_export(request):
    rows = (
        {
            "name": s.name,
            "lead": s.lead.resident.name if s.lead is not None else "",
            "training_base": s.training_base,
            "established_on": s.established_on or "",
            "members": s.member_count,  # type: ignore[attr-defined]
        }
        for s in _studios(request)
    )
    return xlsx_response(write_sheet(_("书记工作室"), STUDIO_COLUMNS, rows), "studios.xlsx")


@login_required
@permission_required("workforce.view_salon", raise_exception=True)
def salon_list(request):
    can_add = request.user.has_perm("workforce.add_salon")
    choices = {"area": _areas(request, *services.SALON_LEVELS)}
    form = SalonForm(choices=choices) if can_add else None
    if request.method == "POST":
        if not can_add:
            return HttpResponse(status=403)
        form = SalonForm(request.POST, choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_salon(
                    request.user, data["area"], title=data["title"], held_on=data["held_on"]
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("书记沙龙已登记"))
                return redirect("workforce:salons")
    page = page_of(request, _salons(request), 50)
    return render(
        request,
        "workforce/salons.html",
        {"page": page, "form": form, "querystring": query_without_page(request)},
    )


def _salons(request):
    return (
        Salon.objects.visible_to(request.user)
        .annotate(attendance=Count("attendances"))
        .order_by("-held_on", "id")
    )


@login_required
@permission_required("workforce.view_salon", raise_exception=True)
def salon_export(request):
    rows = (
        {"held_on": s.held_on, "title": s.title, "attendance": s.attendance}  # type: ignore[attr-defined]
        for s in _salons(request)
    )
    return xlsx_response(write_sheet(_("书记沙龙"), SALON_COLUMNS, rows), "salons.xlsx")


# --- forms on their own pages (ServiceFormView): errors on the form, what was typed kept ----------------
class StaffFormView(FormPage):
    """A form about one staff member of the user's scope (else 404), posted from the staff page."""

    permission_required = "workforce.change_staff"
    template_name = "workforce/staff_form.html"
    title: Any = ""

    @cached_property
    def staff(self) -> Staff:
        return get_object_or_404(
            Staff.objects.visible_to(self.request.user).select_related("resident", "community"),
            pk=self.kwargs["pk"],
        )

    def get_form(self, form_class=None):
        self.staff  # noqa: B018 - out of scope is a 404 before any form is shown or run
        return super().get_form(form_class)

    def get_context_data(self, **kwargs):
        return super().get_context_data(staff=self.staff, title=self.title, **kwargs)

    def get_success_url(self):
        return reverse("workforce:staff_detail", args=[self.staff.pk])


def _community_grids(form, staff: Staff, field: str = "grid"):
    form.fields[field].queryset = form.fields[field].queryset.filter(path__startswith=staff.area_path)
    return form


class StaffLinkGridView(StaffFormView):
    form_class = LinkGridForm
    title = gettext_lazy("挂包网格")
    done = gettext_lazy("已挂包联系该网格")

    def get_form(self, form_class=None):
        return _community_grids(super().get_form(form_class), self.staff)

    def run_service(self, actor, data):
        return services.link_grid(actor, self.staff, data["grid"], on=data["on"], reason=data["reason"])


class StaffUnlinkGridView(StaffFormView):
    form_class = UnlinkGridForm
    title = gettext_lazy("解除挂包网格")
    done = gettext_lazy("已解除挂包联系,记录保留")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["grid"].widget = forms.Select()  # shown as a choice when the page is opened on its own
        form.fields["grid"].widget.choices = form.fields["grid"].choices
        return _community_grids(form, self.staff)

    def run_service(self, actor, data):
        return services.unlink_grid(actor, self.staff, data["grid"], reason=data["reason"], on=data["on"])


class StaffJoinCorpsView(StaffFormView):
    form_class = JoinCorpsForm
    title = gettext_lazy("转入社区工作者队伍")
    done = gettext_lazy("已转入社区工作者队伍")

    def run_service(self, actor, data):
        return services.join_corps(actor, self.staff, on=data["on"], note=data["note"])


class StaffSecondmentView(StaffFormView):
    form_class = SecondmentForm
    title = gettext_lazy("登记外地挂职")
    done = gettext_lazy("外地挂职已登记")

    def run_service(self, actor, data):
        return services.record_training(actor, self.staff, kind=TrainingKind.SECONDMENT, **data)


class StaffStudioMemberView(StaffFormView):
    form_class = StudioMemberForm
    title = gettext_lazy("加入书记工作室")
    done = gettext_lazy("已登记为书记工作室学员")

    def run_service(self, actor, data):
        return services.record_training(
            actor,
            self.staff,
            kind=TrainingKind.STUDIO,
            studio=data["studio"],
            started_on=data["started_on"],
            note=data["note"],
        )


class StaffSalonAttendanceView(StaffFormView):
    form_class = SalonAttendanceForm
    title = gettext_lazy("登记参加书记沙龙")
    done = gettext_lazy("已登记参加书记沙龙")

    def run_service(self, actor, data):
        salon = data["salon"]
        return services.record_training(
            actor,
            self.staff,
            kind=TrainingKind.SALON,
            salon=salon,
            started_on=salon.held_on,
            note=data["note"],
        )


staff_link_grid = StaffLinkGridView.as_view()
staff_unlink_grid = StaffUnlinkGridView.as_view()
staff_join_corps = StaffJoinCorpsView.as_view()
staff_secondment = StaffSecondmentView.as_view()
staff_studio_member = StaffStudioMemberView.as_view()
staff_salon_attendance = StaffSalonAttendanceView.as_view()


class GridLinksView(FormPage):
    """The grids of an area with their linked members (挂包); in a community, a form to link one more."""

    permission_required = VIEW
    form_class = StaffGridLinkForm
    template_name = "workforce/grid_links.html"

    @cached_property
    def root(self) -> Area:
        return check_root(self.request)

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("workforce.change_staff"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["staff"].queryset = form.fields["staff"].queryset.filter(
            area_path__startswith=self.root.path, post__in=LINK_POSTS
        )
        form.fields["grid"].queryset = form.fields["grid"].queryset.filter(path__startswith=self.root.path)
        return form

    def get_context_data(self, **kwargs):
        user = self.request.user
        grids = (
            Area.objects.visible_to(user)
            .in_area(self.root.path)
            .filter(level=Level.GRID, is_active=True)
            .select_related("parent")
            .order_by("path")
        )
        page = page_of(self.request, grids, 50)
        links: dict[int, list[GridLink]] = {}
        for link in (
            GridLink.objects.visible_to(user)
            .filter(grid__in=[g.pk for g in page.object_list], ended_on__isnull=True)
            .select_related("staff__resident")
            .order_by("staff__post", "id")
        ):
            links.setdefault(link.grid_id, []).append(link)
        rows = [{"grid": g, "links": links.get(g.pk, [])} for g in page.object_list]
        can_link = user.has_perm("workforce.change_staff") and self.root.level == Level.COMMUNITY
        return super().get_context_data(
            area=self.root,
            crumbs=visible_ancestors(user, self.root),
            page=page,
            rows=rows,
            can_link=can_link,
            querystring=query_without_page(self.request),
            **kwargs,
        )

    def run_service(self, actor, data):
        return services.link_grid(actor, data["staff"], data["grid"], on=data["on"], reason=data["reason"])

    def get_success_url(self):
        return f"{reverse('workforce:grid_links')}?area={self.root.pk}"

    done = gettext_lazy("已挂包联系该网格")


grid_links = GridLinksView.as_view()


class QuotaRuleView(FormPage):
    """总量配备规则: the versions (anyone who reads the staffing checks) and, for the city, a new version."""

    permission_required = "workforce.view_quotarule"
    form_class = QuotaRuleForm
    template_name = "workforce/quota.html"
    done = gettext_lazy("总量配备规则已保存")

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("workforce.change_quotarule"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        rule = queries.quota_rule()
        if rule is None:
            return {}
        return {
            "name": rule.name,
            "base": rule.base,
            "households_per_worker": rule.households_per_worker,
            "minimum": rule.minimum,
            "maximum": rule.maximum,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            rules=QuotaRule.objects.order_by("-effective_from"),
            current=queries.quota_rule(),
            can_edit=self.request.user.has_perm("workforce.change_quotarule"),
            **kwargs,
        )

    def run_service(self, actor, data):
        return services.set_quota_rule(actor, **data)

    def get_success_url(self):
        return reverse("workforce:quota")


quota_rule = QuotaRuleView.as_view()


class EditPage(FormPage):
    """Edit one object of the user's area (`model`, by the URL's pk): out of scope is a 404 before any form
    is shown or run."""

    model: Any
    title: Any = ""
    template_name = "workforce/form.html"

    @cached_property
    def edited(self):
        return get_object_or_404(self.model.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_form(self, form_class=None):
        self.edited  # noqa: B018 - the 404 first
        return super().get_form(form_class)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)


class CompetitionEditView(EditPage):
    permission_required = "workforce.change_competition"
    form_class = CompetitionEditForm
    model = Competition
    title = gettext_lazy("修改擂台赛")
    done = gettext_lazy("擂台赛已修改")

    def get_initial(self):
        return {"title": self.edited.title, "year": self.edited.year}

    def run_service(self, actor, data):
        return services.update_competition(actor, self.edited, title=data["title"], year=data["year"])

    def get_success_url(self):
        return reverse("workforce:competition", args=[self.edited.pk])


competition_edit = CompetitionEditView.as_view()


class StudioEditView(EditPage):
    permission_required = "workforce.change_studio"
    form_class = StudioEditForm
    model = Studio
    title = gettext_lazy("修改书记工作室")
    done = gettext_lazy("书记工作室已修改")

    def get_initial(self):
        s = self.edited
        return {
            "name": s.name,
            "lead": s.lead_id,
            "training_base": s.training_base,
            "established_on": s.established_on,
        }

    def run_service(self, actor, data):
        return services.update_studio(actor, self.edited, **data)

    def get_success_url(self):
        return reverse("workforce:studios")


studio_edit = StudioEditView.as_view()
