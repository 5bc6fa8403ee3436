"""Area scope that fails closed.

Every scoped model names the column holding its area path (`scope_field`). Its default manager
refuses to run a query until the queryset says whose view it is:

    Resident.objects.visible_to(user)        # a user's subtree
    Resident.objects.unscoped("nightly job")  # explicit, greppable, for jobs only

A subtree is every path that starts with the user's area path; because all paths of one level have
the same length, that is a plain index range scan: path >= p AND path < p + ":" (":" sorts right
after "9" in byte order, which is the collation the path columns use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from gridgov.accounts.models import User

PATH_UPPER = ":"


class ScopeError(RuntimeError):
    """A scoped queryset was evaluated without visible_to(user) or unscoped(reason)."""


class OutOfScope(PermissionError):
    """A write would touch an object outside the acting user's area."""


def subtree_q(field: str, path: str) -> Q:
    return Q(**{f"{field}__gte": path, f"{field}__lt": path + PATH_UPPER})


def in_subtree(path: str, root: str) -> bool:
    return path.startswith(root)


def user_scope_path(user: User | Any) -> str | None:
    """The area path a user may see; None means the whole platform (superusers without an area)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise OutOfScope("no authenticated user")
    area_path = getattr(user, "area_path", "")
    if area_path:
        return str(area_path)
    if user.is_superuser:
        return None
    raise OutOfScope("user has no area")


def user_can_reach(user, path: str) -> bool:
    try:
        root = user_scope_path(user)
    except OutOfScope:
        return False
    return root is None or in_subtree(path, root)


def check_path(user, path: str) -> None:
    """Raise OutOfScope unless the path lies in the user's subtree; services call this inside the transaction."""
    if not user_can_reach(user, path):
        raise OutOfScope(path)


class ScopedQuerySet(models.QuerySet):
    _scope_resolved = False

    def _clone(self):
        clone = super()._clone()
        clone._scope_resolved = self._scope_resolved
        return clone

    def _require_scope(self) -> None:
        if not self._scope_resolved:
            raise ScopeError(
                f"{self.model.__name__} is scoped: use .visible_to(user) or .unscoped(reason) before querying"
            )

    def _resolved(self) -> Self:
        clone = self._chain()  # type: ignore[attr-defined]
        clone._scope_resolved = True
        return clone

    def visible_to(self, user, action: str = "view") -> Self:
        """The rows `user` may `action`: the user's area subtree, narrowed by the model's own role rules
        (`ScopedModel.scope_rule`, e.g. a merchant account sees only its own merchant row)."""
        try:
            root = user_scope_path(user)
        except OutOfScope:
            return self._resolved().none()
        qs = self._resolved()
        if root is not None:
            qs = qs.filter(subtree_q(self.model.scope_field, root))  # type: ignore[attr-defined]
        rule = getattr(self.model, "scope_rule", None)
        extra = rule(user, action) if rule is not None else None
        return qs if extra is None else qs.filter(extra)

    def in_area(self, path: str) -> Self:
        """Narrow (not widen) to a subtree; scope must still be resolved separately."""
        return self.filter(subtree_q(self.model.scope_field, path))  # type: ignore[attr-defined]

    def lock_in_scope(self, actor, pk: Any) -> Any:
        """The row with this id, locked (SELECT … FOR UPDATE) inside the caller's transaction, after its
        path is re-checked against the actor: OutOfScope when it lies outside, DoesNotExist when absent.
        Replaces the per-service `_lock_*` helpers (load by id unchecked, then check the locked path)."""
        obj = self._resolved().select_for_update().get(pk=pk)
        check_path(actor, obj.scope_path)
        return obj

    def unscoped(self, reason: str) -> Self:
        if not reason:
            raise ValueError("unscoped() needs a reason")
        return self._resolved()

    # Every way of running the query checks scope first.
    def _fetch_all(self):
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        if self._result_cache is None:
            self._require_scope()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._require_scope()
        return super().update(**kwargs)

    def delete(self):
        self._require_scope()
        return super().delete()

    def in_bulk(self, *args, **kwargs):
        self._require_scope()
        return super().in_bulk(*args, **kwargs)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    def get_queryset(self):
        qs = super().get_queryset()
        # Related managers (household.members, prefetches) are reached through a parent object that
        # was itself loaded through scope, so the parent's filter bounds them.
        if getattr(self, "instance", None) is not None:
            qs._scope_resolved = True
        return qs


class ScopedModel(models.Model):
    """A model whose rows belong to an area subtree via a path column named by `scope_field`."""

    scope_field = "area_path"

    objects: ClassVar[ScopedManager] = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        """Every role rule beyond the area subtree, in one place per model: a Q that narrows what `user`
        may `action` ("view", "change", …), or None for the subtree alone. Override in the model."""
        return None

    @property
    def scope_path(self) -> str:
        return str(getattr(self, self.scope_field))
