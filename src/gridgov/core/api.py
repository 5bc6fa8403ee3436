"""The generic API layer shared by every app (NetBox style): scoped viewsets whose writes go through services.

An endpoint is a class-level queryset, a serializer, a FilterSet and the services that write::

    class HouseholdViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
        queryset = Household.objects.select_related("unit").order_by("area_path", "number")
        serializer_class = HouseholdSerializer
        filterset_class = HouseholdFilter
        create_service = staticmethod(services.create_household)   # (actor, **validated_data)

- The class-level queryset is safe: a scoped queryset raises ScopeError until narrowed, and
  `get_queryset` narrows it with `visible_to(request.user)` (out of scope → 404 like a missing id).
- Writes call the service hooks with the acting user (`create_service(actor, **data)`,
  `update_service(actor, instance, **data)`, `destroy_service(actor, instance)`); a viewset offers only
  the writes whose mixin it includes, and never calls `serializer.save()`.
- Related fields (`core.api_fields.ScopedPrimaryKeyRelatedField`) and filter choices
  (`ScopedFilterBackend`) are resolved in the requester's scope by the layer, never by each viewset.
- Custom actions read their body with `self.body(Serializer)` and query parameters with
  `self.query_value(name, field)`: a wrong type is a 400 with a Chinese message.
- `ImportRejected` raised anywhere becomes the one import-rejection response (every bad row listed).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .api_fields import NOT_AN_OBJECT, NOT_JSON, ScopedPrimaryKeyRelatedField, in_scope_of
from .idcard import IDCardError
from .scope import OutOfScope
from .services import ImportRejected, RateLimited, RowError, ServiceError
from .uploads import body_limit, too_large_message
from .xlsx import XLSX_CONTENT_TYPE, megabytes


# --- request helpers (also usable from plain APIViews) ---------------------------------------------------
def request_object(request) -> Mapping:
    """The request body as a mapping; a JSON body that is not an object is a 400."""
    data = request.data
    if not isinstance(data, Mapping):
        raise exceptions.ValidationError({"detail": NOT_AN_OBJECT})
    return data


def validated_body(request, serializer_class: type[serializers.Serializer], **context: Any) -> dict:
    """The body checked by `serializer_class` (400 listing each bad field); the request is in its context."""
    serializer = serializer_class(data=request_object(request), context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def query_value(request, name: str, field: serializers.Field, default: Any = None) -> Any:
    """`?name=` parsed by a serializer field (`IntegerField(min_value=1, max_value=50)`); absent or blank
    gives `default`, a bad value a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return field.run_validation(raw)
    except exceptions.ValidationError as exc:
        raise exceptions.ValidationError({name: exc.detail}) from None


