from django.contrib import admin

from gridgov.core.admin import ScopedAdminMixin

from .models import CandidateSite, Facility, WalkNetwork


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Browsing only: writes go through the pages and API (services validate location and audit)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Facility)
class FacilityAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "area_path", "floor_area", "host_type", "is_active")
    list_filter = ("kind", "host_type", "is_active")
    search_fields = ("name", "address", "host_name")


@admin.register(CandidateSite)
class CandidateSiteAdmin(ReadOnlyAdmin):
    list_display = ("name", "room_type", "area_path", "floor_area", "is_available")
    list_filter = ("room_type", "is_available")


@admin.register(WalkNetwork)
class WalkNetworkAdmin(ReadOnlyAdmin):
    list_display = ("name", "area_path", "segments", "length_km", "is_active", "created_at")
