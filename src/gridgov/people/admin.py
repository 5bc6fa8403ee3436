from django.contrib import admin

from gridgov.core.admin import ReadOnlyAdminMixin

from .models import Tag


@admin.register(Tag)
class TagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reference data: the labels used across the platform, seeded by migration (people.reference).
    Read-only here: a write would bypass the audit trail. Residents are managed in the pages and API."""

    list_display = ("code", "name", "category", "sort")
    list_filter = ("category",)
    search_fields = ("code", "name")
