"""Who a work order can be dispatched to: a registry of assignee kinds, so events knows no other app's model.

An event's assignee is a generic reference — `assignee_kind`, `assignee_id` and the denormalised
`assignee_name` — plus `assignee_area` for the kinds that are areas. Events registers its own area
kinds here (community, grid, department); another app registers its kind from its AppConfig.ready()
(property registers "property", its companies):

    from gridgov.events import assignees

    assignees.register(
        "property",
        label=_("物业企业"),
        validate=lock_company,       # (actor, id, name) -> Target; raises ServiceError / TransitionRefused
        acts_for=is_company_login,   # (user) -> bool: the login works for a unit of this kind
        unit_of=company_id_of,       # (user) -> the id of that unit, or None while none is bound
        visible_q=company_events_q,  # (user) -> Q over Event: what such a login sees
        may_report=in_own_estates,   # (user, area path) -> bool: where such a login reports
        choices=companies_for,       # (user) -> [Target]: what the dispatch form offers
        suggest=company_at,          # (area path) -> Target or None: the usual target for a place
        lookup=company_by_id,        # (id) -> Target or None: a unit for display (no checks)
        home=("property:my_company", _("本企业评分与排名")),  # the unit's own page, linked from the queue
        scope_note=_("显示%(name)s服务小区内的工单和派遣给本企业的工单"),  # the queue's note for such a login
    )

The services ask the registry: dispatch validates the target with the kind's `validate` inside its
transaction; for a login that a kind `acts_for`, that kind decides what it sees (instead of its area
subtree), where it may report, and it handles the events dispatched to its unit. An unregistered kind
is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.core.services import ServiceError


@dataclass(frozen=True)
class Target:
    """A checked dispatch target: its kind, id, name (copied to the event) and, for area kinds, the area."""

    kind: str
    id: int
    name: str
    area: Any = None
    reason: str = ""  # why it is suggested (shown on the dispatch form)


@dataclass(frozen=True)
class Kind:
    kind: str
    label: Any
    validate: Callable[[Any, int | None, str], Target]
    acts_for: Callable[[Any], bool] | None = None
    unit_of: Callable[[Any], int | None] | None = None
    visible_q: Callable[[Any], Q] | None = None
    may_report: Callable[[Any, str], bool] | None = None
    choices: Callable[[Any], list[Target]] | None = None
    suggest: Callable[[str], Target | None] | None = None
    lookup: Callable[[int], Target | None] | None = None
    home: tuple[str, Any] | None = None
    scope_note: Any = None  # what such a login's queue shows, "%(name)s" the unit's name
    is_area: bool = False


_KINDS: dict[str, Kind] = {}


def register(kind: str, *, label, validate, **options) -> Kind:
    """Add (or replace, for tests and reloads) an assignee kind."""
    spec = Kind(kind=kind, label=label, validate=validate, **options)
    _KINDS[kind] = spec
    return spec


def unregister(kind: str) -> None:
    _KINDS.pop(kind, None)


def find(kind: str) -> Kind | None:
    return _KINDS.get(kind)


def get(kind: str) -> Kind:
    """The kind, or a ServiceError (the Chinese message a form shows) when it is not registered."""
    spec = _KINDS.get(kind)
    if spec is None:
        raise ServiceError(_("派遣对象类型无效"))
    return spec


def kinds() -> list[Kind]:
    """The registered kinds, events' own in their usual order first."""
    from .models import AssigneeKind

    order = {value: i for i, value in enumerate(AssigneeKind.values)}
    return sorted(_KINDS.values(), key=lambda k: order.get(k.kind, len(order)))


def label(kind: str) -> str:
    spec = _KINDS.get(kind)
    return str(spec.label) if spec is not None else kind


def member_kind(user) -> Kind | None:
    """The kind whose unit this login works for (a property company's account), or None."""
    if user is None or getattr(user, "is_superuser", False):
        return None
    for spec in _KINDS.values():
        if spec.acts_for is not None and spec.acts_for(user):
            return spec
    return None


def unit(user) -> tuple[Kind, int] | None:
    """(kind, id) of the unit a login works for; None for everyone else and for a login not yet bound."""
    spec = member_kind(user)
    if spec is None or spec.unit_of is None:
        return None
    unit_id = spec.unit_of(user)
    return (spec, unit_id) if unit_id is not None else None


def is_unit_of(user, kind: str, unit_id: int | None) -> bool:
    found = unit(user)
    return found is not None and unit_id is not None and found[0].kind == kind and found[1] == unit_id


def lookup(kind: str, unit_id: int) -> Target | None:
    spec = _KINDS.get(kind)
    return spec.lookup(unit_id) if spec is not None and spec.lookup is not None else None


def choices(user) -> dict[str, list[Target]]:
    """{kind: targets} the dispatch form offers for the kinds that are not areas."""
    return {spec.kind: spec.choices(user) for spec in _KINDS.values() if spec.choices is not None}


def suggest(kind: str, path: str) -> Target | None:
    spec = _KINDS.get(kind)
    return spec.suggest(path) if spec is not None and spec.suggest is not None else None


# --- events' own kinds: areas ------------------------------------------------------------------------
def _area_kind(kind: str, levels: tuple[int, ...]) -> None:
    from .models import AssigneeKind

    def validate(actor, target_id: int | None, name: str) -> Target:
        from gridgov.areas.models import Area
        from gridgov.core.actors import skips_checks
        from gridgov.core.scope import user_can_reach

        from .services import TransitionRefused

        area = (
            Area.objects.unscoped("the dispatch target by id; its reach is checked just below")
            .filter(pk=target_id)
            .first()
            if target_id is not None
            else None
        )
        if area is None:
            raise ServiceError(_("请选择承办的社区、网格或部门所在区域"))
        if area.level not in levels:
            raise ServiceError(_("承办区域的层级与派遣对象类型不符"))
        if not skips_checks(actor) and not user_can_reach(actor, area.path):
            raise TransitionRefused(_("承办区域不在您的管辖范围内,不能派遣"))
        return Target(kind, area.pk, (name or "").strip()[:100] or area.name, area)

    register(kind, label=AssigneeKind(kind).label, validate=validate, is_area=True)


def register_area_kinds() -> None:
    """Events' own kinds (called from EventsConfig.ready())."""
    from gridgov.areas.models import Level

    from .models import AssigneeKind

    _area_kind(AssigneeKind.DEPARTMENT, (Level.CITY, Level.DISTRICT, Level.STREET))
    _area_kind(AssigneeKind.COMMUNITY, (Level.COMMUNITY,))
    _area_kind(AssigneeKind.GRID, (Level.GRID,))
