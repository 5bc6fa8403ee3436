"""Synthetic city, step 1: the area tree with official-style codes and plane geometry."""

from __future__ import annotations

from django.conf import settings

from gridgov.core.text import pinyin_pair
from gridgov.demo import geometry
from gridgov.demo.context import AreaStub, CityContext
from gridgov.demo.names import COMMUNITY_WORDS, DISTRICTS, STREET_WORDS
from gridgov.demo.registry import step

from .models import Area, Level, path_to_code

CITY_PATH = "3799"  # a fictional prefecture-level code: no real city is implied
CITY_SIZE_M = (32_000.0, 24_000.0)
SEGMENT_WIDTH: dict[int, int] = {
    Level.DISTRICT: 2,
    Level.STREET: 3,
    Level.COMMUNITY: 3,
    Level.GRID: 3,
    Level.BUILDING: 3,
    Level.UNIT: 2,
}


def spread(total: int, buckets: int, rng, jitter: float = 0.3) -> list[int]:
    """`total` items over `buckets`, each at least 1, unevenly but summing exactly to `total`."""
    weights = [1.0 + rng.uniform(-jitter, jitter) for _ in range(buckets)]
    spare = total - buckets
    counts = [1 + int(spare * w / sum(weights)) for w in weights]
    for i in rng.sample(range(buckets), total - sum(counts)):
        counts[i] += 1
    return counts


def _name(words: list[str], i: int, suffix: str) -> str:
    word = words[i % len(words)]
    return f"{word}{suffix}" if i < len(words) else f"{word}{i // len(words) + 1}{suffix}"


def _make(level: int, path: str, name: str, parent_id: int | None, box, point: bool = False) -> Area:
    full, initials = pinyin_pair(name)
    x, y = geometry.centre(box)
    return Area(
        level=level,
        code=path_to_code(path, level),
        path=path,
        name=name,
        name_pinyin=full,
        name_initials=initials,
        parent_id=parent_id,
        geometry={"type": "Point", "coordinates": [round(x, 1), round(y, 1)]}
        if point
        else geometry.polygon(box),
        x=round(x, 1),
        y=round(y, 1),
    )


def _stub(area: Area, box) -> AreaStub:
    assert area.pk is not None
    return AreaStub(
        area.pk,
        area.level,
        area.path,
        area.code,
        area.name,
        area.parent_id,
        area.x or 0.0,
        area.y or 0.0,
        box,
    )


def _child_path(parent_path: str, level: int, seq: int) -> str:
    return parent_path + str(seq).zfill(SEGMENT_WIDTH[level])


def _insert(rows: list[tuple[Area, tuple]], ctx: CityContext, level: int) -> None:
    Area.objects.bulk_create([a for a, _ in rows], batch_size=2000)
    ctx.areas[level] = [_stub(a, box) for a, box in rows]


