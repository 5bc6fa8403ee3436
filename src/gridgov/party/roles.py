"""What each role may do in the party network (registered in PartyConfig.ready())."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "party.view_partyorg",
    "party.view_orgchange",
    "party.view_partymember",
    "party.view_centralhousehold",
    "party.view_buildingleader",
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
MEMBER_FILES = {"party.import_partymember", "party.export_partymember"}
MANAGE = {"party.reorganise_partyorg"} | MEMBER_FILES

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | EDIT | MANAGE,
    Role.DISTRICT: VIEW | EDIT | MANAGE,
    Role.STREET: VIEW | EDIT | MANAGE,
    Role.COMMUNITY_SECRETARY: VIEW | EDIT | MEMBER_FILES,
    Role.COMMUNITY_WORKER: VIEW
    | {"party.add_buildingleader", "party.add_centralhousehold", "party.change_centralhousehold"},
    Role.GRID_WORKER: VIEW,
}
