"""Points pages: the resident's phone pages, the merchant's redeem page, staff approvals, catalogue, reports."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import Column

from . import queries, services
from .forms import ReportRangeForm, RuleForm, ScenarioForm, SelfReportForm
from .models import (
    EarningRule,
    Merchant,
    MerchantKind,
    Participation,
    PartStatus,
    Redemption,
    Scenario,
)

RULE_FIELDS = (
    "area", "activity_kind", "role", "points_per_hour", "points_per_event", "daily_cap", "monthly_cap",
)  # fmt: skip
SCENARIO_FIELDS = (
    "area", "code", "name", "category", "price", "stock", "monthly_limit", "eligible_groups",
    "merchant_kinds", "is_active",
)  # fmt: skip


def _resident_or_403(request):
    resident = services.resident_of_user(request.user)
    if resident is None:
        raise PermissionDenied(_("该账号未绑定居民"))
    return resident


def _catalogue_for(path: str):
    prefixes = [path[:n] for n in (4, 6, 9, 12, 15, 18, 20) if len(path) >= n]
    return Scenario.objects.unscoped("catalogue offered to a resident").filter(
        area_path__in=prefixes, is_active=True
    )


# --- resident (phone-first) ----------------------------------------------------------------------
def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG, made on the server (segno; no external service)."""
    import segno

    code = segno.make(text, error="m")
    return code.svg_inline(scale=6, dark="#000", light="#fff", title=_("居民积分码"))


@login_required
def me(request):
    resident = _resident_or_403(request)
    account = services.resident_account(resident)
    entries = account.entries.select_related("transaction").order_by("-id")[:30]
    minutes = (
        Participation.objects.unscoped("a resident's own hours")
        .filter(resident=resident, status=PartStatus.APPROVED)
        .aggregate(m=Sum("minutes"), n=Count("id"))
    )
    return render(
        request,
        "points/me.html",
        {
            "resident": resident,
            "account": account,
            "entries": entries,
            "hours": round((minutes["m"] or 0) / 60, 1),
            "services": minutes["n"],
            "open_count": queries.open_activities(resident).count(),
        },
    )


@login_required
def my_code(request):
    """The code a merchant scans or types: a fresh signed token as a QR code, and on request a 6-digit
    one-time code."""
    resident = _resident_or_403(request)
    otc = None
    if request.method == "POST":
        otc = services.issue_one_time_code(request.user, resident)
    token = services.resident_token(resident)
    return render(
        request,
        "points/code.html",
        {
            "resident": resident,
            "token": token,
            "qr": mark_safe(qr_svg(token)),  # noqa: S308 - segno's own SVG of a signed token
            "otc": otc,
            "balance": services.resident_account(resident).balance,
        },
    )


@login_required
def catalogue(request):
    resident = services.resident_of_user(request.user)
    if resident is not None:
        scenarios = list(_catalogue_for(resident.area_path).order_by("category", "price")[:200])
    elif request.user.has_perm("points.view_scenario"):
        scenarios = queries.mark_owners(_staff_catalogue(request.user)[:200], request.user)
    else:
        raise PermissionDenied
    return render(request, "points/catalogue.html", {"scenarios": scenarios, "resident": resident})


def _staff_catalogue(user):
    return queries.applicable(Scenario, user).order_by("category", "price", "area_path", "id")


@login_required
def my_hours(request):
    resident = _resident_or_403(request)
    return render(request, "points/hours.html", {"parts": queries.my_participations(resident, limit=100)})


def _activities_page(request, resident, form=None, status: int = 200):
    reportable = queries.reportable_activities(resident)
    return render(
        request,
        "points/activities.html",
        {
            "resident": resident,
            "open": queries.open_activities(resident)[:30],
            "mine": [
                p
                for p in queries.my_participations(resident, limit=30)
                if p.status in (PartStatus.SIGNED_UP, PartStatus.CHECKED_IN, PartStatus.REPORTED)
            ],
            "form": form or SelfReportForm(activities=reportable),
            "can_report": reportable.exists(),
        },
        status=status,
    )


