"""A party network over the shared test city, built through the services.

Every street has a working committee, every community a committee; every grid (and the other city's
grid) has its own branch covering just that grid and a building group covering its building; every
household head is a member of their grid's branch, leads their building as red building leader, and
their household is a central household. So every object lies at grid level or below and each user
of the scope matrix sees some and not others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.core.actors import SystemActor
from gridgov.party import services
from gridgov.party.models import (
    BuildingLeader,
    CentralHousehold,
    DualReportService,
    GridFund,
    MutualAidGroup,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServiceCategory,
)
from gridgov.people.models import Relation

from ..module_shared import refetched, usable

SYSTEM = SystemActor("tests.party")  # the actor of set-up steps: reaches every area, audited as such


@dataclass
class Network:
    branches: dict[int, PartyOrg] = field(default_factory=dict)  # grid pk -> branch
    groups: dict[int, PartyOrg] = field(default_factory=dict)  # building pk -> group
    members: dict[int, PartyMember] = field(default_factory=dict)  # grid pk -> member
    leaders: dict[int, BuildingLeader] = field(default_factory=dict)  # building pk -> leader
    centrals: dict[int, CentralHousehold] = field(default_factory=dict)  # grid pk -> central household
    communities: dict[int, PartyOrg] = field(default_factory=dict)  # community pk -> org

    def grid_of(self, unit: Area) -> int:
        return unit.parent.parent_id


def build_network(city) -> Network:
    net = Network()
    chains = [(city.units[i], city.households[i], city.residents[2 * i]) for i in range(len(city.units))]
    chains.append((city.other_city[-1], city.other_household, city.other_residents[0]))
    streets: dict[int, PartyOrg] = {}
    for unit, _household, head in chains:
        assert head.relation == Relation.HEAD
        building = unit.parent
        grid = building.parent
        community = grid.parent
        street = community.parent
        if street.pk not in streets:
            streets[street.pk] = services.create_org(
                SYSTEM, kind=OrgKind.STREET_COMMITTEE, name=f"{street.name}党工委", area=street
            )
        if community.pk not in net.communities:
            net.communities[community.pk] = services.create_org(
                SYSTEM,
                kind=OrgKind.COMMUNITY_COMMITTEE,
                name=f"{community.name}党委",
                parent=streets[street.pk],
                area=community,
            )
        branch = services.create_org(
            SYSTEM,
            kind=OrgKind.GRID_BRANCH,
            name=f"{grid.name}党支部",
            parent=net.communities[community.pk],
            covers=[grid],
        )
        group = services.create_org(
            SYSTEM,
            kind=OrgKind.BUILDING_GROUP,
            name=f"{building.name}党小组",
            parent=branch,
            covers=[building],
        )
        member = services.register_member(SYSTEM, resident=head, org=branch)
        net.branches[grid.pk], net.groups[building.pk], net.members[grid.pk] = branch, group, member
        net.leaders[building.pk] = services.appoint_leader(SYSTEM, area=building, resident=head)
        net.centrals[grid.pk] = services.designate_central_household(SYSTEM, member=member, group=group)
    return net


@pytest.fixture(scope="module")
def _module_party(request, _module_city, django_db_blocker):
    """The network (and the resources) built once per module inside the module's shared city transaction.

    Building them costs about half a second a test. Shared only when every test of the module that uses
    the network sees the same rows: either no test of the module asks for the resources, or every one
    that asks for the network asks for them too; otherwise (and for transactional tests) each test
    builds its own.
    """
    items = [item for item in request.session.items if item.module is request.module]
    wanting = [set(item.fixturenames) for item in items if {"network", "resources"} & set(item.fixturenames)]
    with_resources = any("resources" in names for names in wanting)
    if _module_city is None or (with_resources and not all("resources" in n for n in wanting)):
        yield None
        return
    stored = _module_city[0]
    with django_db_blocker.unblock():
        net = build_network(stored)
        res = build_resources(stored, net) if with_resources else None
    yield net, res


@pytest.fixture
def network(request, city, _module_party) -> Network:
    if usable(request, _module_party):
        return refetched(_module_party[0])
    return build_network(city)


# --- 双报到 records and grid resources, one of each per grid (and the other city's grid) ---------------
@dataclass
class Resources:
    members: dict[int, PartyMember] = field(default_factory=dict)  # grid pk -> in-service member
    services: dict[int, DualReportService] = field(default_factory=dict)  # grid pk -> record
    groups: dict[int, MutualAidGroup] = field(default_factory=dict)  # grid pk -> mutual-aid group
    funds: dict[int, GridFund] = field(default_factory=dict)  # grid pk -> fund (with one spending)


def build_resources(city, net: Network) -> Resources:
    res = Resources()
    today = timezone.localdate()
    chains = [
        (city.units[i], city.residents[2 * i], city.residents[2 * i + 1]) for i in range(len(city.units))
    ]
    chains.append((city.other_city[-1], city.other_residents[0], city.other_residents[1]))
    for unit, head, child in chains:
        grid = unit.parent.parent
        community = grid.parent
        member = services.register_member(
            SYSTEM, resident=child, in_service=True, workplace="市直机关党委", dual_community=community
        )
        res.members[grid.pk] = member
        res.services[grid.pk] = services.record_dual_service(
            SYSTEM,
            member=member,
            community=community,
            served_on=today,
            hours=Decimal("2.5"),
            category=ServiceCategory.VOLUNTEER,
            content=f"{grid.name}环境整治",
        )
        res.groups[grid.pk] = services.form_mutual_aid_group(
            SYSTEM, grid=grid, name=f"{grid.name}互助组", leader=head, members=[child], purpose="邻里互助"
        )
        fund = services.allocate_grid_fund(
            SYSTEM, grid=grid, year=today.year, amount="10000", source="街道专项"
        )
        services.record_fund_spending(SYSTEM, fund, spent_on=today, amount="1200.50", purpose="购置应急物资")
        fund.refresh_from_db()
        res.funds[grid.pk] = fund
    return res


@pytest.fixture
def resources(request, city, network, _module_party) -> Resources:
    if usable(request, _module_party) and _module_party[1] is not None:
        return refetched(_module_party[1])
    return build_resources(city, network)
