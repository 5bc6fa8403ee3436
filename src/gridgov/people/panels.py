"""People's panel on an area's page (areas.panels): a unit's households, with the add-household form."""

from __future__ import annotations

from gridgov.areas import panels
from gridgov.areas.models import Level

from .models import Household


def households_panel(request, area) -> dict | None:
    if area.level != Level.UNIT:
        return None
    households = Household.objects.visible_to(request.user).filter(unit=area).order_by("number")
    return {"households": list(households)}


def register() -> None:
    panels.register("households", "people/_area_households.html", households_panel, order=10)