@login_required
def activities(request):
    """Activities to sign up for, the resident's sign-ups and the form to report hours served."""
    return _activities_page(request, _resident_or_403(request))


@require_POST
@login_required
def sign_up(request, pk: int):
    resident = _resident_or_403(request)
    activity = get_object_or_404(queries.open_activities(resident), pk=pk)
    try:
        services.sign_up(request.user, activity, resident)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已报名“%(t)s”") % {"t": activity.title})
    return redirect("points:activities")


@require_POST
@login_required
def self_report(request):
    resident = _resident_or_403(request)
    form = SelfReportForm(request.POST, activities=queries.reportable_activities(resident))
    if form.is_valid():
        try:
            services.report_participation(
                request.user,
                form.cleaned_data["activity"],
                resident,
                minutes=form.minutes,
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("服务时长已申报,等待社区审核"))
            return redirect("points:activities")
    return _activities_page(request, resident, form, status=400)


# --- merchant -------------------------------------------------------------------------------------
def _merchant_of(request) -> Merchant:
    merchant = getattr(request.user, "merchant", None)
    if merchant is None:
        raise PermissionDenied(_("该账号不是商户账号"))
    return merchant


def merchant_scenarios(merchant: Merchant) -> list[Scenario]:
    """The scenarios a merchant may redeem, those open to every resident first (the default choice must
    not refuse most residents), then by price."""
    offered = [
        s
        for s in _catalogue_for(merchant.area_path)
        if not s.merchant_kinds or merchant.kind in s.merchant_kinds
    ]
    return sorted(offered, key=lambda s: (bool(s.eligible_groups), s.price, s.category, s.pk))


def _redeem_posted(request, merchant: Merchant, scenarios: list[Scenario]) -> str | None:
    """Redeem what the merchant's form says; None on success, else the refusal to show."""
    raw = (request.POST.get("code") or "").strip()
    if not raw:
        return _("请输入居民积分码或6位核销码")
    scenario = next((s for s in scenarios if str(s.pk) == request.POST.get("scenario", "")), None)
    if scenario is None:
        return _("请选择本商户可核销的兑换场景")
    quantity_raw = (request.POST.get("quantity") or "1").strip()
    if not quantity_raw.isdigit() or not 1 <= int(quantity_raw) <= 100:
        return _("数量应为1到100之间的整数")
    try:
        result = services.redeem(
            request.user,
            merchant=merchant,
            scenario=scenario,
            key=f"page:{merchant.pk}:{request.POST.get('nonce', '')}"[:120],
            token="" if raw.isdigit() else raw,
            code=raw if raw.isdigit() else "",
            quantity=int(quantity_raw),
        )
    except ServiceError as exc:
        return str(exc)
    messages.success(
        request,
        _("核销成功:%(s)s,扣除 %(p)d 积分") % {"s": scenario.name, "p": result.redemption.points},
    )
    return None


@login_required
@permission_required("points.add_redemption", raise_exception=True)
def merchant_home(request):
    merchant = _merchant_of(request)
    scenarios = merchant_scenarios(merchant)
    typed = {}
    status = 200
    if request.method == "POST":
        refusal = _redeem_posted(request, merchant, scenarios)
        if refusal is None:
            return redirect("points:merchant")
        # Refused: show why and keep what was typed, so the merchant corrects instead of retyping.
        messages.error(request, refusal)
        typed = {
            "code": (request.POST.get("code") or "").strip()[:200],
            "scenario": request.POST.get("scenario", ""),
            "quantity": (request.POST.get("quantity") or "1").strip()[:3],
        }
        status = 400
    month = timezone.localdate().replace(day=1)
    recent = (
        Redemption.objects.visible_to(request.user).filter(merchant=merchant).select_related("scenario")[:20]
    )
    return render(
        request,
        "points/merchant.html",
        {
            "merchant": merchant,
            "scenarios": scenarios,
            "recent": recent,
            "nonce": uuid.uuid4().hex,
            "balance": services.merchant_account(merchant).balance,
            "month": month,
            "typed": typed,
        },
        status=status,
    )


