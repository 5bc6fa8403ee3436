"""Red property objects on the shared city: a company and an estate in 东一社区, and the same in the other city."""

from __future__ import annotations

import pytest

from gridgov.core.actors import SystemActor
from gridgov.events.models import Category
from gridgov.property import services

# The actor of the fixtures' own writes (setting the scene is no user's action).
SYSTEM = SystemActor("tests")


@pytest.fixture
def estate_in(city):
    company = services.create_company(SYSTEM, name="东一物业", area=city.communities[0])
    return services.create_estate(
        SYSTEM, name="东一花园", area=city.grid_a, company=company, buildings=[city.building_a]
    )


@pytest.fixture
def estate_out(city):
    company = services.create_company(SYSTEM, name="外市物业", area=city.other_city[3])
    return services.create_estate(SYSTEM, name="外市小区", area=city.other_city[4], company=company)


@pytest.fixture
def category(db):
    return Category.objects.get(code="property.repair")


@pytest.fixture
def alliance(city):
    """The red-property party alliance of 东华街道 (under its party working committee)."""
    from gridgov.party import services as party_services
    from gridgov.party.models import OrgKind

    committee = party_services.create_org(
        SYSTEM, kind=OrgKind.STREET_COMMITTEE, name="东华街道党工委", area=city.streets[0]
    )
    return party_services.create_org(
        SYSTEM,
        kind=OrgKind.PROPERTY_ALLIANCE,
        name="东华街道红色物业党建联盟",
        parent=committee,
        area=city.streets[0],
    )
