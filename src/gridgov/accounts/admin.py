from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gridgov.core.admin import ScopedAdminMixin

from .models import LoginFailure, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # Users are not a scoped model; only their area choices are limited to the admin's subtree.
    formfield_for_foreignkey = ScopedAdminMixin.formfield_for_foreignkey
    list_display = ("username", "display_name", "role", "area", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("平台角色"), {"fields": ("role", "area", "display_name")}),
    )


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "created_at")
    search_fields = ("username",)
