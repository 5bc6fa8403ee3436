"""What each role may do with households and residents (registered in PeopleConfig.ready()).

Roles are named by their values: people sits beside accounts and may not import `accounts.roles.Role`.
"""

from __future__ import annotations

VIEW = {"people.view_household", "people.view_resident", "people.view_tag", "people.view_correctionrequest"}
EDIT = {
    "people.add_household",
    "people.change_household",
    "people.add_resident",
    "people.change_resident",
}
MANAGE = {"people.import_resident", "people.export_resident"}
UNMASK = {"people.unmask_resident"}  # viewing the full ID-card and phone numbers (audited)
# Deciding a correction request (更正申请) applies the change: the community staff and above.
DECIDE = {"people.decide_correctionrequest"}

GRANTS: dict[str, set[str]] = {
    "city_admin": VIEW | EDIT | MANAGE | UNMASK | DECIDE,
    "district": VIEW | EDIT | MANAGE | UNMASK | DECIDE,
    "street": VIEW | EDIT | MANAGE | UNMASK | DECIDE,
    "community_secretary": VIEW | EDIT | MANAGE | UNMASK | DECIDE,
    "community_worker": VIEW | EDIT | MANAGE | DECIDE,
    "grid_worker": VIEW | EDIT,
}