def uploaded_file(request, message: str | None = None):
    """The upload in the form field `file`, or the import-rejection response (no rows, one reason)."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ImportRejected([], message or _("请上传 xlsx 文件(字段名 file)"))
    limit = settings.GRIDGOV_IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ImportRejected([RowError(0, _("文件过大(上限 %(mb)s MB)") % {"mb": megabytes(limit)})])
    return upload


def import_rejected_response(exc: ImportRejected) -> Response:
    """The one answer to a rejected import: nothing was imported, and every bad row is listed — up to
    GRIDGOV_IMPORT_MAX_ERROR_ROWS rows; past them `omitted_rows` and the detail say how many more."""
    count, omitted = exc.error_count, exc.omitted_rows
    detail = _("导入失败,共 %(n)d 处错误,未导入任何数据") % {"n": count} if count else str(exc)
    if omitted:
        detail += _(";另有 %(n)d 行错误未列出") % {"n": omitted}
    body: dict[str, Any] = {"detail": detail, "errors": [e.as_dict() for e in exc.errors]}
    if omitted:
        body.update(error_count=count, omitted_rows=omitted)
    return Response(body, status=400)


# --- viewsets --------------------------------------------------------------------------------------------
class ScopedGenericViewSet(viewsets.GenericViewSet):
    """A class-level `queryset` narrowed per request to `visible_to(request.user)`.

    Subclasses set `queryset` (with its select_related/order_by) exactly as in plain DRF; a queryset of an
    unscoped model is used as it is.
    """

    def get_queryset(self):
        return in_scope_of(super().get_queryset(), self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Parse a write's body before the action runs, so malformed or oversized JSON is a 400/413 even
        # for an action that never reads its body (approve, close…): nothing runs on a bad request.
        if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            try:
                request.data  # noqa: B018 - evaluated for its parse errors
            except exceptions.ParseError:
                # An object the user cannot see is a 404 whatever the body, as it was before the body
                # was read here: look it up first, then refuse the body.
                if (self.lookup_url_kwarg or self.lookup_field) in kwargs:
                    self.get_object()
                raise

    def body(self, serializer_class: type[serializers.Serializer], **context: Any) -> dict:
        return validated_body(self.request, serializer_class, view=self, **context)

    def query_value(self, name: str, field: serializers.Field, default: Any = None) -> Any:
        return query_value(self.request, name, field, default)


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    pass


class ServiceCreateMixin(mixins.CreateModelMixin):
    """POST calls `create_service(actor, **validated_data)`, which returns the new object."""

    request: Any
    create_service: Callable[..., Any]  # a method, or staticmethod(services.create_x)

    def perform_create(self, serializer):
        serializer.instance = self.create_service(self.request.user, **serializer.validated_data)


class ServiceUpdateMixin(mixins.UpdateModelMixin):
    """PUT/PATCH call `update_service(actor, instance, **validated_data)` (PATCH passes only what was sent)."""

    request: Any
    update_service: Callable[..., Any]

    def perform_update(self, serializer):
        serializer.instance = self.update_service(
            self.request.user, serializer.instance, **serializer.validated_data
        )


class ServiceDestroyMixin(mixins.DestroyModelMixin):
    """DELETE calls `destroy_service(actor, instance)`."""

    request: Any
    destroy_service: Callable[..., Any]

    def perform_destroy(self, instance):
        self.destroy_service(self.request.user, instance)


class ScopedModelViewSet(ServiceCreateMixin, ServiceUpdateMixin, ServiceDestroyMixin, ScopedReadOnlyViewSet):
    """List, retrieve, create, update and destroy, every write through its service hook."""


# --- schema ----------------------------------------------------------------------------------------------
# The answer of an xlsx download, for `@extend_schema(responses=XLSX_DOWNLOAD)` (or `{**XLSX_DOWNLOAD, 202: …}`):
# `{200: OpenApiTypes.BINARY}` alone documents the body as application/json.
XLSX_DOWNLOAD: dict = {(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}


class LocalTimeFieldSchema(OpenApiSerializerFieldExtension):
    """A TimeField is answered as a wall-clock time (`08:00:00`) without the UTC offset that JSON Schema's
    `format: time` (RFC 3339 full-time) requires, so the response documents it as RFC 3339 partial-time."""

    target_class = serializers.TimeField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "response":
            schema.update(format="partial-time", pattern=r"^\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
        return schema


class ScopedPrimaryKeyFieldSchema(OpenApiSerializerFieldExtension):
    """A scoped related field is documented as its model's id; `output_nullable` makes the response nullable."""

    target_class = ScopedPrimaryKeyRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "response" and self.target.output_nullable:
            schema["nullable"] = True
        return schema


# --- errors ----------------------------------------------------------------------------------------------
def exception_handler(exc, context):
    if isinstance(exc, ImportRejected):
        return import_rejected_response(exc)
    if isinstance(exc, RequestDataTooBig):  # a form body past DATA_UPLOAD_MAX_MEMORY_SIZE
        request = context.get("request")
        limit = body_limit(request) if request is not None else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(too_large_message(limit, upload=False), status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return error_response(_("提交的字段或文件过多,未作任何处理"))
    if isinstance(exc, SuspiciousOperation):
        return error_response(_("请求无效,未作任何处理"))
    if isinstance(exc, RecursionError) and _raised_by_json(exc):
        # `[[[[…]]]]` past the recursion limit, sent to a view with DRF's own JSONParser (the token view,
        # a GeoJSON import); core.uploads.BoundedJSONParser answers the same 400 itself.
        exc = exceptions.ParseError(NOT_JSON)
    if isinstance(exc, OutOfScope):
        exc = Http404()
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=str(exc))
    elif isinstance(exc, IDCardError | ServiceError):
        exc = exceptions.ValidationError({"detail": str(exc)})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 404 and isinstance(response.data, dict):
        response.data = {"detail": _("未找到,或不在您的管辖范围内。")}
    return response


def _raised_by_json(exc: BaseException) -> bool:
    """The exception came out of the json module (decoding a body), not out of the view's own code."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.endswith(
        ("json/decoder.py", "json/scanner.py", "json/__init__.py")
    )


def error_response(detail, status: int = 400, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status)


__all__ = [
    "XLSX_DOWNLOAD",
    "ScopedGenericViewSet",
    "ScopedModelViewSet",
    "ScopedReadOnlyViewSet",
    "ServiceCreateMixin",
    "ServiceDestroyMixin",
    "ServiceUpdateMixin",
    "error_response",
    "exception_handler",
    "import_rejected_response",
    "query_value",
    "request_object",
    "uploaded_file",
    "validated_body",
]