@login_required
@permission_required("points.settle_merchant", raise_exception=True)
def statement(request, pk: int):
    # A merchant account finds only its own merchant (Merchant.scope_rule); staff, their area's.
    merchant = get_object_or_404(Merchant.objects.visible_to(request.user), pk=pk)
    try:
        month = dt.date.fromisoformat(
            (request.GET.get("month") or timezone.localdate().strftime("%Y-%m")) + "-01"
        )
    except ValueError:
        month = timezone.localdate().replace(day=1)
    content = services.settlement_statement(request.user, merchant, month)
    return xlsx_response(content, f"statement-{merchant.pk}-{month:%Y-%m}.xlsx")


# --- xlsx downloads -------------------------------------------------------------------------------
EXPORT_LIMIT = 200_000  # rows of one download (the lists themselves are scoped and filtered)

# A sheet's columns: key -> (header, the cell's value for one listed object).
Cells = dict[str, tuple[Any, Callable[[Any], Any]]]


def keyed(**headers) -> Cells:
    """Cells of rows that already are dicts keyed like the columns (the report's figures)."""
    return {key: (header, itemgetter(key)) for key, header in headers.items()}


def _sheet(cells: Cells, objects: Iterable[Any]) -> tuple[list[Column], list[dict]]:
    columns = [Column(key, str(header)) for key, (header, _value) in cells.items()]
    return columns, [{key: value(obj) for key, (_header, value) in cells.items()} for obj in objects]


@dataclass(frozen=True)
class Book:
    """A download of several sheets (the report): `name` ends the file name and names the audit row."""

    name: str
    sheets: list[tuple[str, Cells, Iterable[Any]]]


def xlsx_export(what: str, permission: str, title=None, cells: Cells | None = None):
    """Make `listed(request)` the xlsx download of a points page: login and the page's permission, then
    the objects the user sees written in `cells` and audited as `points.export_<what>`
    (services.export_sheet), as `points-<what>.xlsx`. The function may instead give a `Book` of sheets
    (services.export_book), or an HttpResponse (a refused filter)."""

    def decorate(listed: Callable[..., Iterable[Any] | Book | HttpResponse]):
        @login_required
        @permission_required(permission, raise_exception=True)
        @functools.wraps(listed)
        def view(request):
            result = listed(request)
            if isinstance(result, HttpResponse):
                return result
            if isinstance(result, Book):
                sheets = [(str(name), *_sheet(c, rows)) for name, c, rows in result.sheets]
                content = services.export_book(request.user, what, result.name, sheets)
                return xlsx_response(content, f"points-{what}-{result.name}.xlsx")
            assert cells is not None and title is not None
            content = services.export_sheet(request.user, what, str(title), *_sheet(cells, result))
            return xlsx_response(content, f"points-{what}.xlsx")

        return view

    return decorate


# --- staff ----------------------------------------------------------------------------------------
def _pending(user):
    return (
        Participation.objects.visible_to(user)
        .filter(status__in=[PartStatus.REPORTED, PartStatus.CHECKED_IN])
        .select_related("activity", "resident")
        .order_by("service_date", "id")
    )


@login_required
@permission_required("points.view_participation", raise_exception=True)
def approvals(request):
    return render(request, "points/approvals.html", {"parts": _pending(request.user)[:100]})


APPROVAL_CELLS: Cells = {
    "date": (gettext_lazy("服务日期"), lambda p: p.service_date.isoformat()),
    "activity": (gettext_lazy("活动"), lambda p: p.activity.title),
    "resident": (gettext_lazy("居民"), lambda p: p.resident.name),
    "minutes": (gettext_lazy("服务时长(分钟)"), attrgetter("minutes")),
    "self_reported": (gettext_lazy("自主申报"), lambda p: _("是") if p.self_reported else _("否")),
    "status": (gettext_lazy("状态"), lambda p: p.get_status_display()),
    "area_path": (gettext_lazy("区域路径"), attrgetter("area_path")),
}


