"""The generic scope tests of tests/base.py for every party endpoint, plus the checks and figures."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.party.models import BuildingLeader, CentralHousehold, OrgChange, PartyMember, PartyOrg

from ..base import DetailAPITests, ListAPITests, WriteAPITests

PARTY_VIEW_ROLES = (
    "city_admin",
    "district",
    "street",
    "community_secretary",
    "community_worker",
    "grid_worker",
)
PARTY_DENIED = ("property", "resident")
REORGANISE_ROLES = ("city_admin", "district", "street")


def grid_outside(city, user):
    return city.unit_outside(user).parent.parent


class PartyObjects:
    allowed_roles = PARTY_VIEW_ROLES
    denied_roles = PARTY_DENIED

    @pytest.fixture(autouse=True)
    def _network(self, network):
        self.net = network


class GroupObjects(PartyObjects):
    model = PartyOrg

    def in_scope(self, city, user):
        return self.net.groups[city.building_a.pk]

    def out_of_scope(self, city, user):
        return self.net.groups[city.unit_outside(user).parent_id]


class TestPartyOrgAPI(GroupObjects, ListAPITests, DetailAPITests):
    basename = "party-org"


class TestPartyOrgDissolveAPI(GroupObjects, WriteAPITests):
    basename = "party-org"
    writer_roles = REORGANISE_ROLES
    reader_roles = ("community_secretary", "community_worker", "grid_worker")
    write_action = "party.dissolve_org"

    def write(self, client, obj):
        return client.post(
            reverse("party-org-dissolve", args=[obj.pk]), {"reason": "楼院拆除"}, format="json"
        )


class TestPartyMemberAPI(PartyObjects, ListAPITests, DetailAPITests):
    basename = "party-member"
    model = PartyMember

    def in_scope(self, city, user):
        return self.net.members[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.members[grid_outside(city, user).pk]


class TestCentralHouseholdAPI(PartyObjects, ListAPITests, DetailAPITests):
    basename = "party-central"
    model = CentralHousehold

    def in_scope(self, city, user):
        return self.net.centrals[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.centrals[grid_outside(city, user).pk]


class TestBuildingLeaderAPI(PartyObjects, ListAPITests, DetailAPITests):
    basename = "party-leader"
    model = BuildingLeader

    def in_scope(self, city, user):
        return self.net.leaders[city.building_a.pk]

    def out_of_scope(self, city, user):
        return self.net.leaders[city.unit_outside(user).parent_id]


# --- checks and figures: ?area= inside scope answers, outside is 404 ------------------------------
@pytest.mark.parametrize("basename", ["party-check", "party-figures"])
class TestAreaParamEndpoints:
    def test_anonymous_refused(self, city, api_for, basename):
        assert api_for(None).get(reverse(f"{basename}-list")).status_code in (401, 403)

    @pytest.mark.parametrize("role", PARTY_DENIED)
    def test_without_permission_403(self, city, api_for, basename, role):
        assert api_for(role).get(reverse(f"{basename}-list")).status_code == 403

    @pytest.mark.parametrize("role", PARTY_VIEW_ROLES)
    def test_own_area_200_other_area_404(self, city, users, api_for, network, basename, role):
        client = api_for(role)
        own = client.get(reverse(f"{basename}-list"), {"area": users[role].area_id})
        assert own.status_code == 200
        assert own.json()["area"]["id"] == users[role].area_id
        outside = city.unit_outside(users[role])
        response = client.get(reverse(f"{basename}-list"), {"area": outside.pk})
        assert response.status_code == 404
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])


def test_check_detail_lists_offenders_of_the_area_only(city, users, api_for, network):
    from ..factories import make_child

    new_grid = make_child(city.communities[0], "新划网格")
    far_grid = make_child(city.communities[2], "远处新网格")
    client = api_for("community_secretary")
    body = client.get(reverse("party-check-detail", args=["grids_without_branch"])).json()
    assert [row["id"] for row in body["results"]] == [new_grid.pk]
    assert far_grid.pk not in [row["id"] for row in body["results"]]
    assert body["check"]["code"] == "grids_without_branch"
    assert client.get(reverse("party-check-detail", args=["nonsense"])).status_code == 404


def test_figures_count_the_network(city, api_for, network):
    body = api_for("street").get(reverse("party-figures-list")).json()
    figures = {f["code"]: f["value"] for f in body["figures"]}
    # The street 东华街道 holds 2 communities × 2 grids.
    assert figures["party_grid_branches"] == 4
    assert figures["party_building_groups"] == 4
    assert figures["party_central_households"] == 4
    assert figures["party_red_leaders"] == 4
    assert figures["party_registered_members"] == 4


def test_merge_via_api_keeps_history(city, users, api_for, network):
    source = network.branches[city.grid_b.pk]
    target = network.branches[city.grid_a.pk]
    response = api_for("street").post(
        reverse("party-org-merge", args=[source.pk]),
        {"target": target.pk, "reason": "党员过少"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(response.json()["coverage"]) == sorted([city.grid_a.path, city.grid_b.path])
    assert OrgChange.objects.unscoped("test").filter(org=source, kind="merge", other=target).exists()
    assert AuditEvent.objects.filter(action="party.merge_orgs").count() == 1
    source.refresh_from_db()
    assert not source.is_active


def test_double_submission_of_a_member_is_refused_in_chinese(city, api_for, network):
    resident = city.residents[0]  # already a member
    before = PartyMember.objects.unscoped("test").count()
    response = api_for("community_secretary").post(
        reverse("party-member-list"),
        {"resident": resident.pk, "org": network.branches[city.grid_a.pk].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "已登记为党员" in str(response.json())
    assert PartyMember.objects.unscoped("test").count() == before


def test_member_in_another_grid_org_is_404_like(city, users, api_for, network):
    """A grid worker cannot register a member into an organisation outside their grid: it is not a choice."""
    resident = city.residents[1]
    other_branch = network.branches[city.grid_b.pk]
    response = api_for("grid_worker").post(
        reverse("party-member-list"), {"resident": resident.pk, "org": other_branch.pk}, format="json"
    )
    assert response.status_code in (400, 403)
    assert not PartyMember.objects.unscoped("test").filter(resident=resident).exists()
