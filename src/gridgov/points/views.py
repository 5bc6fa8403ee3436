"""Points pages: the resident's phone pages, the merchant's redeem page, staff approvals, catalogue, reports."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.scope import subtree_q
from gridgov.core.services import ServiceError
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import services
from .forms import RuleForm, ScenarioForm
from .models import (
    EarningRule,
    Entry,
    Merchant,
    Participation,
    PartStatus,
    Redemption,
    Scenario,
    Transaction,
    TxKind,
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
            "token": services.resident_token(resident),
        },
    )


@login_required
def my_code(request):
    """The code a merchant scans or types: a fresh signed token, and on request a 6-digit one-time code."""
    resident = _resident_or_403(request)
    otc = None
    if request.method == "POST":
        otc = services.issue_one_time_code(request.user, resident)
    return render(
        request,
        "points/code.html",
        {
            "resident": resident,
            "token": services.resident_token(resident),
            "otc": otc,
            "balance": services.resident_account(resident).balance,
        },
    )


@login_required
def catalogue(request):
    resident = services.resident_of_user(request.user)
    if resident is not None:
        scenarios = _catalogue_for(resident.area_path)
    elif request.user.has_perm("points.view_scenario"):
        scenarios = Scenario.objects.visible_to(request.user)
    else:
        raise PermissionDenied
    return render(
        request,
        "points/catalogue.html",
        {"scenarios": scenarios.order_by("category", "price")[:200], "resident": resident},
    )


@login_required
def my_hours(request):
    resident = _resident_or_403(request)
    parts = (
        Participation.objects.unscoped("a resident's own participations")
        .filter(resident=resident)
        .select_related("activity")
        .order_by("-service_date")[:100]
    )
    return render(request, "points/hours.html", {"parts": parts})


# --- merchant -------------------------------------------------------------------------------------
def _merchant_of(request) -> Merchant:
    merchant = getattr(request.user, "merchant", None)
    if merchant is None:
        raise PermissionDenied(_("该账号不是商户账号"))
    return merchant


@login_required
@permission_required("points.add_redemption", raise_exception=True)
def merchant_home(request):
    merchant = _merchant_of(request)
    scenarios = [
        s
        for s in _catalogue_for(merchant.area_path)
        if not s.merchant_kinds or merchant.kind in s.merchant_kinds
    ]
    if request.method == "POST":
        scenario = get_object_or_404(_catalogue_for(merchant.area_path), pk=request.POST.get("scenario") or 0)
        raw = (request.POST.get("code") or "").strip()
        try:
            result = services.redeem(
                request.user,
                merchant=merchant,
                scenario=scenario,
                key=f"page:{merchant.pk}:{request.POST.get('nonce', '')}",
                token="" if raw.isdigit() else raw,
                code=raw if raw.isdigit() else "",
                quantity=int(request.POST.get("quantity") or 1),
            )
        except (ServiceError, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("核销成功:%(s)s,扣除 %(p)d 积分") % {"s": scenario.name, "p": result.redemption.points},
            )
        return redirect("points:merchant")
    month = timezone.localdate().replace(day=1)
    recent = (
        Redemption.objects.unscoped("a merchant's own")
        .filter(merchant=merchant)
        .select_related("scenario")[:20]
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
        },
    )


@login_required
@permission_required("points.settle_merchant", raise_exception=True)
def statement(request, pk: int):
    if request.user.role == "merchant":
        merchant = get_object_or_404(Merchant.objects.visible_to(request.user), pk=pk, user=request.user)
    else:
        merchant = get_object_or_404(Merchant.objects.visible_to(request.user), pk=pk)
    try:
        month = dt.date.fromisoformat(
            (request.GET.get("month") or timezone.localdate().strftime("%Y-%m")) + "-01"
        )
    except ValueError:
        month = timezone.localdate().replace(day=1)
    content = services.settlement_statement(request.user, merchant, month)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="statement-{merchant.pk}-{month:%Y-%m}.xlsx"'
    return response


# --- staff ----------------------------------------------------------------------------------------
@login_required
@permission_required("points.view_participation", raise_exception=True)
def approvals(request):
    parts = (
        Participation.objects.visible_to(request.user)
        .filter(status__in=[PartStatus.REPORTED, PartStatus.CHECKED_IN])
        .select_related("activity", "resident")
        .order_by("service_date", "id")[:100]
    )
    return render(request, "points/approvals.html", {"parts": parts})


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


@login_required
@permission_required("points.view_earningrule", raise_exception=True)
def rules(request):
    return render(request, "points/rules.html", {"rules": EarningRule.objects.visible_to(request.user)[:200]})


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
    return _scenario_form(request, get_object_or_404(Scenario.objects.visible_to(request.user), pk=pk))


@login_required
@permission_required("points.view_transaction", raise_exception=True)
def reports(request):
    return render(request, "points/reports.html", {})


@login_required
@permission_required("points.view_transaction", raise_exception=True)
def report_data(request):
    """Issued and redeemed points by child area, top volunteers and redemptions by scenario (ECharts)."""
    from gridgov.areas.models import Area

    root = request.user.area
    children = (
        list(Area.objects.visible_to(request.user).filter(parent=root).order_by("path")) if root else []
    )
    issued_q = Q(kind__in=[TxKind.EARN, TxKind.STAFF])
    width = len(children[0].path) if children else 0
    by_area = []
    txs = Transaction.objects.visible_to(request.user)
    for child in children[:40]:
        sub = txs.filter(subtree_q("area_path", child.path))
        issued = (
            Entry.objects.unscoped("report")
            .filter(transaction__in=sub.filter(issued_q), amount__gt=0)
            .aggregate(s=Sum("amount"))["s"]
            or 0
        )
        redeemed = (
            Redemption.objects.visible_to(request.user)
            .in_area(child.path)
            .filter(reversed=False)
            .aggregate(s=Sum("points"))["s"]
            or 0
        )
        by_area.append({"name": child.name, "issued": issued, "redeemed": redeemed})
    top = list(
        Participation.objects.visible_to(request.user)
        .filter(status=PartStatus.APPROVED)
        .values("resident__name")
        .annotate(m=Sum("minutes"))
        .order_by("-m")[:10]
    )
    scenarios = list(
        Redemption.objects.visible_to(request.user)
        .filter(reversed=False)
        .values("scenario__name")
        .annotate(n=Sum("quantity"), p=Sum("points"))
        .order_by("-n")[:15]
    )
    return JsonResponse(
        {
            "width": width,
            "by_area": by_area,
            "top_volunteers": [
                {"name": t["resident__name"], "hours": round((t["m"] or 0) / 60, 1)} for t in top
            ],
            "by_scenario": [
                {"name": s["scenario__name"], "count": s["n"], "points": s["p"]} for s in scenarios
            ],
        }
    )
