"""Admin: read-only. The salary scale and quota rule are reference data changed through their services."""

from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdminMixin
from gridgov.party.admin import ReadOnlyScopedAdmin

from .models import QuotaRule, SalaryRate, SalaryScale, Staff


class SalaryRateInline(admin.TabularInline):
    model = SalaryRate
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalaryScale)
class SalaryScaleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Versions are created by the xlsx import (audited); the admin only shows them."""

    list_display = ("name", "effective_from", "city_share", "years_per_grade")
    inlines = [SalaryRateInline]


@admin.register(QuotaRule)
class QuotaRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Set on its page (/workforce/quota/) through services.set_quota_rule, which checks and audits."""

    list_display = ("name", "effective_from", "base", "households_per_worker", "minimum", "maximum")


@admin.register(Staff)
class StaffAdmin(ReadOnlyScopedAdmin):
    list_display = ("resident", "post", "category", "grade", "area_path", "is_active")
    list_filter = ("post", "category", "is_active")
