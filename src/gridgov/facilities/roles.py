"""What each role may do with positions and the 10-minute circle (registered in FacilitiesConfig.ready())."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "facilities.view_facility",
    "facilities.view_candidatesite",
    "facilities.view_walknetwork",
    "facilities.view_buildingaccess",
    "facilities.view_coveragerun",
}
NEARBY = {"facilities.view_nearby"}  # every login, residents included, may look for positions near a place
EDIT = {
    "facilities.add_facility",
    "facilities.change_facility",
    "facilities.add_candidatesite",
    "facilities.change_candidatesite",
}
MANAGE = {
    "facilities.import_facility",
    "facilities.export_facility",
    "facilities.recompute_coverage",
}
NETWORK = {"facilities.add_walknetwork", "facilities.import_walknetwork"}

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | NEARBY | EDIT | MANAGE | NETWORK,
    Role.DISTRICT: VIEW | NEARBY | EDIT | MANAGE,
    Role.STREET: VIEW | NEARBY | EDIT | MANAGE,
    Role.COMMUNITY_SECRETARY: VIEW | NEARBY | EDIT | {"facilities.export_facility"},
    Role.COMMUNITY_WORKER: VIEW | NEARBY | EDIT,
    Role.GRID_WORKER: VIEW | NEARBY,
    Role.PROPERTY: NEARBY,
    Role.MERCHANT: NEARBY,
    Role.RESIDENT: NEARBY,
}
