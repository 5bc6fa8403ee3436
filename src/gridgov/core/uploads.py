"""Request-size limits and the JSON parser that enforces them (docs/hardening.md).

- `RequestSizeMiddleware`: a request whose declared body is larger than allowed is answered 413 before
  anything reads it — an upload (multipart) past GRIDGOV_UPLOAD_MAX_BYTES, any other body past
  DATA_UPLOAD_MAX_MEMORY_SIZE — as JSON under /api/, as a Chinese page elsewhere.
- `BoundedJSONParser` (settings' DEFAULT_PARSER_CLASSES): reads at most DATA_UPLOAD_MAX_MEMORY_SIZE
  bytes even without a Content-Length (DRF itself never applies Django's limit to a JSON body), and
  turns malformed, too deeply nested or non-object JSON into a Chinese 400.
- `too_large_message` is the one wording, shared with `core.api.exception_handler` for Django's own
  RequestDataTooBig (a form body past the limit, or too many fields).

Kept out of core/api.py for the reason api_fields.py gives: settings name the parser, and DRF imports it
while its own views module is loading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError

from .api_fields import NOT_AN_OBJECT, NOT_JSON, ObjectJSONParser
from .xlsx import megabytes


def too_large_message(limit: int, *, upload: bool) -> str:
    if upload:
        return _("上传的文件过大(每次上传不超过 %(mb)s MB),未作任何处理") % {"mb": megabytes(limit)}
    return _("提交的内容过大(不超过 %(mb)s MB),未作任何处理") % {"mb": megabytes(limit)}


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def _is_upload(request: HttpRequest) -> bool:
    return request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")


def body_limit(request: HttpRequest) -> int:
    return settings.GRIDGOV_UPLOAD_MAX_BYTES if _is_upload(request) else settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_response(request: HttpRequest, message: str, status: int = 413) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    # A plain page: the form is gone with the body, so say what happened and how to go back.
    title = _("内容过大") if status == 413 else _("请求无效")
    page = (
        '<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>{t}</title>'
        '<body style="font-family:sans-serif;margin:2rem"><h1>{t}</h1><p role="alert">{m}</p>'
        '<p><a href="javascript:history.back()">{b}</a></p></body></html>'
    ).format(t=escape(title), m=escape(message), b=escape(_("返回上一页")))
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


class RequestSizeMiddleware:
    """413 for a declared body past the limit, before any middleware or view reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request)
        if length > limit:
            return too_large_response(request, too_large_message(limit, upload=_is_upload(request)))
        if request.method == "POST" and not request.path.startswith("/api/"):
            # A page form: parse it here, so that a form field past DATA_UPLOAD_MAX_MEMORY_SIZE or too
            # many fields is a readable answer, not Django's bare "Bad Request (400)" from the CSRF check.
            # (The API parses its own body: core.api.exception_handler answers the same cases.)
            try:
                request.POST  # noqa: B018 - parsed for its errors; Django keeps the result
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                return too_large_response(request, too_large_message(limit, upload=False))
            except (TooManyFieldsSent, TooManyFilesSent):
                return too_large_response(request, _("提交的字段或文件过多,未作任何处理"), status=400)
        return self.get_response(request)


class BoundedJSONParser(ObjectJSONParser):
    """ObjectJSONParser that reads a bounded body: past the limit is a 413, bad JSON a Chinese 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(too_large_message(limit, upload=False))
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError, RecursionError, LookupError):
            # RecursionError: `[[[[…]]]]` nested past the interpreter's limit; ValueError also covers an
            # integer of more than 4300 digits and NaN/Infinity.
            raise ParseError(NOT_JSON) from None
        if not isinstance(data, Mapping):
            raise ParseError(NOT_AN_OBJECT)
        return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")
