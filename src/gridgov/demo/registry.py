"""The synthetic city is built in steps; each app contributes its own in `<app>/demo.py`.

    from gridgov.demo.registry import step

    @step(order=30, name="党组织")
    def generate_party(city: CityContext) -> str:
        ...  # create records through the app's services or bulk inserts
        return "1,988 grid branches"

Steps run in `order`; each gets the shared CityContext (random generator, scale, created areas).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import CityContext


@dataclass(frozen=True)
class Step:
    order: int
    name: str
    func: Callable[[CityContext], str]


STEPS: dict[str, Step] = {}


def step(order: int, name: str):
    def register(func: Callable[[CityContext], str]) -> Callable[[CityContext], str]:
        key = f"{func.__module__}.{func.__name__}"
        STEPS[key] = Step(order, name, func)
        return func

    return register


def ordered_steps() -> list[Step]:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    return sorted(STEPS.values(), key=lambda s: (s.order, s.name))
