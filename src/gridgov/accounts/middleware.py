"""The second step of a two-step login (accounts/twofactor.py): a session whose password was right but
whose code is still owed reaches only the code page, logout and static files; a role that requires two-step
login and has no device yet reaches only the setup page. The session API answers 403 meanwhile (token
clients authenticate in the view and are not affected)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import twofactor

OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/media/", "/healthz", "/i18n/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            owed = request.session.get(twofactor.SESSION_KEY)
            if owed is None:  # a session from before two-step login existed: ask once, then remember
                twofactor.note_login(request, user)
                owed = request.session[twofactor.SESSION_KEY]
            if owed and not user.is_verified():
                return self._send(request, "accounts:2fa_verify", _("请先输入验证器应用中的验证码完成登录"))
            if not owed and twofactor.required_for(user) and not user.is_verified():
                return self._send(request, "accounts:2fa", _("您的岗位要求开启两步验证,请先完成设置"))
        return self.get_response(request)

    @staticmethod
    def _send(request: HttpRequest, view: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        from django.urls import reverse

        target = reverse(view)
        if request.method == "GET":
            from urllib.parse import urlencode

            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
