from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TextIO

from gridgov.core.progress import Progress


@dataclass
class AreaStub:
    """What later steps need of a generated area, without reloading it from the database."""

    id: int
    level: int
    path: str
    code: str
    name: str
    parent_id: int | None
    x: float
    y: float
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # minx, miny, maxx, maxy (metres)


@dataclass
class CityContext:
    scale: float
    seed: int
    stdout: TextIO | Any
    quiet: bool = False
    rng: random.Random = field(init=False)
    areas: dict[int, list[AreaStub]] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)
    # building id -> (assignee kind, id) of the unit serving it, for the events step (property fills it)
    assignee_units: dict[int, tuple[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def fork(self, label: str) -> random.Random:
        """An independent generator per step: adding a step never changes what earlier steps make."""
        return random.Random(f"{self.seed}:{label}")

    def progress(self, label: str, total: int) -> Progress:
        if self.quiet:
            import io

            return Progress(label, total, stream=io.StringIO())
        return Progress(label, total)

    def scaled(self, figure: int, minimum: int = 1) -> int:
        return max(minimum, round(figure * self.scale))
