"""Admin: the salary scale and quota rule are reference data; staff records are read-only here."""

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
class QuotaRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "effective_from", "base", "households_per_worker", "minimum", "maximum")

    def save_model(self, request, obj, form, change):
        from gridgov.core import audit

        before = audit.snapshot(QuotaRule.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit.record(request.user, "workforce.quota_rule", obj, before=before, after=audit.snapshot(obj))


@admin.register(Staff)
class StaffAdmin(ReadOnlyScopedAdmin):
    list_display = ("resident", "post", "category", "grade", "area_path", "is_active")
    list_filter = ("post", "category", "is_active")
