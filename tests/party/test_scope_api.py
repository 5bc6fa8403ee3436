"""Scope tests for the party endpoints beyond list and detail: the organisations' actions, a central
household's `serve`, the members' import and export, the checks and the figures."""

from __future__ import annotations

from gridgov.party import queries
from gridgov.party.models import CentralHousehold

from ..base import Action, ActionAPITests, AreaQueryAPITests, Call, EndpointMatrixTests
from .test_api import PARTY_DENIED, PARTY_VIEW_ROLES, GroupObjects, PartyObjects, grid_outside

REORGANISE = ("party.change_partyorg", "party.reorganise_partyorg")


class TestPartyOrgActionsAPI(GroupObjects, ActionAPITests):
    """The organisation acted on is a building group; every body names organisations and areas of
    building A (inside every permitted user's scope), so an out-of-scope group is the only difference."""

    basename = "party-org"
    actions = {
        "party-org-coverage": Action(
            ("party.change_partyorg",),
            data=lambda t, c, u: {"areas": [c.building_a.pk], "reason": "调整"},
        ),
        "party-org-merge": Action(
            REORGANISE, data=lambda t, c, u: {"target": t.net.groups[c.building_a.pk].pk, "reason": "合并"}
        ),
        "party-org-split": Action(
            REORGANISE,
            data=lambda t, c, u: {"name": "新党小组", "areas": [c.building_a.pk], "reason": "拆分"},
        ),
        "party-org-reparent": Action(
            REORGANISE, data=lambda t, c, u: {"target": t.net.branches[c.grid_a.pk].pk, "reason": "调整"}
        ),
        "party-org-history": Action(("party.view_partyorg",), method="get"),
    }


class TestCentralHouseholdServeAPI(PartyObjects, ActionAPITests):
    basename = "party-central"
    model = CentralHousehold

    def in_scope(self, city, user):
        return self.net.centrals[city.grid_a.pk]

    def out_of_scope(self, city, user):
        return self.net.centrals[grid_outside(city, user).pk]

    actions = {
        "party-central-serve": Action(
            ("party.change_centralhousehold",), data=lambda t, c, u: {"households": [c.household_a.pk]}
        ),
    }


class TestPartyMemberFilesAPI(PartyObjects, EndpointMatrixTests):
    """Export (audited: personal data leaves the platform) and import (no file: the import-rejection 400)."""

    calls = {
        "party-member-export-xlsx": Call(
            ("party.view_partymember", "party.export_partymember"), audited=True
        ),
        "party-member-import-xlsx": Call(
            ("party.add_partymember", "party.import_partymember"), method="post", multipart=True, passed=400
        ),
    }


class PartyArea(AreaQueryAPITests):
    allowed_roles = PARTY_VIEW_ROLES
    denied_roles = PARTY_DENIED


class TestPartyCheckListAPI(PartyArea):
    url_name = "party-check-list"


class TestPartyCheckDetailAPI(PartyArea):
    url_name = "party-check-detail"
    url_args = (next(iter(queries.CHECKS)),)


class TestPartyFiguresAPI(PartyArea):
    url_name = "party-figures-list"
