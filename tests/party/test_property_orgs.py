"""The property-service industry organisation (city or district) and the street's red-property alliance."""

from __future__ import annotations

import pytest

from gridgov.core.services import ServiceError
from gridgov.party import services
from gridgov.party.models import OrgKind, PartyOrg

from .conftest import SYSTEM


def test_industry_org_at_city_and_district(city):
    top = services.create_org(SYSTEM, kind=OrgKind.PROPERTY_INDUSTRY, name="市物业行业党委", area=city.city)
    district = services.create_org(
        SYSTEM, kind=OrgKind.PROPERTY_INDUSTRY, name="东城区物业行业党委", area=city.districts[0], parent=top
    )
    alone = services.create_org(
        SYSTEM, kind=OrgKind.PROPERTY_INDUSTRY, name="西城区物业行业党委", area=city.districts[1]
    )
    assert (top.area_path, district.parent_id, alone.parent_id) == (city.city.path, top.pk, None)
    with pytest.raises(ServiceError, match="层级"):
        services.create_org(SYSTEM, kind=OrgKind.PROPERTY_INDUSTRY, name="x", area=city.streets[0])
    with pytest.raises(ServiceError, match="同类"):
        services.create_org(SYSTEM, kind=OrgKind.PROPERTY_INDUSTRY, name="x", area=city.city)


def test_alliance_under_street_committee(city, network):
    committee = PartyOrg.objects.unscoped("test").get(kind=OrgKind.STREET_COMMITTEE, area=city.streets[0])
    alliance = services.create_org(
        SYSTEM,
        kind=OrgKind.PROPERTY_ALLIANCE,
        name="东华红色物业联盟",
        area=city.streets[0],
        parent=committee,
    )
    assert alliance.area_path == city.streets[0].path
    with pytest.raises(ServiceError, match="上级"):
        services.create_org(SYSTEM, kind=OrgKind.PROPERTY_ALLIANCE, name="x", area=city.streets[1])
    with pytest.raises(ServiceError, match="范围"):
        services.create_org(
            SYSTEM, kind=OrgKind.PROPERTY_ALLIANCE, name="x", area=city.streets[1], parent=committee
        )
    with pytest.raises(ServiceError, match="层级"):
        services.create_org(
            SYSTEM, kind=OrgKind.PROPERTY_ALLIANCE, name="x", area=city.communities[0], parent=committee
        )