@xlsx_export("approvals", "points.view_participation", gettext_lazy("待审核积分"), APPROVAL_CELLS)
def approvals_export(request):
    return _pending(request.user)[:EXPORT_LIMIT]


@require_POST
@login_required
@permission_required("points.approve_participation", raise_exception=True)
def decide(request, pk: int):
    part = get_object_or_404(Participation.objects.visible_to(request.user), pk=pk)
    try:
        if request.POST.get("decision") == "reject":
            services.reject(request.user, part, reason=request.POST.get("reason") or _("不符合要求"))
            messages.success(request, _("已驳回"))
        else:
            part = services.approve(request.user, part)
            messages.success(request, _("已通过,发放 %(p)d 积分") % {"p": part.points})
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("points:approvals")


def _rules_of(user):
    return queries.applicable(EarningRule, user).order_by("area_path", "activity_kind", "role")


@login_required
@permission_required("points.view_earningrule", raise_exception=True)
def rules(request):
    return render(
        request,
        "points/rules.html",
        {"rules": queries.mark_owners(_rules_of(request.user)[:200], request.user)},
    )


RULE_CELLS: Cells = {
    "owner": (gettext_lazy("制定层级"), lambda r: r.owner_label or _("本级")),
    "area_path": (gettext_lazy("区域路径"), attrgetter("area_path")),
    "activity_kind": (gettext_lazy("活动类型"), lambda r: r.get_activity_kind_display()),
    "role": (gettext_lazy("积分身份"), lambda r: r.get_role_display()),
    "points_per_hour": (gettext_lazy("每小时积分"), attrgetter("points_per_hour")),
    "points_per_event": (gettext_lazy("每次积分"), attrgetter("points_per_event")),
    "daily_cap": (gettext_lazy("每日上限"), attrgetter("daily_cap")),
    "monthly_cap": (gettext_lazy("每月上限"), attrgetter("monthly_cap")),
}


@xlsx_export("rules", "points.view_earningrule", gettext_lazy("积分规则"), RULE_CELLS)
def rules_export(request):
    return queries.mark_owners(_rules_of(request.user)[:EXPORT_LIMIT], request.user)


def _kind_labels(kinds: list[str]) -> str:
    labels = dict(MerchantKind.choices)
    return "、".join(str(labels.get(k, k)) for k in kinds)


SCENARIO_CELLS: Cells = {
    "owner": (gettext_lazy("制定层级"), lambda s: s.owner_label or _("本级")),
    "area_path": (gettext_lazy("区域路径"), attrgetter("area_path")),
    "code": (gettext_lazy("编码"), attrgetter("code")),
    "category": (gettext_lazy("类别"), attrgetter("category")),
    "name": (gettext_lazy("名称"), attrgetter("name")),
    "price": (gettext_lazy("所需积分"), attrgetter("price")),
    "stock": (gettext_lazy("库存"), attrgetter("stock")),
    "monthly_limit": (gettext_lazy("每人每月限兑次数"), attrgetter("monthly_limit")),
    "eligible_groups": (gettext_lazy("适用人群"), lambda s: "、".join(s.eligible_groups)),
    "merchant_kinds": (gettext_lazy("可核销商户类型"), lambda s: _kind_labels(s.merchant_kinds)),
    "status": (gettext_lazy("状态"), lambda s: _("上架") if s.is_active else _("已下架")),
}


@xlsx_export("catalogue", "points.view_scenario", gettext_lazy("兑换目录"), SCENARIO_CELLS)
def catalogue_export(request):
    return queries.mark_owners(_staff_catalogue(request.user)[:EXPORT_LIMIT], request.user)


