"""Read-only admin views of the party network (writes go through the pages, the API and services)."""

from django.contrib import admin

from gridgov.core.admin import ScopedAdminMixin

from .models import BuildingLeader, CentralHousehold, OrgChange, PartyMember, PartyOrg


class ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartyOrg)
class PartyOrgAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "kind", "area_path", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)


@admin.register(OrgChange)
class OrgChangeAdmin(ReadOnlyScopedAdmin):
    list_display = ("created_at", "org", "kind", "reason")
    list_filter = ("kind",)


@admin.register(PartyMember)
class PartyMemberAdmin(ReadOnlyScopedAdmin):
    list_display = ("resident", "org", "in_service", "area_path")
    list_filter = ("in_service",)


@admin.register(CentralHousehold)
class CentralHouseholdAdmin(ReadOnlyScopedAdmin):
    list_display = ("household", "member", "group", "area_path")


@admin.register(BuildingLeader)
class BuildingLeaderAdmin(ReadOnlyScopedAdmin):
    list_display = ("kind", "resident", "area_path", "is_active")
    list_filter = ("kind", "is_active")
