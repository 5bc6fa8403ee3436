"""Reads of accounts: which users an administrator sees, and the areas it may bind them to."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from gridgov.areas.models import Area, Level
from gridgov.core.scope import OutOfScope, subtree_q, user_scope_path

from .models import User

# Account pages offer areas down to grids: every staff role is bound at grid level or above, and the
# property, merchant and resident accounts made here are bound to their community or grid.
BINDABLE_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)


def users_visible_to(user) -> QuerySet[User]:
    """Accounts bound inside the user's subtree (users are not a scoped model, so this is the one gate).

    Accounts without an area (superusers made by `createsuperuser`) are seen only by a superuser without
    an area, whose scope is the whole platform.
    """
    try:
        root = user_scope_path(user)
    except OutOfScope:
        return User._default_manager.none()
    qs = User._default_manager.select_related("area")
    return qs if root is None else qs.filter(subtree_q("area__path", root))


def bindable_areas(user, current: Area | None = None) -> QuerySet[Area]:
    """Areas in the user's subtree an account can be bound to (active, grid level or above).

    `current`: the edited account's area, kept selectable even below grid level (a property company bound
    to a building by the API or the generator).
    """
    wanted = Q(level__in=BINDABLE_LEVELS, is_active=True)
    if current is not None:
        wanted |= Q(pk=current.pk)
    return Area.objects.visible_to(user).filter(wanted).order_by("path")
