from django.contrib import admin

from .models import AuditEvent, Job
from .scope import ScopedModel


class ScopedAdminMixin:
    """Admin lists and foreign-key choices go through visible_to(request.user), like every other read."""

    def get_queryset(self, request):
        qs = self.model.objects.visible_to(request.user)  # type: ignore[attr-defined]
        ordering = self.get_ordering(request)  # type: ignore[attr-defined]
        return qs.order_by(*ordering) if ordering else qs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.remote_field.model
        if issubclass(model, ScopedModel):
            kwargs["queryset"] = model.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "object_repr", "source", "request_id")
    list_filter = ("source",)
    search_fields = ("action", "actor_label", "object_repr", "request_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "owner", "status", "done", "total", "created_at")
    list_filter = ("status", "kind")
