"""API permission and paging classes (kept apart from api.py: DRF imports these while it is loading)."""

from __future__ import annotations

from rest_framework import pagination, permissions


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
        extra = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if extra is not None:
            return request.user.has_perms(extra)
        if getattr(view, "_ignore_model_permissions", False):
            return True
        return super().has_permission(request, view)


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
