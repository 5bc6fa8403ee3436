"""Staff page of points accounts: balances by owner kind, and splitting a hot account (热点账户拆分)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import Column

from . import services
from .models import Account, OwnerKind, with_balances

PAGE_SIZE = 50


def _filtered(request):
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    qs = with_balances(Account.objects.visible_to(request.user)).order_by("area_path", "owner_kind", "id")
    if kind in OwnerKind.values:
        qs = qs.filter(owner_kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    if request.GET.get("split"):
        qs = qs.filter(slots__gt=1)
    return qs, kind, q


@login_required
@permission_required("points.view_account", raise_exception=True)
def accounts(request):
    qs, kind, q = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/accounts.html",
        {
            "page": page,
            "kinds": OwnerKind.choices,
            "kind": kind,
            "q": q,
            "querystring": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
            "max_slots": settings.GRIDGOV_POINTS_MAX_SLOTS,
        },
    )


@login_required
@permission_required("points.split_account", raise_exception=True)
@require_POST
def split(request, pk: int):
    account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
    raw = request.POST.get("slots", "").strip()
    try:
        if not raw.isdigit():
            raise ServiceError(_("请填写子账户数(整数)"))
        account = services.split_account(request.user, account, int(raw))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("“%(a)s”现分为 %(n)d 个子账户,余额不变") % {"a": account.name, "n": account.slots}
        )
    return redirect(request.POST.get("next") or "points:accounts")


def account_columns() -> list[Column]:
    return [
        Column("name", _("名称")),
        Column("kind", _("账户类型")),
        Column("area_path", _("区域路径")),
        Column("balance", _("余额")),
        Column("slots", _("子账户数")),
    ]


EXPORT_LIMIT = 200_000


@login_required
@permission_required("points.view_account", raise_exception=True)
def accounts_export(request):
    """The accounts the filters select (the same as the page, all pages), as xlsx."""
    qs, _kind, _q = _filtered(request)
    rows = [
        {
            "name": a.name,
            "kind": a.get_owner_kind_display(),
            "area_path": a.area_path,
            "balance": a.balance,
            "slots": a.slots,
        }
        for a in qs[:EXPORT_LIMIT]
    ]
    content = services.export_sheet(request.user, "accounts", _("积分账户"), account_columns(), rows)
    return xlsx_response(content, "points-accounts.xlsx")
