"""Role grants, declared by each app for its own permissions and merged here.

Every app says in its own `roles.py` what each role may do with that app's models (`GRANTS = {role:
{"<app>.<codename>", ...}}`) and registers it from its `AppConfig.ready()`; the authentication backend
(accounts) reads the merged table through `accounts.roles.ROLE_PERMISSIONS`. The registry lives in core
rather than in accounts because apps below accounts (areas, core) and beside it (people) register too,
and they may not import it. It is domain-free: a role is its string value here (accounts.roles.Role),
and accounts refuses a role it does not know.

Core's own grants (the audit log) are registered by CoreConfig.ready().
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ImproperlyConfigured

_registry: dict[str, dict[str, frozenset[str]]] = {}  # app label -> role -> that app's permissions
_merged: dict[str, frozenset[str]] | None = None

# Reading the audit log of one's own subtree (core.AuditEvent): the city, district and street administrators.
GRANTS: dict[str, set[str]] = {
    "city_admin": {"core.view_auditevent"},
    "district": {"core.view_auditevent"},
    "street": {"core.view_auditevent"},
}


def register(app_label: str, grants: Mapping[str, Iterable[str]]) -> None:
    """Record what each role may do in `app_label`. An app grants only its own permissions
    (`<app_label>.<codename>`); registering the same app again replaces its grants only if they are equal."""
    table = {str(role): frozenset(perms) for role, perms in grants.items()}
    for role, perms in table.items():
        foreign = sorted(p for p in perms if p.partition(".")[0] != app_label or not p.partition(".")[2])
        if foreign:
            raise ImproperlyConfigured(
                f"{app_label}.roles grants {role!r} permissions it does not own: {', '.join(foreign)}"
            )
    table = {role: perms for role, perms in table.items() if perms}
    previous = _registry.get(app_label)
    if previous is not None and previous != table:
        raise ImproperlyConfigured(f"role grants of {app_label} registered twice, differently")
    global _merged
    _registry[app_label] = table
    _merged = None


def registered_apps() -> list[str]:
    return sorted(_registry)


def grants_of(app_label: str) -> dict[str, frozenset[str]]:
    """What `app_label` registered, role -> permissions (roles without any are left out)."""
    return dict(_registry.get(app_label, {}))


def merged() -> dict[str, frozenset[str]]:
    """Role -> every permission any app grants it."""
    global _merged
    if _merged is None:
        table: dict[str, set[str]] = {}
        for grants in _registry.values():
            for role, perms in grants.items():
                table.setdefault(role, set()).update(perms)
        _merged = {role: frozenset(perms) for role, perms in table.items()}
    return _merged
