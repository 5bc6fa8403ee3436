"""Panels other apps add to an area's page, so areas imports none of them.

    from gridgov.areas import panels

    panels.register("households", "people/_area_households.html", households_panel, order=10)

`context(request, area)` returns the panel's template context (as `panel` in the template), or None
to leave the panel out for this area (e.g. households only on a unit). Apps register in ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[Any, Any], dict | None]
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register(
    name: str, template: str, context: Callable[[Any, Any], dict | None], *, order: int = 100
) -> None:
    _PANELS[name] = Panel(name, template, context, order)


def unregister(name: str) -> None:
    _PANELS.pop(name, None)


def for_area(request, area) -> list[dict]:
    """[{"template": …, "panel": context}] for the panels that apply to this area, in order."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.name)):
        context = panel.context(request, area)
        if context is not None:
            shown.append({"name": panel.name, "template": panel.template, "panel": context})
    return shown
