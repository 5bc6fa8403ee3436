"""Helpers shared by the emergency services."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core.actors import require_actor
from gridgov.core.services import ServiceError
from gridgov.people.models import Household

from ..models import SKILL_BIT, SKILLS, Responder


class NotAllowed(ServiceError):
    """The actor's role may not do this (the API answers 400 with this message; pages show it)."""


def require(actor, perm: str) -> None:
    require_actor(actor)
    if not actor.has_perm(perm):
        raise NotAllowed(_("您的角色无权执行此操作"))


def now() -> dt.datetime:
    return timezone.now()


def local(when: dt.datetime) -> dt.datetime:
    return timezone.localtime(when) if timezone.is_aware(when) else when


def households_by_community(paths: list[str]) -> dict[str, int]:
    """Registered households per community path (one GROUP BY over the path prefix)."""
    if not paths:
        return {}
    width = PATH_LENGTH[Level.COMMUNITY]
    rows = (
        Household.objects.unscoped("emergency headcount scales with households")
        .filter(is_active=True, area_path__gte=min(paths), area_path__lt=max(paths) + ":")
        .annotate(community=Substr("area_path", 1, width))
        .values("community")
        .annotate(n=Count("id"))
        .values_list("community", "n")
    )
    wanted = set(paths)
    return {c: n for c, n in rows if c in wanted}


def xy(area: Area) -> tuple[float, float]:
    return (float(area.x or 0.0), float(area.y or 0.0))


def available_mask(rows: list[dict], when: dt.datetime) -> np.ndarray:
    """Vectorised Responder.available_at over value dicts (on_leave_until, available_days, from, until)."""
    when = local(when)
    today, weekday, t = when.date(), when.weekday(), when.time()
    out = np.ones(len(rows), dtype=bool)
    for i, r in enumerate(rows):
        if (r["on_leave_until"] is not None and today <= r["on_leave_until"]) or not r["available_days"] & (
            1 << weekday
        ):
            out[i] = False
        elif r["available_from"] is not None and r["available_until"] is not None:
            a, b = r["available_from"], r["available_until"]
            out[i] = (a <= t <= b) if a <= b else (t >= a or t <= b)
    return out


RESPONDER_VALUES = (
    "id",
    "home_x",
    "home_y",
    "skills",
    "restricted_skills",
    "on_leave_until",
    "available_days",
    "available_from",
    "available_until",
    "area_path",
    "kind",
)


def responder_rows(qs) -> list[dict]:
    return list(qs.filter(is_active=True).values(*RESPONDER_VALUES).order_by("id"))


def skill_index(code: str) -> int:
    return SKILLS.index(code)


def usable(rows: list[dict]) -> np.ndarray:
    return np.array([r["skills"] & ~r["restricted_skills"] for r in rows], dtype=np.int64)


__all__ = [
    "RESPONDER_VALUES",
    "SKILL_BIT",
    "NotAllowed",
    "Responder",
    "available_mask",
    "households_by_community",
    "local",
    "now",
    "require",
    "responder_rows",
    "skill_index",
    "usable",
    "xy",
]
