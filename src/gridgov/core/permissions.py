"""API permission and paging classes (kept apart from api.py: DRF imports these while it is loading)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, permissions


class RolePermission(permissions.DjangoModelPermissions):
    """Model permissions (granted by role) for every method, reads included.

    A view can name extra permissions per action in `action_permissions`.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method not in self.perms_map:
            # TRACE, CONNECT or any verb no view answers: 405, before the model lookup below (which a
            # ViewSet without a queryset cannot answer: it used to fail with a 500).
            raise exceptions.MethodNotAllowed(request.method)
        extra = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if extra is not None:
            return request.user.has_perms(extra)
        if getattr(view, "_ignore_model_permissions", False):
            return True
        return super().has_permission(request, view)


class Pagination(pagination.PageNumberPagination):
    """The one API paginator (settings.REST_FRAMEWORK). A page that is not a whole number (`abc`, `1e30`)
    is a 400; a page past the end stays DRF's 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "", *self.last_page_strings) and not (raw.isascii() and raw.isdigit()):
            raise exceptions.ValidationError({self.page_query_param: [_("页码应为正整数")]})
        return super().paginate_queryset(queryset, request, view)
