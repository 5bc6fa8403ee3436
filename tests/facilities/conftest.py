"""The shared city of tests/conftest.py laid out in the plane, with one red station per building.

青山市 box (0, 0)–(4000, 2000); each community a 1000 m wide column, its two grids the lower and
upper halves; each grid's building in the middle of the grid (x = community centre, y = 500/1500).
远山市 lies far away at (10000, 0)–(11000, 1000).
"""

from __future__ import annotations

import pytest

from gridgov.areas.models import Area
from gridgov.core.actors import SystemActor
from gridgov.facilities import services
from gridgov.facilities.models import Facility, FacilityKind

SYSTEM = SystemActor("tests.facilities")  # the actor of set-up steps: reaches every area, audited as such


def box(minx, miny, maxx, maxy) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }


def place(area: Area, geometry: dict | None, x: float, y: float) -> None:
    Area.objects.unscoped("test layout").filter(pk=area.pk).update(geometry=geometry, x=x, y=y)
    area.geometry, area.x, area.y = geometry, x, y


def layout(city) -> None:
    place(city.city, box(0, 0, 4000, 2000), 2000, 1000)
    for i, district in enumerate(city.districts):
        place(district, box(2000 * i, 0, 2000 * (i + 1), 2000), 2000 * i + 1000, 1000)
        place(city.streets[i], box(2000 * i, 0, 2000 * (i + 1), 2000), 2000 * i + 1000, 1000)
    for c, community in enumerate(city.communities):
        x0 = 1000 * c
        place(community, box(x0, 0, x0 + 1000, 2000), x0 + 500, 1000)
        for g in range(2):
            grid = city.grids[2 * c + g]
            place(grid, box(x0, 1000 * g, x0 + 1000, 1000 * (g + 1)), x0 + 500, 1000 * g + 500)
            place(
                city.buildings[2 * c + g],
                {"type": "Point", "coordinates": [x0 + 500, 1000 * g + 500]},
                x0 + 500,
                1000 * g + 500,
            )
            place(city.units[2 * c + g], None, x0 + 500, 1000 * g + 500)
    other = city.other_city
    place(other[0], box(10000, 0, 11000, 1000), 10500, 500)
    for area in other[1:5]:
        place(area, box(10000, 0, 11000, 1000), 10500, 500)
    place(other[5], {"type": "Point", "coordinates": [10500, 500]}, 10500, 500)
    place(other[6], None, 10500, 500)


@pytest.fixture
def circle_city(city, settings):
    settings.GRIDGOV_CIRCLE_AUTO_RECOMPUTE = False
    layout(city)
    city.stations = [
        services.create_facility(SYSTEM, kind=FacilityKind.RED_STATION, name=f"{b.name}红色驿站", area=b)
        for b in [*city.buildings, city.other_city[5]]
    ]
    return city


def station_outside(city, user) -> Facility:
    unit = city.unit_outside(user)
    return next(f for f in city.stations if unit.path.startswith(f.area_path))


def station_inside(city, user) -> Facility:
    return city.stations[0]  # building A: inside every role's area (the property user's own building)
