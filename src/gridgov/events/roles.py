"""What each role may do with work orders and patrols (registered in EventsConfig.ready())."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {"events.view_event", "events.view_category", "events.add_event"}  # seeing one's queue, reporting
DISPATCH = {"events.dispatch_event", "events.export_event", "events.view_dispatchrule"}
HANDLE = {"events.handle_event"}
PATROL = {
    "events.view_patrollog",
    "events.add_patrollog",
    "events.view_gridcouncil",
    "events.add_gridcouncil",
}

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | DISPATCH | HANDLE | PATROL,
    Role.DISTRICT: VIEW | DISPATCH | HANDLE | PATROL,
    Role.STREET: VIEW | DISPATCH | HANDLE | PATROL,
    Role.COMMUNITY_SECRETARY: VIEW | DISPATCH | HANDLE | PATROL,
    Role.COMMUNITY_WORKER: VIEW | DISPATCH | HANDLE | PATROL,
    # A grid worker and a property company export their own queue (what they may see).
    Role.GRID_WORKER: VIEW | HANDLE | PATROL | {"events.export_event"},
    Role.PROPERTY: VIEW | HANDLE | {"events.export_event"},
    Role.RESIDENT: VIEW | {"events.rate_event"},
}
