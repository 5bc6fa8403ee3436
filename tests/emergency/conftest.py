"""An emergency fixture on the shared test city: coordinates, templates, an employer, responders, groups.

Communities: 东一 (0,0) and 东二 (2 km east) in street 东华; 西一 (10 km) and 西二 (12 km) in 西华.
Each gets 7 frontline staff (group leaders) and 45 cadres with seeded random skills, homes within 1.5 km.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from gridgov.areas.models import Area
from gridgov.core.actors import SystemActor
from gridgov.emergency import services
from gridgov.emergency.models import SKILLS, EmployerUnit, Responder
from tests.factories import UserFactory, unique_id_number
from tests.module_shared import refetched, usable

SYSTEM = SystemActor("tests.emergency")
COORDS = [(0.0, 0.0), (2000.0, 0.0), (10000.0, 0.0), (12000.0, 0.0)]


@dataclass
class Emergency:
    employer: EmployerUnit
    communities: list[Area]
    responders: list[Responder]


def register(
    community: Area, employer, *, kind="cadre", skills=("general",), x=None, y=None, user=None, **kw
):
    return services.register_responder(
        SYSTEM,
        kind=kind,
        name="应急人员",
        id_number=unique_id_number(),
        employer=employer,
        community=community,
        home_x=community.x if x is None else x,
        home_y=community.y if y is None else y,
        skills=list(skills),
        phone="13800138000",
        user=user,
        **kw,
    )


def build(city, *, cadres: int = 45, seed: int = 5, form: bool = True) -> Emergency:
    for community, (x, y) in zip(city.communities, COORDS, strict=True):
        Area.objects.unscoped("test coordinates").filter(pk=community.pk).update(x=x, y=y)
        community.x, community.y = x, y
    services.ensure_city_templates(SYSTEM, city.city)
    employer = services.create_employer(SYSTEM, name="市直机关", code="ORG001", area=city.city)
    rng = random.Random(seed)
    made = []
    for community in city.communities:
        for _ in range(7):
            made.append(register(community, employer, kind="frontline", skills=("general", "data_entry")))
        for _ in range(cadres):
            skills = set(rng.sample(SKILLS, rng.choice([1, 2, 3])))
            made.append(
                register(
                    community,
                    employer,
                    skills=sorted(skills),
                    x=community.x + rng.uniform(-1500, 1500),
                    y=community.y + rng.uniform(-1500, 1500),
                )
            )
    if form:
        services.form_groups(SYSTEM, city.communities)
    return Emergency(employer, list(city.communities), made)


@pytest.fixture(scope="module")
def _module_emergency(request, _module_city, django_db_blocker):
    """The fixture built once for a module that says `SHARED_EMERGENCY = True` (its tests never call
    `build` themselves, which would register the same employer twice)."""
    if _module_city is None or not getattr(request.module, "SHARED_EMERGENCY", False):
        yield None
        return
    with django_db_blocker.unblock():
        built = build(_module_city[0])
    yield built


@pytest.fixture
def emergency(request, city, _module_emergency) -> Emergency:
    if usable(request, _module_emergency):
        return refetched(_module_emergency)
    return build(city)


@pytest.fixture
def cadre_user(emergency):
    """A login linked to one cadre of 东一 (the responder's phone page)."""
    user = UserFactory(username="cadre1", area=None)
    return user
