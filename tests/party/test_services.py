"""Reorganisation keeps history; writes are audited; scope is re-checked; coverage is exclusive."""

from __future__ import annotations

import pytest

from gridgov.areas import services as area_services
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.party import services
from gridgov.party.models import OrgChange, OrgCoverage, OrgKind, PartyMember, PartyOrg

from ..factories import make_child
from .conftest import SYSTEM


@pytest.fixture
def two_grid_branch(city, network):
    services.merge_orgs(
        SYSTEM, network.branches[city.grid_b.pk], network.branches[city.grid_a.pk], reason="合并"
    )
    return PartyOrg.objects.unscoped("test").get(pk=network.branches[city.grid_a.pk].pk)


def test_merge_moves_coverage_members_and_rehomes(city, network, two_grid_branch):
    branch = two_grid_branch
    assert branch.area_path == city.communities[0].path
    assert PartyMember.objects.unscoped("test").filter(org=branch).count() == 2
    source = network.branches[city.grid_b.pk]
    assert list(OrgChange.objects.unscoped("test").filter(org=source).values_list("kind", flat=True)) == [
        "merge",
        "create",
    ]
    assert OrgCoverage.objects.unscoped("test").filter(org=source, ended_at__isnull=False).count() == 1


def test_split_restores_a_branch_for_the_split_grid(city, network, two_grid_branch):
    new = services.split_org(
        SYSTEM, two_grid_branch, name="第二网格党支部", areas=[city.grid_b], reason="党员过多"
    )
    assert new.area_path == city.grid_b.path
    assert PartyMember.objects.unscoped("test").filter(org=new).count() == 1
    two_grid_branch.refresh_from_db()
    assert two_grid_branch.area_path == city.grid_a.path
    group_b = PartyOrg.objects.unscoped("test").get(pk=network.groups[city.buildings[1].pk].pk)
    assert group_b.parent_id == new.pk
    kinds = set(OrgChange.objects.unscoped("test").filter(org=two_grid_branch).values_list("kind", flat=True))
    assert {"create", "merge", "split"} <= kinds
    with pytest.raises(ServiceError, match="全部"):
        services.split_org(SYSTEM, new, name="x", areas=[city.grid_b], reason="r")


def test_reparent_after_a_grid_moves_to_another_community(city, network):
    """Grids redrawn: the grid moves, its branch's path follows (re-zoning), then it is re-parented."""
    branch = network.branches[city.grid_b.pk]
    area_services.move_area(SYSTEM, city.grid_b, city.communities[1], reason="网格重划")
    branch.refresh_from_db()
    assert branch.area_path.startswith(city.communities[1].path)
    member = PartyMember.objects.unscoped("test").get(org=branch)
    assert member.area_path == branch.area_path
    new_parent = network.communities[city.communities[1].pk]
    services.reparent_org(SYSTEM, branch, new_parent, reason="随网格调整隶属")
    assert (
        OrgChange.objects.unscoped("test")
        .filter(org=branch, kind="reparent", other=network.communities[city.communities[0].pk])
        .exists()
    )
    with pytest.raises(ServiceError):
        services.reparent_org(SYSTEM, branch, new_parent, reason="again")


def test_coverage_is_exclusive_and_nothing_changes_on_refusal(city, network):
    before = OrgCoverage.objects.unscoped("test").count()
    with pytest.raises(ServiceError, match="已由其他党组织覆盖"):
        services.set_coverage(SYSTEM, network.branches[city.grid_a.pk], [city.grid_a, city.grid_b])
    assert OrgCoverage.objects.unscoped("test").count() == before


def test_services_recheck_scope(city, users, network):
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        services.set_coverage(users["grid_worker"], network.branches[city.grid_b.pk], [city.grid_b])
    with pytest.raises(OutOfScope):
        services.appoint_leader(users["grid_worker"], area=city.buildings[1], resident=city.residents[2])
    assert AuditEvent.objects.count() == audit_rows


def test_every_write_is_audited(city, users, network):
    building = make_child(city.grid_a, "新楼")
    services.set_coverage(
        users["street"], network.groups[city.building_a.pk], [city.building_a, building], reason="新建楼"
    )
    event = AuditEvent.objects.get(action="party.set_coverage")
    assert event.actor == users["street"]
    assert building.path in event.after["covers"]
    assert event.before["covers"] == [city.building_a.path]


def test_in_service_member_registers_with_the_community(city, network):
    from ..factories import ResidentFactory

    resident = ResidentFactory(household=city.household_a)
    with pytest.raises(ServiceError, match="居住地社区"):
        services.register_member(SYSTEM, resident=resident, in_service=True, workplace="市直机关党委")
    member = services.register_member(
        SYSTEM,
        resident=resident,
        in_service=True,
        workplace="市直机关党委",
        dual_community=city.communities[0],
    )
    assert member.area_path == city.communities[0].path and member.org is None
    assert resident.tags.filter(code="party_member").exists()


def test_leader_replacement_ends_the_previous_term(city, network):
    leader = network.leaders[city.building_a.pk]
    new = services.appoint_leader(SYSTEM, area=city.building_a, resident=city.residents[1])
    leader.refresh_from_db()
    assert not leader.is_active and leader.ended_on is not None
    assert new.is_active
    with pytest.raises(ServiceError):
        services.appoint_leader(SYSTEM, area=city.building_a, resident=city.residents[1])
    with pytest.raises(ServiceError, match="单元"):
        services.appoint_leader(SYSTEM, area=city.building_a, resident=city.residents[1], kind="unit")


def test_org_kind_rules(city, network):
    with pytest.raises(ServiceError, match="上级党组织的类型"):
        services.create_org(
            SYSTEM,
            kind=OrgKind.BUILDING_GROUP,
            name="错",
            parent=network.communities[city.communities[0].pk],
            covers=[city.building_a],
        )
