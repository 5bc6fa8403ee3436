"""What each role may do in the party network (registered in PartyConfig.ready())."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "party.view_partyorg",
    "party.view_orgchange",
    "party.view_partymember",
    "party.view_centralhousehold",
    "party.view_buildingleader",
    "party.view_dualreportservice",
    "party.view_mutualaidgroup",
    "party.view_gridfund",
}
EDIT = {
    "party.add_partyorg",
    "party.change_partyorg",
    "party.add_partymember",
    "party.change_partymember",
    "party.add_centralhousehold",
    "party.change_centralhousehold",
    "party.add_buildingleader",
}
# 双报到 records and the grid's resources (互助组, 专项经费): the community secretary records them.
RESOURCES = {
    "party.add_dualreportservice",
    "party.import_dualreportservice",
    "party.add_mutualaidgroup",
    "party.change_mutualaidgroup",
    "party.add_gridfund",
    "party.add_fundspending",
}
MEMBER_FILES = {"party.import_partymember", "party.export_partymember"}
MANAGE = {"party.reorganise_partyorg"} | MEMBER_FILES

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | EDIT | MANAGE | RESOURCES,
    Role.DISTRICT: VIEW | EDIT | MANAGE | RESOURCES,
    Role.STREET: VIEW | EDIT | MANAGE | RESOURCES,
    Role.COMMUNITY_SECRETARY: VIEW | EDIT | MEMBER_FILES | RESOURCES,
    Role.COMMUNITY_WORKER: VIEW
    | {"party.add_buildingleader", "party.add_centralhousehold", "party.change_centralhousehold"},
    Role.GRID_WORKER: VIEW,
}