def _rule_form(request, rule: EarningRule | None):
    initial = {}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in RULE_FIELDS}
    form = RuleForm(
        request.POST or None, user=request.user, current=rule.area if rule else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rule(request.user, rule=rule, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("积分规则已保存"))
            return redirect("points:rules")
    return render(request, "points/rule_form.html", {"form": form, "rule": rule})


@login_required
@permission_required("points.add_earningrule", raise_exception=True)
def rule_create(request):
    return _rule_form(request, None)


@login_required
@permission_required("points.change_earningrule", raise_exception=True)
def rule_edit(request, pk: int):
    # Only the level that owns a rule changes it: a rule defined above is not found here (404).
    return _rule_form(request, get_object_or_404(EarningRule.objects.visible_to(request.user), pk=pk))


def _scenario_form(request, scenario: Scenario | None):
    initial: dict = {"is_active": True}
    if scenario is not None:
        initial = {f: getattr(scenario, f) for f in SCENARIO_FIELDS}
    form = ScenarioForm(
        request.POST or None, user=request.user, current=scenario.area if scenario else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_scenario(request.user, scenario=scenario, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("兑换场景“%(n)s”已保存") % {"n": saved.name})
            return redirect("points:catalogue")
    return render(request, "points/scenario_form.html", {"form": form, "scenario": scenario})


@login_required
@permission_required("points.add_scenario", raise_exception=True)
def scenario_create(request):
    return _scenario_form(request, None)


@login_required
@permission_required("points.change_scenario", raise_exception=True)
def scenario_edit(request, pk: int):
    # As for rules: a scenario defined above the user's area is read-only here (404).
    return _scenario_form(request, get_object_or_404(Scenario.objects.visible_to(request.user), pk=pk))


@login_required
@permission_required("points.view_transaction", raise_exception=True)
def reports(request):
    form = ReportRangeForm(request.GET)
    form.is_valid()
    return render(
        request,
        "points/reports.html",
        {
            "form": form,
            "query": None if form.errors else {k: str(form.cleaned_data[k]) for k in ("start", "end")},
            "chart_labels": {
                "issued": _("发放"),
                "redeemed": _("兑换"),
                "hours": _("小时"),
                "count": _("次数"),
                "empty": _("所选日期内暂无数据"),
            },
        },
        status=400 if form.errors else 200,
    )


def _range_or_errors(request):
    form = ReportRangeForm(request.GET)
    if not form.is_valid():
        errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
        return None, JsonResponse({"errors": errors}, status=400)
    return (form.cleaned_data["start"], form.cleaned_data["end"]), None


@login_required
@permission_required("points.view_transaction", raise_exception=True)
def report_data(request):
    """Issued and redeemed points by child area, top volunteers and redemptions by scenario (ECharts),
    for the chosen days (this month so far by default)."""
    span, error = _range_or_errors(request)
    if error is not None:
        return error
    return JsonResponse(queries.report_figures(request.user, *span))


@xlsx_export("report", "points.view_transaction")
def report_export(request):
    span, error = _range_or_errors(request)
    if error is not None:
        return error
    start, end = span
    data = queries.report_figures(request.user, start, end)
    return Book(
        f"{start}-{end}",
        [
            (
                _("各区域发放与兑换"),
                keyed(name=_("区域"), issued=_("发放积分"), redeemed=_("兑换积分")),
                data["by_area"],
            ),
            (
                _("志愿时长排行"),
                keyed(name=_("居民"), hours=_("志愿时长(小时)"), points=_("获得积分")),
                data["top_volunteers"],
            ),
            (
                _("各兑换场景兑换量"),
                keyed(name=_("兑换场景"), count=_("兑换次数"), points=_("兑换积分")),
                data["by_scenario"],
            ),
        ],
    )


# --- month close (月度结算: grid scores → staff points → performance pay) ---------------------------------
def _month_close_community(request):
    """The community the page is about: ?community=<id> in the user's scope (404 outside it), else the
    user's own community, else the first community the user can see."""
    from gridgov.areas.models import Area, Level

    communities = Area.objects.visible_to(request.user).filter(level=Level.COMMUNITY, is_active=True)
    raw = request.POST.get("community") or request.GET.get("community")
    if raw:
        if not str(raw).isdigit() or int(raw) > 2**63 - 1:
            return None, communities
        return get_object_or_404(communities, pk=int(raw)), communities
    return communities.order_by("path").first(), communities


@login_required
@permission_required("points.view_monthclose", raise_exception=True)
def month_close(request):
    """Preview a community's month close (grid scores, staff points, performance pay) and, for the
    secretary, confirm it (POST; a second confirm finds the month closed and changes nothing)."""
    from .forms import MonthForm

    community, communities = _month_close_community(request)
    form = MonthForm(request.POST if request.method == "POST" else request.GET)
    error = ""
    if community is None:
        error = (
            _("请选择有效的社区") if (request.GET.get("community") or request.POST.get("community")) else ""
        )
    if request.method == "POST":
        if not request.user.has_perm("points.close_month"):
            raise PermissionDenied
        if community is not None and form.is_valid():
            month = form.cleaned_data["month"]
            try:
                services.close_month(request.user, community, month)
            except ServiceError as exc:
                error = str(exc)
            else:
                messages.success(
                    request,
                    _("%(c)s %(m)s 已结算,绩效工资已写入工资表")
                    % {"c": community.name, "m": f"{month:%Y-%m}"},
                )
                return redirect(f"{request.path}?community={community.pk}&month={month:%Y-%m}")
    preview = None
    if community is not None and form.is_valid():
        preview = services.preview_month_close(request.user, community, form.cleaned_data["month"])
    payroll_url = ""
    if preview is not None and preview.closed is not None and preview.closed.payroll_id:
        from django.urls import reverse

        payroll_url = reverse("workforce:payroll_detail", args=[preview.closed.payroll_id])
    bad = bool(form.errors) or bool(error)
    return render(
        request,
        "points/month_close.html",
        {
            "form": form,
            "community": community,
            "communities": communities.order_by("path")[:500],
            "preview": preview,
            "error": error,
            "payroll_url": payroll_url,
            "nonce": uuid.uuid4().hex,
        },
        status=400 if bad else 200,
    )


@login_required
@permission_required("points.view_participation", raise_exception=True)
def volunteers(request):
    """Volunteer services (志愿服务) under an area: total, by child area, by month, top volunteers."""
    from gridgov.areas.models import Area

    raw = request.GET.get("area")
    areas = Area.objects.visible_to(request.user)
    if raw:
        if not raw.isdigit() or int(raw) > 2**63 - 1:
            return render(
                request, "points/volunteers.html", {"error": _("区域参数无效"), "figures": None}, status=400
            )
        area = get_object_or_404(areas, pk=int(raw))
    else:
        area = get_object_or_404(areas, pk=request.user.area_id)
    figures = queries.volunteer_figures(area)
    chart = {
        "months": [f"{m['month']:%Y-%m}" for m in figures["months"]],
        "counts": [m["count"] for m in figures["months"]],
        "label": _("志愿服务人次"),
    }
    return render(
        request,
        "points/volunteers.html",
        {"area": area, "figures": figures, "chart": chart, "parent": area.parent if area.parent_id else None},
    )


@login_required
@permission_required("points.view_gridscorerule", raise_exception=True)
def grid_rules(request):
    """The grid-score rules that apply in the user's area (the city default and the districts'), and for
    city and district users a form to set one from a month on."""
    from .forms import GridRuleForm

    if request.method == "POST" and not request.user.has_perm("points.add_gridscorerule"):
        raise PermissionDenied
    form = GridRuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_grid_score_rule(request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("网格评分规则已保存"))
            return redirect("points:grid_rules")
    return render(
        request,
        "points/grid_rules.html",
        {"form": form, "rules": queries.grid_rules_for(request.user)},
        status=400 if form.errors else 200,
    )
