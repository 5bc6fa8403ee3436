"""Admin: a read-only window on the data. Every write goes through a service (audited, scope- and
level-checked), so no admin class here or in the apps adds, changes or deletes rows."""

from django.contrib import admin

from .models import AuditEvent, Job
from .scope import OutOfScope, ScopedModel, subtree_q, user_scope_path


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


class ReadOnlyAdminMixin:
    """No add, change or delete from the admin (superusers included): the pages and API call the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def in_user_subtree(qs, request, field: str):
    """Rows of a model that is not scoped but records an area path: those under the admin user's area."""
    try:
        root = user_scope_path(request.user)
    except OutOfScope:
        return qs.none()
    return qs if root is None else qs.filter(subtree_q(field, root))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "object_repr", "source", "request_id")
    list_filter = ("source",)
    search_fields = ("action", "actor_label", "object_repr", "request_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_queryset(self, request):
        # Like the audit page: an administrator sees the events of its own subtree only.
        return in_user_subtree(super().get_queryset(request), request, "area_path")


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "owner", "status", "done", "total", "created_at")
    list_filter = ("status", "kind")

    def get_queryset(self, request):
        return in_user_subtree(super().get_queryset(request), request, "owner__area__path")
