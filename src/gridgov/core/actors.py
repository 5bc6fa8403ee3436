"""Who acts when no person does: commands, Celery tasks and the city generator.

A service always gets an actor. A person is a `User`; the platform itself is a `SystemActor` named
after the job (`SystemActor("reconcile_event_hooks")`). The system actor reaches every area — scope
checks still run and pass — and the audit row names it (`system:<name>`) instead of a user, so a
write by a job is never mistaken for an unchecked one. Store it in a `created_by`-style foreign key
through `as_user(actor)` (None for the system); a `Job` is always owned by a person.

`actor=None` is refused: every service check goes through `skips_checks` (via `core.scope.check_reach`,
`actor_may`, `lock_in_scope`), which raises `TypeError` for None (`require_actor`) before anything is
written; no actor skips a check.
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
    """Whether a service may skip its checks for `actor`: never. Every service check goes through this one
    predicate (`check_reach`, `actor_may`, `lock_in_scope` and the apps' own checks), so it is where
    `actor=None` — once "skip the checks" — is refused: `TypeError` via `require_actor`, raised
    inside the service's transaction before it writes. A `SystemActor` is not skipped either: its checks
    run and pass (it reaches every area and holds every permission). A `User` is checked as usual."""
    require_actor(actor)
    return False


def actor_may(actor: Any, perm: str) -> bool:
    """A service's permission check: the user's `has_perm`; a SystemActor holds every permission."""
    return skips_checks(actor) or bool(actor.has_perm(perm))


def require_actor(actor: object) -> None:
    """Services call this where they used to accept `actor=None` as 'skip the checks'."""
    if actor is None:
        raise TypeError("services need an actor: a User or a SystemActor (gridgov.core.actors)")
