"""Read-only admin of accounts: creating, re-binding, stopping accounts and resetting passwords happen on the
account pages (accounts:user_list), through the audited services that check rank, level and scope."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gridgov.core.admin import ReadOnlyAdminMixin

from .models import LoginFailure, User
from .queries import users_visible_to


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "area", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("平台角色"), {"fields": ("role", "area", "display_name")}),
    )

    def get_queryset(self, request):
        # Users are not a scoped model: the admin sees the accounts of its own subtree, like the pages.
        qs = users_visible_to(request.user)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Deleting failures would lift a lock unaudited; a password reset lifts it (audited)."""

    list_display = ("username", "ip_address", "created_at")
    search_fields = ("username",)
