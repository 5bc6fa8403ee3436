import logging
import uuid

from django.http import HttpRequest, HttpResponse

from . import context

log = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Give each request an id (kept from X-Request-ID when a proxy sets one) for its audit rows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        source = "api" if request.path.startswith("/api/") else "web"
        with context.acting(source, request_id=request_id[:64]):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id[:64]
        return response


class LanguageMiddleware:
    """Chinese unless the user chose otherwise (the language switch sets a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language
    browser on a government intranet would get English pages; zh-Hans is the platform's default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


# Pages load scripts, styles, images and data from the platform itself only: no CDN, no inline script,
# no eval (the static files are vendored; page behaviours are data attributes, web/static/js/behaviours.js).
# Inline style attributes stay allowed (chart containers, ECharts' own tooltips). Not framed anywhere.
DEFAULT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(self), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (settings.GRIDGOV_CSP overrides
    the policy; an empty value turns it off). Django's SecurityMiddleware adds nosniff, the referrer policy,
    COOP and, behind HTTPS, HSTS; XFrameOptionsMiddleware adds X-Frame-Options: DENY."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        csp = getattr(settings, "GRIDGOV_CSP", "default")
        self.csp = DEFAULT_CSP if csp == "default" else csp

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.csp
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class DatabaseUnavailableMiddleware:
    """A database that went away in the middle of a request — the connection dropped, the server
    restarting, an embedded SQLite file busy past its timeout — is a 503 with Retry-After, not a 500. The
    request's transaction went with the connection (the imports, the points batches and the re-zoning are
    each one transaction: nothing of them is kept), and the broken connection is closed so that the next
    request opens a new one."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import InterfaceError, OperationalError, connections
        from django.http import JsonResponse
        from django.template.loader import render_to_string
        from django.utils.translation import gettext as _

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:  # never a connection inside someone's transaction
                connection.close_if_unusable_or_obsolete()
        log.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
        message = _("数据库连接中断,本次操作未完成(已开始的写入已撤销),请稍后重试。")
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(
                render_to_string("core/unavailable.html", {"message": message}), status=503
            )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
