"""Where a work order came from, shown on its page: an app that makes work orders (the data hub's
verification orders, a round table's decisions) registers a reader for its `Event.origin` prefix, and
events shows what the reader returns without knowing the app (apps above events register; events never
imports them).

    from gridgov.events import origins

    origins.register("datahub", read_finding)  # from the app's AppConfig.ready()
    def read_finding(user, event, key) -> origins.OriginLink | None: ...  # None: nothing the user may see
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OriginLink:
    title: str  # e.g. "比对发现 #12:已故人员仍在领取补贴"
    url: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value), shown under the title
    hint: str = ""  # what the viewer should do there, e.g. where the grid worker reports


Reader = Callable[[Any, Any, str], OriginLink | None]
_READERS: dict[str, Reader] = {}


def register(prefix: str, reader: Reader) -> None:
    _READERS[prefix] = reader


def link_for(user, event) -> OriginLink | None:
    """The registered reader's link for the event's origin ("prefix:key"), or None."""
    prefix, sep, key = (event.origin or "").partition(":")
    reader = _READERS.get(prefix)
    if not sep or reader is None:
        return None
    return reader(user, event, key)
