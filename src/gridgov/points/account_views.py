"""Staff page of points accounts: balances by owner kind, and splitting a hot account (热点账户拆分)."""

from __future__ import annotations

from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridgov.core.pages import page_of, query_without_page
from gridgov.core.services import ServiceError

from . import services
from .models import Account, OwnerKind, with_balances
from .views import EXPORT_LIMIT, Cells, xlsx_export

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
    return render(
        request,
        "points/accounts.html",
        {
            "page": page_of(request, qs, PAGE_SIZE),
            "kinds": OwnerKind.choices,
            "kind": kind,
            "q": q,
            "querystring": query_without_page(request),
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


ACCOUNT_CELLS: Cells = {
    "name": (gettext_lazy("名称"), attrgetter("name")),
    "kind": (gettext_lazy("账户类型"), lambda a: a.get_owner_kind_display()),
    "area_path": (gettext_lazy("区域路径"), attrgetter("area_path")),
    "balance": (gettext_lazy("余额"), attrgetter("balance")),
    "slots": (gettext_lazy("子账户数"), attrgetter("slots")),
}


@xlsx_export("accounts", "points.view_account", gettext_lazy("积分账户"), ACCOUNT_CELLS)
def accounts_export(request):
    """The accounts the filters select (the same as the page, all pages)."""
    return _filtered(request)[0][:EXPORT_LIMIT]
