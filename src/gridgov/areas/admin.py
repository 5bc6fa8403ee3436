from django.contrib import admin

from gridgov.core.admin import ScopedAdminMixin

from .models import Area, AreaChange


@admin.register(Area)
class AreaAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "level", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name", "name_pinyin", "name_initials")

    # Areas are created, renamed and re-zoned through the services (pages and API), which keep history.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AreaChange)
class AreaChangeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "area", "kind", "old_code", "new_code", "reason")
    list_filter = ("kind",)

    def has_add_permission(self, request):  # history rows are written by the re-zoning services only
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
