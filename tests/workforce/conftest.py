"""Staff over the shared test city, made through the services.

Per community: the head of its first grid's household is the secretary, the child of that household
its deputy (and reserve successor); the child of the second grid's household is that grid's
full-time grid worker, and the head of the second grid's household the first grid's worker. The
other city's community has one secretary, so the city administrator also has an out-of-scope row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from gridgov.core.actors import SystemActor
from gridgov.workforce import services
from gridgov.workforce.models import Education, Post, Source, Staff
from gridgov.workforce.reference import ensure_defaults

from ..module_shared import refetched, usable

SYSTEM = SystemActor("tests.workforce")  # the actor of set-up steps: reaches every area, audited as such


@dataclass
class Crew:
    secretaries: dict[int, Staff] = field(default_factory=dict)  # community pk -> secretary
    deputies: dict[int, Staff] = field(default_factory=dict)
    grid_workers: dict[int, Staff] = field(default_factory=dict)  # grid pk -> worker
    other: Staff | None = None


@pytest.fixture
def scale(db):
    ensure_defaults()


def build_crew(city) -> Crew:
    crew = Crew()
    hired = dt.date(2015, 3, 1)
    for k, community in enumerate(city.communities):
        first, second = 4 * k, 4 * k + 2  # residents: head, child of grid 1; head, child of grid 2
        r = city.residents
        crew.secretaries[community.pk] = services.hire_staff(
            SYSTEM,
            resident=r[first],
            community=community,
            post=Post.SECRETARY,
            education=Education.BACHELOR,
            hired_on=hired,
            source=Source.PROMOTED,
        )
        crew.deputies[community.pk] = services.hire_staff(
            SYSTEM,
            resident=r[first + 1],
            community=community,
            post=Post.DEPUTY_SECRETARY,
            education=Education.BACHELOR,
            hired_on=hired,
        )
        services.designate_successor(SYSTEM, crew.deputies[community.pk])
        grids = [g for g in city.grids if g.parent_id == community.pk]
        for grid, resident in zip(grids, [r[second], r[second + 1]], strict=True):
            worker = services.hire_staff(
                SYSTEM,
                resident=resident,
                community=community,
                post=Post.GRID_WORKER,
                education=Education.JUNIOR_COLLEGE,
                hired_on=hired,
            )
            services.assign_grid(SYSTEM, worker, grid, on=dt.date(2023, 1, 1))
            crew.grid_workers[grid.pk] = worker
    crew.other = services.hire_staff(
        SYSTEM,
        resident=city.other_residents[0],
        community=city.other_city[3],
        post=Post.SECRETARY,
        education=Education.MASTER,
        hired_on=hired,
        source=Source.RECRUITED,
    )
    return crew


@pytest.fixture(scope="module")
def _module_crew(request, _module_city, django_db_blocker):
    """The reference data and the crew built once per module (tests/module_shared.py), when every test of
    the module that sets up the reference data also takes the crew (so no test sees staff it did not
    ask for)."""
    items = [item for item in request.session.items if item.module is request.module]
    wanting = [set(item.fixturenames) for item in items if "scale" in item.fixturenames]
    if _module_city is None or not all("crew" in names for names in wanting):
        yield None
        return
    with django_db_blocker.unblock():
        ensure_defaults()
        built = build_crew(_module_city[0])
    yield built


@pytest.fixture
def crew(request, city, scale, _module_crew) -> Crew:
    if usable(request, _module_crew):
        return refetched(_module_crew)
    return build_crew(city)
