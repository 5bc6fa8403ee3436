"""The party pages not covered by the generic classes of test_pages.py / test_resource_pages.py, in the
scope matrix: the dashboard and checks (with their exports, for an ?area= of the user's and 404 for
another), the forms, imports, templates and exports, and the merge action on an organisation outside the
user's scope."""

from __future__ import annotations

import pytest

from gridgov.party import queries
from gridgov.party.models import PartyOrg

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from .test_api import grid_outside

pytestmark = pytest.mark.django_db

VIEW = ("party.view_partyorg",)


def _check_code(test, city, user) -> list[str]:
    return [next(iter(queries.CHECKS))]


@pytest.mark.usefixtures("network")
class TestPartyCollectionPages(PageMatrixTests):
    pages = {
        "party:dashboard": Page(VIEW, area=True),
        "party:dashboard_export": Page(VIEW, area=True),
        "party:checks": Page(VIEW, area=True),
        "party:checks_export": Page(VIEW, area=True),
        "party:check": Page(VIEW, area=True, args=_check_code),
        "party:check_export": Page(VIEW, area=True, args=_check_code),
        "party:org_export": Page(VIEW),
        "party:member_export": Page(("party.export_partymember",), audited=True),
        "party:member_import": Page(("party.import_partymember",)),
        "party:member_template": Page(("party.import_partymember",)),
        "party:dual_record": Page(("party.add_dualreportservice",)),
        "party:dual_import": Page(("party.import_dualreportservice",)),
        "party:dual_template": Page(("party.import_dualreportservice",)),
        "party:aid_form": Page(("party.add_mutualaidgroup",)),
        "party:central_designate": Page(("party.add_centralhousehold",)),
        "party:fund_allocate": Page(("party.add_gridfund",)),
        "party:leader_appoint": Page(("party.add_buildingleader",)),
    }


class TestOrgMergePage(ObjectPageTests):
    model = PartyOrg
    object_pages = {
        "party:org_merge": ObjectPage(
            ("party.reorganise_partyorg",),
            method="post",
            data=lambda t, c, u, o: {"target": t.net.branches[c.grid_a.pk].pk, "reason": "撤并"},
        ),
    }

    @pytest.fixture(autouse=True)
    def _network(self, network):
        self.net = network

    def in_scope(self, city, user):
        return self.net.branches[city.grid_b.pk]

    def out_of_scope(self, city, user):
        return self.net.branches[grid_outside(city, user).pk]
