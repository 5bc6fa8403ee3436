"""Who acts when no person does: commands, Celery tasks and the city generator.

A service always gets an actor. A person is a `User`; the platform itself is a `SystemActor` named
after the job (`SystemActor("reconcile_event_hooks")`). The system actor reaches every area — scope
checks still run and pass — and the audit row names it (`system:<name>`) instead of a user, so a
write by a job is never mistaken for an unchecked one. Store it in a `created_by`-style foreign key
through `as_user(actor)` (None for the system); a `Job` is always owned by a person.

`actor=None` is on its way out: the services run every check through `skips_checks` (and
`core.scope.check_reach`, `actor_may`, `lock_in_scope`), which still lets None through until the last
callers are converted; then it refuses it (`require_actor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from gridgov.accounts.models import User


@dataclass(frozen=True)
class SystemActor:
    name: str

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_active: ClassVar[bool] = True
    is_superuser: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_system: ClassVar[bool] = True
    area_path: ClassVar[str] = ""
    role: ClassVar[str] = "system"
    pk: ClassVar[None] = None
    id: ClassVar[None] = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a system actor needs the name of its job")

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return True

    def get_username(self) -> str:
        return f"system:{self.name}"

    def __str__(self) -> str:
        return self.get_username()


def is_system(actor: object) -> bool:
    return isinstance(actor, SystemActor)


def as_user(actor: User | SystemActor | None) -> User | None:
    """The user to store in a `created_by`-style foreign key: None for the system."""
    if actor is None or isinstance(actor, SystemActor):
        return None
    return actor if getattr(actor, "is_authenticated", False) else None


def skips_checks(actor: object) -> bool:
    """Transitional (issue 11): True only for `actor=None`, which the services still let through unchecked
    while the last callers (tests, points) are converted to a `SystemActor`. Every service check goes
    through this one predicate (`check_reach`, `actor_may`, `lock_in_scope`), so refusing None is a
    change here: `require_actor(actor); return False`."""
    return actor is None


def actor_may(actor: Any, perm: str) -> bool:
    """A service's permission check: the user's `has_perm`; a SystemActor holds every permission."""
    return skips_checks(actor) or bool(actor.has_perm(perm))


def require_actor(actor: object) -> None:
    """Services call this where they used to accept `actor=None` as 'skip the checks'."""
    if actor is None:
        raise TypeError("services need an actor: a User or a SystemActor (gridgov.core.actors)")
