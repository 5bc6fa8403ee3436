"""What each role may do with the area tree (registered in AreasConfig.ready(); accounts.roles reads it).

Roles are named by their values: areas sits below accounts and may not import `accounts.roles.Role`.
"""

from __future__ import annotations

VIEW = {"areas.view_area", "areas.view_areachange"}
REZONE = {"areas.add_area", "areas.change_area", "areas.rezone_area"}

GRANTS: dict[str, set[str]] = {
    "city_admin": VIEW | REZONE,
    "district": VIEW | REZONE,
    "street": VIEW | REZONE,
    "community_secretary": VIEW,
    "community_worker": VIEW,
    "grid_worker": VIEW,
    "property": VIEW,
    "merchant": VIEW,
}
