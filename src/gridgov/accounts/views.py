"""Account pages for administrators (city, district, street): list, create, role and area, stop, password.

Thin views: the forms parse, `services` decide (rank, scope, level) and audit. An account outside the
administrator's subtree is not found (404); a refused change is an error on the form and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.core.scope import OutOfScope, subtree_q
from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import write_sheet

from . import services, twofactor
from .columns import USER_COLUMNS, user_rows
from .forms import PasswordResetForm, UserCreateForm, UserEditForm, UserFilterForm
from .queries import users_visible_to

PAGE_SIZE = 30
MANAGE = "accounts.manage_user"


def _filtered(request):
    """(form, queryset) of the list as searched; an invalid search gives no rows."""
    form = UserFilterForm(request.GET or None, user=request.user)
    qs = users_visible_to(request.user)
    if form.is_bound and not form.is_valid():
        return form, qs.none()
    data = form.cleaned_data if form.is_bound else {}
    if data.get("q"):
        q = data["q"].strip()
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if data.get("role"):
        qs = qs.filter(role=data["role"])
    if data.get("area") is not None:
        qs = qs.filter(subtree_q("area__path", data["area"].path))
    if data.get("status"):
        qs = qs.filter(is_active=data["status"] == "active")
    return form, qs.order_by("area__path", "username")


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@permission_required(MANAGE, raise_exception=True)
def user_list(request):
    form, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"form": form, "page": page, "querystring": _querystring(request)},
        status=400 if form.errors else 200,
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def user_export(request):
    """The list as searched on the page, in scope; an invalid search is refused rather than widened."""
    form, qs = _filtered(request)
    if form.errors:
        lines = [f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()]
        return HttpResponse(
            _("筛选条件有误,未导出:") + ";".join(lines), status=400, content_type="text/plain; charset=utf-8"
        )
    rows = list(user_rows(qs))
    content = write_sheet(_("账号列表"), USER_COLUMNS, rows)
    services.record_user_export(
        request.user, rows=len(rows), filters={k: request.GET.getlist(k) for k in request.GET if k != "page"}
    )
    return xlsx_response(content, "accounts.xlsx")


@login_required
@permission_required(MANAGE, raise_exception=True)
def user_create(request):
    form = UserCreateForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.create_user(
                request.user,
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                area=data["area"],
                display_name=data["display_name"],
            )
        except (ServiceError, OutOfScope) as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("已创建账号 %(u)s") % {"u": account.username})
            return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "accounts/user_form.html", {"form": form}, status=400 if form.errors else 200)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, OutOfScope):
        return _("所选区域不在您的管辖范围内")
    return str(exc)


def _detail(request, account, *, edit_form=None, status: int = 200):
    if edit_form is None:
        edit_form = UserEditForm(
            initial={"role": account.role, "area": account.area_id}, user=request.user, current=account.area
        )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "edit_form": edit_form,
            "is_self": account.pk == request.user.pk,
            "has_2fa": twofactor.confirmed_device(account) is not None,
            "two_factor_required": twofactor.required_for(account),
        },
        status=status,
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def user_detail(request, pk: int):
    """GET shows the account; POST changes its role and area (one audited change)."""
    account = get_object_or_404(users_visible_to(request.user), pk=pk)
    if request.method != "POST":
        return _detail(request, account)
    form = UserEditForm(request.POST, user=request.user, current=account.area)
    if form.is_valid():
        role, area = form.cleaned_data["role"], form.cleaned_data["area"]
        try:
            if role == account.role:
                services.move_user(request.user, account, area=area)
            else:
                services.change_role(request.user, account, role=role, area=area)
        except (ServiceError, OutOfScope) as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(request, _("已保存"))
            return redirect("accounts:user_detail", pk=pk)
    return _detail(request, account, edit_form=form, status=400)


@login_required
@require_POST
@permission_required(MANAGE, raise_exception=True)
def user_set_active(request, pk: int):
    account = get_object_or_404(users_visible_to(request.user), pk=pk)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        return HttpResponse(_("请求有误"), status=400, content_type="text/plain; charset=utf-8")
    try:
        if wanted == "1":
            services.reactivate(request.user, account)
            messages.success(request, _("账号已启用"))
        else:
            services.deactivate(request.user, account)
            messages.success(request, _("账号已停用"))
    except (ServiceError, OutOfScope) as exc:
        messages.error(request, _refusal(exc))
    return redirect("accounts:user_detail", pk=pk)


@never_cache
@login_required
@permission_required(MANAGE, raise_exception=True)
def user_password(request, pk: int):
    """Reset a password: typed by the administrator, or generated and shown on this response only."""
    account = get_object_or_404(users_visible_to(request.user), pk=pk)
    form = PasswordResetForm(request.POST if request.method == "POST" else None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            password = services.reset_password(request.user, account, form.cleaned_data["password1"] or None)
        except (ServiceError, OutOfScope) as exc:
            form.add_error(None, _refusal(exc))
        else:
            # Rendered, not redirected: the password is never stored (no session, no message cookie).
            return render(
                request,
                "accounts/password_done.html",
                {"account": account, "password": password, "generated": not form.cleaned_data["password1"]},
            )
    return render(
        request,
        "accounts/password_form.html",
        {"account": account, "form": form},
        status=400 if form.errors else 200,
    )


# --- two-step login (accounts/twofactor.py) -----------------------------------------------------------
def _safe_next(request, fallback: str = "/") -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@never_cache
@login_required
def two_factor(request):
    """The user's own page: turn two-step login on (QR code, then the first code) or off (a current code)."""
    user = request.user
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        code = request.POST.get("code", "")
        try:
            if action == "start":
                twofactor.start_setup(user)
            elif action == "confirm":
                twofactor.confirm_setup(request, user, code)
                messages.success(request, _("两步验证已开启:以后登录时需输入验证器应用中的验证码"))
                return redirect(_safe_next(request, reverse("accounts:2fa")))
            elif action == "disable":
                twofactor.disable(request, user, code)
                messages.success(request, _("两步验证已关闭"))
                return redirect("accounts:2fa")
            else:
                return HttpResponse(_("请求有误"), status=400, content_type="text/plain; charset=utf-8")
        except ServiceError as exc:
            error = str(exc)
    device = twofactor.confirmed_device(user)
    pending = None if device else twofactor.pending_device(user)
    context = {
        "enabled": device is not None,
        "required": twofactor.required_for(user),
        "pending": pending,
        "qr": twofactor.qr_svg(pending) if pending else "",
        "secret": twofactor.secret_of(pending) if pending else "",
        "error": error,
        "next": _safe_next(request, ""),
    }
    return render(request, "accounts/two_factor.html", context, status=400 if error else 200)


@never_cache
@login_required
def two_factor_verify(request):
    """The second step of the login: the code from the authenticator app."""
    if not request.session.get(twofactor.SESSION_KEY) or request.user.is_verified():
        return redirect(_safe_next(request))
    error = ""
    if request.method == "POST":
        try:
            twofactor.verify_login(request, request.user, request.POST.get("code", ""))
        except ServiceError as exc:
            error = str(exc)
        else:
            return redirect(_safe_next(request))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"error": error, "next": _safe_next(request, "")},
        status=400 if error else 200,
    )


@login_required
@require_POST
@permission_required(MANAGE, raise_exception=True)
def user_reset_2fa(request, pk: int):
    account = get_object_or_404(users_visible_to(request.user), pk=pk)
    try:
        twofactor.reset(request.user, account)
    except (ServiceError, OutOfScope) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("已重置该账号的两步验证:下次登录时重新设置"))
    return redirect("accounts:user_detail", pk=pk)
