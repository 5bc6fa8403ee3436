"""Authentication with lockout, and permissions granted by role."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from .models import LoginFailure, User
from .roles import ROLE_PERMISSIONS


def is_locked(username: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=settings.GRIDGOV_LOCKOUT_MINUTES)
    return LoginFailure.objects.filter(username=username, created_at__gte=since).count() >= (
        settings.GRIDGOV_LOCKOUT_THRESHOLD
    )


class RoleLockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username and is_locked(username):
            # Refuse even a correct password while locked; the failure is still counted by the signal.
            if request is not None:
                request.gridgov_locked = True
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("area").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_gridgov_perm_cache"):
            perms = set(super().get_all_permissions(user_obj))
            perms |= ROLE_PERMISSIONS.get(user_obj.role, frozenset())
            user_obj._gridgov_perm_cache = perms
        return user_obj._gridgov_perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser:
            return True
        return perm in self.get_all_permissions(user_obj, obj)
