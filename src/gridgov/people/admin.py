from django.contrib import admin

from .models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Reference data: the labels used across the platform. Residents are managed in the pages and API."""

    list_display = ("code", "name", "category", "sort")
    list_filter = ("category",)
    search_fields = ("code", "name")