@step(order=10, name="区域网格")
def generate_areas(ctx: CityContext) -> str:
    rng = ctx.fork("areas")
    communities = ctx.scaled(293, minimum=2)
    grids = max(communities, ctx.scaled(4327))
    districts = min(7, max(2, round(communities / 42))) if communities >= 4 else 1
    streets = min(communities, max(districts, round(communities / 5)))

    # The plane shrinks with the city, so a small demo city is as dense (and as walkable) as the real one.
    side = min(1.0, ctx.scale) ** 0.5
    city_box = (0.0, 0.0, CITY_SIZE_M[0] * side, CITY_SIZE_M[1] * side)
    city = _make(Level.CITY, CITY_PATH, settings.GRIDGOV_CITY_NAME, None, city_box)
    city.save()
    ctx.areas[Level.CITY] = [_stub(city, city_box)]

    streets_per_district = spread(streets, districts, rng)
    communities_per_street = spread(communities, streets, rng)
    grids_per_community = spread(grids, communities, rng, jitter=0.45)

    rows: list[tuple[Area, tuple]] = []
    for i, (box, _n) in enumerate(
        zip(geometry.split(city_box, streets_per_district), streets_per_district, strict=True)
    ):
        rows.append(
            (
                _make(
                    Level.DISTRICT,
                    _child_path(CITY_PATH, Level.DISTRICT, i + 1),
                    DISTRICTS[i % len(DISTRICTS)],
                    city.pk,
                    box,
                ),
                box,
            )
        )
    _insert(rows, ctx, Level.DISTRICT)

    rows, street_no = [], 0
    for district, n in zip(ctx.areas[Level.DISTRICT], streets_per_district, strict=True):
        weights = [float(c) for c in communities_per_street[street_no : street_no + n]]
        for j, box in enumerate(geometry.split(district.bbox, weights)):
            name = _name(STREET_WORDS, street_no, "街道")
            rows.append(
                (
                    _make(
                        Level.STREET, _child_path(district.path, Level.STREET, j + 1), name, district.id, box
                    ),
                    box,
                )
            )
            street_no += 1
    _insert(rows, ctx, Level.STREET)

    rows, community_no = [], 0
    for street, n in zip(ctx.areas[Level.STREET], communities_per_street, strict=True):
        weights = [float(g) for g in grids_per_community[community_no : community_no + n]]
        for j, box in enumerate(geometry.split(street.bbox, weights)):
            name = _name(COMMUNITY_WORDS, community_no, "社区")
            rows.append(
                (
                    _make(
                        Level.COMMUNITY,
                        _child_path(street.path, Level.COMMUNITY, j + 1),
                        name,
                        street.id,
                        box,
                    ),
                    box,
                )
            )
            community_no += 1
    _insert(rows, ctx, Level.COMMUNITY)

    rows = []
    for community, n in zip(ctx.areas[Level.COMMUNITY], grids_per_community, strict=True):
        for j, box in enumerate(geometry.grid_split(community.bbox, n)):
            name = f"{community.name}第{j + 1}网格"
            rows.append(
                (
                    _make(
                        Level.GRID, _child_path(community.path, Level.GRID, j + 1), name, community.id, box
                    ),
                    box,
                )
            )
    _insert(rows, ctx, Level.GRID)

    rows = []
    for grid in ctx.areas[Level.GRID]:
        count = rng.randint(3, 9)
        for j, box in enumerate(geometry.grid_split(grid.bbox, count)):
            # A building is a point somewhere in the middle of its cell.
            cx, cy = geometry.centre(box)
            w, h = (box[2] - box[0]) * 0.25, (box[3] - box[1]) * 0.25
            spot = (cx - w, cy - h, cx + w, cy + h)
            rows.append(
                (
                    _make(
                        Level.BUILDING,
                        _child_path(grid.path, Level.BUILDING, j + 1),
                        f"{j + 1}号楼",
                        grid.id,
                        spot,
                        point=True,
                    ),
                    spot,
                )
            )
    _insert(rows, ctx, Level.BUILDING)

    unit_rows: list[tuple[Area, tuple]] = []
    for building in ctx.areas[Level.BUILDING]:
        for j in range(rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]):
            area = _make(
                Level.UNIT,
                _child_path(building.path, Level.UNIT, j + 1),
                f"{building.name}{j + 1}单元",
                building.id,
                building.bbox,
                point=True,
            )
            area.geometry = None
            unit_rows.append((area, building.bbox))
    _insert(unit_rows, ctx, Level.UNIT)

    counts = {int(level): len(stubs) for level, stubs in ctx.areas.items()}
    ctx.summary.update({f"areas_level_{k}": v for k, v in counts.items()})
    return (
        f"{counts[Level.DISTRICT]} 区县, {counts[Level.STREET]} 街道, {counts[Level.COMMUNITY]} 社区, "
        f"{counts[Level.GRID]} 网格, {counts[Level.BUILDING]} 楼院, {counts[Level.UNIT]} 单元"
    )
