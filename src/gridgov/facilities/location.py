"""Which area a plane point lies in, from the areas' GeoJSON polygons (plane metres, like Area.x/y)."""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.areas.models import PATH_LENGTH, Area, Level

POLYGON_TYPES = {"Polygon", "MultiPolygon"}


def _rings(geometry: dict | None) -> list[list[list[list[float]]]]:
    """[[outer ring, hole, ...], ...] for a Polygon or MultiPolygon; [] for anything else."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        return []
    coords = geometry.get("coordinates") or []
    return [coords] if geometry["type"] == "Polygon" else list(coords)


def _in_ring(x: float, y: float, ring: list[list[float]]) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _on_edge(x: float, y: float, ring: list[list[float]], tolerance: float) -> bool:
    for i in range(len(ring) - 1):
        (x1, y1), (x2, y2) = ring[i][:2], ring[i + 1][:2]
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
        px, py = x1 + t * dx, y1 + t * dy
        if (x - px) ** 2 + (y - py) ** 2 <= tolerance * tolerance:
            return True
    return False


def contains(geometry: dict | None, x: float, y: float, tolerance: float = 0.5) -> bool:
    """Point in polygon (holes respected); a point on the boundary (within tolerance) counts as inside."""
    for polygon in _rings(geometry):
        if not polygon:
            continue
        outer, holes = polygon[0], polygon[1:]
        if _on_edge(x, y, outer, tolerance):
            return True
        if _in_ring(x, y, outer) and not any(_in_ring(x, y, h) for h in holes):
            return True
    return False


def bbox(geometry: dict | None) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    for polygon in _rings(geometry):
        for ring in polygon:
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def has_polygon(area: Area) -> bool:
    return bool(_rings(area.geometry))


def ancestors(path: str) -> list[str]:
    """Paths of an area's ancestors, nearest first."""
    return [path[:n] for n in sorted(PATH_LENGTH.values(), reverse=True) if n < len(path)]


def polygon_owner(area: Area) -> Area | None:
    """The area itself if it has a polygon, else its nearest ancestor that has one."""
    if has_polygon(area):
        return area
    rows = Area.objects.unscoped("ancestors of a visible area").filter(path__in=ancestors(area.path))
    for candidate in sorted(rows, key=lambda a: -len(a.path)):
        if has_polygon(candidate):
            return candidate
    return None


@dataclass
class _Entry:
    area: Area
    box: tuple[float, float, float, float]


class Locator:
    """The deepest area with a polygon containing a point, among the areas a user may see.

    Loads the polygons of the user's subtree once (an import locates many points with one Locator).
    """

    def __init__(self, areas) -> None:
        self.by_level: dict[int, list[_Entry]] = {}
        for area in areas.filter(level__lte=Level.GRID, is_active=True, geometry__isnull=False):
            box = bbox(area.geometry)
            if box is not None:
                self.by_level.setdefault(area.level, []).append(_Entry(area, box))

    @classmethod
    def for_user(cls, user) -> Locator:
        return cls(Area.objects.visible_to(user))

    def locate(self, x: float, y: float) -> Area | None:
        for level in sorted(self.by_level, reverse=True):
            for entry in self.by_level[level]:
                minx, miny, maxx, maxy = entry.box
                if (
                    minx - 1 <= x <= maxx + 1
                    and miny - 1 <= y <= maxy + 1
                    and contains(entry.area.geometry, x, y)
                ):
                    return entry.area
        return None
