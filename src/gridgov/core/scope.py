"""Area scope that fails closed.

Every scoped model names the column holding its area path (`scope_field`). Its default manager
refuses to run a query until the queryset says whose view it is:

    Resident.objects.visible_to(user)                          # a user's subtree (+ the model's scope_rule)
    Resident.objects.unscoped("an ID number is registered once city-wide; the answer names no row")
    Resident.objects.for_indicator() / .for_generator()        # indicator definitions / the generator

The refusal does not depend on the call site:

* The flag lives on the SQL query (`ScopedQuery`), so an unresolved queryset is refused as a subquery
  (`x__in=qs`, `Exists(qs)`, `Subquery(qs)`, `OuterRef` subqueries) and as part of `union`,
  `intersection`, `difference`, `|` and `^`, not only when evaluated itself.
* Related managers auto-resolve only under a parent that is itself a scoped row (`household.members`):
  the reverse manager of an unscoped parent (`category.events`) is narrowed like any queryset.
* Forward foreign keys and reverse one-to-one accessors (`resident.household`, `user.merchant`) read
  through Django's plain base manager, with no scope: they return the one row linked to an object
  already in hand. That is safe for the object's own link (the requester's `request.user.merchant`, a
  checked resident's household) and is how saving, refreshing and deletion work; it is not a way to
  read another user's linked row — go through `visible_to` for that.
* Services lock and re-check what they change with `lock_in_scope(actor, pk)` (`get_in_scope` to read
  only, `lock_all_in_scope` for several rows); a `SystemActor` (core.actors) passes every check.

A subtree is every path that starts with the user's area path; because all paths of one level have
the same length, that is a plain index range scan: path >= p AND path < p + ":" (":" sorts right
after "9" in byte order, which is the collation the path columns use).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django.db.models import Q
from django.db.models.sql import Query
from django.db.models.sql.where import AND

from .actors import SystemActor, skips_checks

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


def check_reach(actor: User | SystemActor, path: str) -> None:
    """A service's scope check, run for every actor: OutOfScope unless `actor` reaches `path`. A
    `SystemActor` (a command, task or the generator) reaches every area, so the check runs and passes;
    `actor=None` is refused (TypeError, `core.actors.skips_checks`)."""
    if skips_checks(actor):
        return
    check_path(actor, path)


# Set while Django builds the correlated subquery of an `exclude()` across a to-many relation: that inner
# query on the outer model only tests the rows related to each outer row, so the outer scope bounds it.
_correlated_subquery: ContextVar[bool] = ContextVar("scope_correlated_subquery", default=False)


class ScopedQuery(Query):
    """The SQL query behind a ScopedQuerySet. It carries the "scope resolved" flag itself (`clone()` copies
    it), because a subquery takes the Query, not the QuerySet: `Subquery(qs)`, `Exists(qs)`, `x__in=qs`,
    `qs.union(other)` all hand `qs.query` on. An unresolved one refuses to become a subquery
    (`resolve_expression`) and refuses to be compiled to SQL at all (`get_compiler`, which also covers
    the parts of union / intersection / difference), so no call site can run it unchecked."""

    scope_resolved = False

    def __init__(self, model, *args, **kwargs) -> None:
        super().__init__(model, *args, **kwargs)
        if _correlated_subquery.get():
            self.scope_resolved = True

    def _require_scope(self) -> None:
        if not self.scope_resolved:
            name = self.model.__name__ if self.model is not None else "?"
            raise ScopeError(
                f"{name} is scoped: use .visible_to(user) or .unscoped(reason) before using it in a query"
            )

    def resolve_expression(self, *args, **kwargs):  # type: ignore[override]  # the stubs' signature differs
        self._require_scope()
        return super().resolve_expression(*args, **kwargs)

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        self._require_scope()
        return super().get_compiler(using, connection, elide_empty)

    def combine(self, rhs, connector) -> None:
        # `a & b` is bounded if either side is; `a | b` and `a ^ b` only if both are.
        resolved = self.scope_resolved, getattr(rhs, "scope_resolved", True)
        super().combine(rhs, connector)
        self.scope_resolved = any(resolved) if connector == AND else all(resolved)

    def split_exclude(self, filter_expr, can_reuse, names_with_path):
        token = _correlated_subquery.set(True)
        try:
            return super().split_exclude(filter_expr, can_reuse, names_with_path)
        finally:
            _correlated_subquery.reset(token)


class ScopedQuerySet(models.QuerySet):
    def __init__(self, model=None, query=None, using=None, hints=None) -> None:
        super().__init__(model, query if query is not None else ScopedQuery(model), using, hints)

    @property
    def _scope_resolved(self) -> bool:
        return bool(getattr(self.query, "scope_resolved", False))

    @_scope_resolved.setter
    def _scope_resolved(self, value: bool) -> None:
        self.query.scope_resolved = value  # type: ignore[attr-defined]

    def _require_scope(self) -> None:
        if not self._scope_resolved:
            raise ScopeError(
                f"{self.model.__name__} is scoped: use .visible_to(user) or .unscoped(reason) before querying"
            )

    def _resolved(self) -> Self:
        clone = self._chain()  # type: ignore[attr-defined]
        clone._scope_resolved = True
        return clone

    def _combined(self, combined, other):
        """`a | b` on a sliced side goes through the plain base manager: refuse rather than lose the flag."""
        both = self._scope_resolved and getattr(other, "_scope_resolved", True)
        if not both and not isinstance(combined, ScopedQuerySet):
            raise ScopeError(f"{self.model.__name__} is scoped: resolve both sides before combining them")
        return combined

    def __or__(self, other):
        return self._combined(super().__or__(other), other)

    def __xor__(self, other):
        return self._combined(super().__xor__(other), other)

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
        self._check_locked(actor, obj)
        return obj

    def get_in_scope(self, actor: User | SystemActor, pk: Any) -> Any:
        """The row with this id, re-read and checked like `lock_in_scope` but not locked: for a row a
        service only reads (the area a new row is registered under)."""
        obj = self._resolved().get(pk=pk)
        self._check_locked(actor, obj)
        return obj

    def lock_all_in_scope(self, actor: User | SystemActor, pks: Iterable[Any]) -> list[Any]:
        """Several rows, locked in id order (so two transactions never wait on each other crosswise) and
        each re-checked like `lock_in_scope`; DoesNotExist if one of the ids is absent."""
        ids = sorted(set(pks))
        rows = list(self._resolved().select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(rows) != len(ids):
            missing = len(ids) - len(rows)
            raise self.model.DoesNotExist(f"{self.model.__name__}: {missing} of the ids are absent")  # type: ignore[attr-defined]
        for obj in rows:
            self._check_locked(actor, obj)
        return rows

    def _check_locked(self, actor: User | SystemActor, obj: Any) -> None:
        """How `lock_in_scope` re-checks the locked row: its path against the actor's subtree, then the
        model's role rule for "change" (`scope_rule`, e.g. a merchant account changes only its own
        merchant; one more query, only where a rule applies to the actor). A model whose `visible_to` is
        not a subtree rule at all overrides this (events: a company's login)."""
        check_reach(actor, obj.scope_path)
        if skips_checks(actor):
            return
        rule = getattr(self.model, "scope_rule", None)
        if rule is not None and rule(actor, "change") is not None:
            manager: Any = self.model._default_manager  # a ScopedManager: the model is a ScopedModel
            if not manager.visible_to(actor, "change").filter(pk=obj.pk).exists():
                raise OutOfScope(obj.scope_path)

    def unscoped(self, reason: str) -> Self:
        """Every row, on purpose. `reason` says why this read may cross scope; it must be a string literal
        at the call site: tests/core/test_unscoped_allowlist.py lists every (file, reason) pair, so a new
        bypass shows up in review."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("unscoped() needs a reason")
        return self._resolved()

    def for_indicator(self) -> Self:
        """The rows an indicator definition counts (`<app>/indicators.py`, core.indicators): every row,
        because the registry groups them by area path and returns numbers only, and its callers
        (`areas.queries.breakdown_for`, the figure pages and API) first check that the reader reaches the
        node whose figures they ask for. Never use it to read rows for a person."""
        return self._resolved()

    def for_generator(self) -> Self:
        """Reads of the synthetic-city generator (`<app>/demo.py`, `gridgov.demo`): it builds the whole
        city as a management command, with no user, so it reads every row it generated."""
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
        # Related managers (household.members, prefetches) of a parent that is itself a scoped row are
        # bounded by that parent, which was checked when it was loaded. The reverse manager of an unscoped
        # parent (`category.events`, a user's `events_reported`) is not: it reaches every area, so it
        # stays unresolved and the caller narrows it (`.visible_to(user)`) like any other queryset.
        if isinstance(getattr(self, "instance", None), ScopedModel):
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
