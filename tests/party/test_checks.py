"""Each coverage check: a violation is reported; the satisfied case is not."""

from __future__ import annotations

import pytest

from gridgov.party import queries, services
from gridgov.party.models import OrgKind
from gridgov.people.models import Household

from ..factories import HouseholdFactory, ResidentFactory, make_child
from .conftest import SYSTEM


def run(code, user, root, params=None):
    return list(queries.CHECKS[code].run(user, root.path, params or {}))


def test_network_fixture_satisfies_every_check(city, users, network, settings):
    settings.GRIDGOV_BRANCH_MIN_MEMBERS = 1
    user = users["city_admin"]
    for code in queries.CHECKS:
        assert run(code, user, city.city) == [], code


def test_grid_without_branch_is_reported_until_covered(city, users, network):
    grid = make_child(city.communities[0], "新网格")
    user = users["community_secretary"]
    assert run("grids_without_branch", user, city.communities[0]) == [grid]
    services.set_coverage(SYSTEM, network.branches[city.grid_a.pk], [city.grid_a, grid], reason="网格重划")
    assert run("grids_without_branch", user, city.communities[0]) == []


def test_dissolved_branch_leaves_its_grid_uncovered(city, users, network):
    branch = network.branches[city.grid_b.pk]
    services.merge_orgs(SYSTEM, branch, network.branches[city.grid_a.pk], reason="合并")
    assert run("grids_without_branch", users["street"], city.streets[0]) == []
    group = network.groups[city.buildings[1].pk]
    services.dissolve_org(SYSTEM, group, reason="撤销")
    assert run("buildings_without_group", users["street"], city.streets[0]) == [city.buildings[1]]


@pytest.mark.parametrize(("low", "high", "reported"), [(1, 50, False), (2, 50, True), (0, 0, True)])
def test_branch_size_thresholds(city, users, network, low, high, reported):
    rows = run("branch_size", users["grid_worker"], city.grid_a, {"min": str(low), "max": str(high)})
    branch = network.branches[city.grid_a.pk]
    assert (branch in rows) is reported
    if reported:
        assert rows[0].member_count == 1


def test_branch_size_uses_settings_by_default(city, users, network, settings):
    settings.GRIDGOV_BRANCH_MIN_MEMBERS, settings.GRIDGOV_BRANCH_MAX_MEMBERS = 3, 50
    assert (
        len(run("branch_size", users["city_admin"], city.city)) == len(network.branches) - 1
    )  # not the other city
    settings.GRIDGOV_BRANCH_MIN_MEMBERS = 1
    assert run("branch_size", users["city_admin"], city.city) == []


def test_members_of_groups_count_for_their_branch(city, users, network):
    branch = network.branches[city.grid_a.pk]
    second = ResidentFactory(household=city.household_a)
    services.register_member(SYSTEM, resident=second, org=network.groups[city.building_a.pk])
    rows = run("branch_size", users["grid_worker"], city.grid_a, {"min": "3"})
    assert rows == [branch] and rows[0].member_count == 2


def test_building_without_group_or_leader(city, users, network):
    building = make_child(city.grid_a, "新建楼")
    user = users["grid_worker"]
    assert run("buildings_without_group", user, city.grid_a) == [building]
    assert run("buildings_without_leader", user, city.grid_a) == [building]
    services.set_coverage(SYSTEM, network.groups[city.building_a.pk], [city.building_a, building])
    unit = make_child(building, "1单元")
    household = HouseholdFactory(unit=unit)
    leader = ResidentFactory(household=household)
    services.appoint_leader(SYSTEM, area=building, resident=leader)
    assert run("buildings_without_group", user, city.grid_a) == []
    assert run("buildings_without_leader", user, city.grid_a) == []


def test_household_not_served_until_assigned(city, users, network):
    household = HouseholdFactory(unit=city.unit_a)
    user = users["grid_worker"]
    assert run("households_not_served", user, city.grid_a) == [household]
    services.assign_served(SYSTEM, network.centrals[city.grid_a.pk], [household])
    assert run("households_not_served", user, city.grid_a) == []


def test_checks_never_show_rows_outside_the_users_scope(city, users, network):
    make_child(city.communities[2], "西一新网格")
    for code in queries.CHECKS:
        assert run(code, users["grid_worker"], city.grid_a) == [] or code == "branch_size"
    assert run("grids_without_branch", users["city_admin"], city.city)


def test_central_household_cannot_serve_outside_its_community(city, network):
    far = Household.objects.unscoped("test").get(pk=city.households[4].pk)
    from gridgov.core.services import ServiceError

    with pytest.raises(ServiceError, match="社区内"):
        services.assign_served(SYSTEM, network.centrals[city.grid_a.pk], [far])


def test_grid_branch_cannot_cover_grids_of_two_communities(city, network):
    from gridgov.core.services import ServiceError

    parent = network.communities[city.communities[0].pk]
    with pytest.raises(ServiceError, match="同一社区"):
        services.create_org(
            SYSTEM,
            kind=OrgKind.GRID_BRANCH,
            name="跨社区支部",
            parent=parent,
            covers=[city.grids[0], city.grids[2]],
        )
