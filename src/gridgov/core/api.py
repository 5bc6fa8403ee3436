"""API conventions shared by every app: permissions by role, scope, paging, errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .idcard import IDCardError
from .scope import OutOfScope
from .services import ServiceError


class ScopedViewSetMixin:
    """get_queryset always starts from visible_to(request.user): out-of-scope objects are 404."""

    queryset_model: Any = None

    def base_queryset(self):
        return self.queryset_model.objects.visible_to(self.request.user)  # type: ignore[union-attr]

    def get_queryset(self):
        return self.base_queryset()


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


def exception_handler(exc, context):
    if isinstance(exc, OutOfScope):
        exc = Http404()
    elif isinstance(exc, IDCardError | ServiceError):
        exc = exceptions.ValidationError({"detail": str(exc)})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 404 and isinstance(response.data, dict):
        response.data = {"detail": _("未找到,或不在您的管辖范围内。")}
    return response


def error_response(detail, status: int = 400, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status)
