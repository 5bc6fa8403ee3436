"""Roles and what each may do. A role's permissions apply only inside the user's area subtree."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市级管理员")
    DISTRICT = "district", _("区县管理员")
    STREET = "street", _("街道管理员")
    COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    PROPERTY = "property", _("物业企业")
    MERCHANT = "merchant", _("商户")
    RESIDENT = "resident", pgettext_lazy("role", "居民")


# The area level a role is bound to (checked when an account is created).
ROLE_LEVEL = {
    Role.CITY_ADMIN: 1,
    Role.DISTRICT: 2,
    Role.STREET: 3,
    Role.COMMUNITY_SECRETARY: 4,
    Role.COMMUNITY_WORKER: 4,
    Role.GRID_WORKER: 5,
}

# Who may grant or manage whom (accounts.services): an actor grants roles up to its own rank, never above,
# and acts only on users whose role is not above its own.
ROLE_RANK: dict[str, int] = {
    Role.CITY_ADMIN: 6,
    Role.DISTRICT: 5,
    Role.STREET: 4,
    Role.COMMUNITY_SECRETARY: 3,
    Role.COMMUNITY_WORKER: 2,
    Role.GRID_WORKER: 1,
}
# Property, merchant and resident accounts stand outside the hierarchy: the street and above manage them.
RANK_TO_MANAGE: dict[str, int] = {
    **ROLE_RANK,
    Role.PROPERTY: ROLE_RANK[Role.STREET],
    Role.MERCHANT: ROLE_RANK[Role.STREET],
    Role.RESIDENT: ROLE_RANK[Role.STREET],
}


def may_manage(actor_role: str, role: str) -> bool:
    """Whether a holder of actor_role may grant `role` or act on an account that has it."""
    return ROLE_RANK.get(actor_role, 0) >= RANK_TO_MANAGE.get(role, len(ROLE_RANK) + 1)


_VIEW_AREAS = {"areas.view_area", "areas.view_areachange"}
_VIEW_PEOPLE = {"people.view_household", "people.view_resident", "people.view_tag"}
_EDIT_PEOPLE = {
    "people.add_household",
    "people.change_household",
    "people.add_resident",
    "people.change_resident",
}
_MANAGE_PEOPLE = {"people.import_resident", "people.export_resident"}
_UNMASK = {"people.unmask_resident"}
_REZONE = {"areas.add_area", "areas.change_area", "areas.rezone_area"}
_AUDIT = {"core.view_auditevent"}
_MANAGE_USERS = {"accounts.manage_user"}  # the account pages; the services check rank and scope

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(
        _VIEW_AREAS
        | _VIEW_PEOPLE
        | _EDIT_PEOPLE
        | _MANAGE_PEOPLE
        | _UNMASK
        | _REZONE
        | _AUDIT
        | _MANAGE_USERS
    ),
    Role.DISTRICT: frozenset(
        _VIEW_AREAS
        | _VIEW_PEOPLE
        | _EDIT_PEOPLE
        | _MANAGE_PEOPLE
        | _UNMASK
        | _REZONE
        | _AUDIT
        | _MANAGE_USERS
    ),
    Role.STREET: frozenset(
        _VIEW_AREAS
        | _VIEW_PEOPLE
        | _EDIT_PEOPLE
        | _MANAGE_PEOPLE
        | _UNMASK
        | _REZONE
        | _AUDIT
        | _MANAGE_USERS
    ),
    Role.COMMUNITY_SECRETARY: frozenset(_VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE | _UNMASK),
    Role.COMMUNITY_WORKER: frozenset(_VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE | _MANAGE_PEOPLE),
    Role.GRID_WORKER: frozenset(_VIEW_AREAS | _VIEW_PEOPLE | _EDIT_PEOPLE),
    Role.PROPERTY: frozenset(_VIEW_AREAS),
    Role.MERCHANT: frozenset(_VIEW_AREAS),
    Role.RESIDENT: frozenset(),
}

# --- positions and the 10-minute circle (facilities) -----------------------------------------------
_VIEW_FACILITIES = {
    "facilities.view_facility",
    "facilities.view_candidatesite",
    "facilities.view_walknetwork",
    "facilities.view_buildingaccess",
    "facilities.view_coveragerun",
}
_NEARBY = {"facilities.view_nearby"}
_EDIT_FACILITIES = {
    "facilities.add_facility",
    "facilities.change_facility",
    "facilities.add_candidatesite",
    "facilities.change_candidatesite",
}
_MANAGE_FACILITIES = {
    "facilities.import_facility",
    "facilities.export_facility",
    "facilities.recompute_coverage",
}
_NETWORK = {"facilities.add_walknetwork", "facilities.import_walknetwork"}
_FACILITY_GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _VIEW_FACILITIES | _NEARBY | _EDIT_FACILITIES | _MANAGE_FACILITIES | _NETWORK,
    Role.DISTRICT: _VIEW_FACILITIES | _NEARBY | _EDIT_FACILITIES | _MANAGE_FACILITIES,
    Role.STREET: _VIEW_FACILITIES | _NEARBY | _EDIT_FACILITIES | _MANAGE_FACILITIES,
    Role.COMMUNITY_SECRETARY: _VIEW_FACILITIES | _NEARBY | _EDIT_FACILITIES | {"facilities.export_facility"},
    Role.COMMUNITY_WORKER: _VIEW_FACILITIES | _NEARBY | _EDIT_FACILITIES,
    Role.GRID_WORKER: _VIEW_FACILITIES | _NEARBY,
    Role.PROPERTY: _NEARBY,
    Role.MERCHANT: _NEARBY,
    Role.RESIDENT: _NEARBY,
}
ROLE_PERMISSIONS = {
    role: frozenset(perms | _FACILITY_GRANTS.get(role, set())) for role, perms in ROLE_PERMISSIONS.items()
}

# --- party network and workforce (party, workforce) ------------------------------------------------
_VIEW_PARTY = {
    "party.view_partyorg",
    "party.view_orgchange",
    "party.view_partymember",
    "party.view_centralhousehold",
    "party.view_buildingleader",
}
_EDIT_PARTY = {
    "party.add_partyorg",
    "party.change_partyorg",
    "party.add_partymember",
    "party.change_partymember",
    "party.add_centralhousehold",
    "party.change_centralhousehold",
    "party.add_buildingleader",
}
_MANAGE_PARTY = {"party.reorganise_partyorg", "party.import_partymember", "party.export_partymember"}
_VIEW_WORKFORCE = {
    "workforce.view_staff",
    "workforce.view_gridassignment",
    "workforce.view_training",
    "workforce.view_competition",
    "workforce.view_presentation",
    "workforce.view_evaluation",
    "workforce.view_replacement",
    "workforce.view_payroll",
    "workforce.view_salaryscale",
}
_EDIT_WORKFORCE = {"workforce.add_staff", "workforce.change_staff", "workforce.change_presentation"}
_MANAGE_WORKFORCE = {
    "workforce.import_staff",
    "workforce.export_staff",
    "workforce.replace_secretary",
    "workforce.add_payroll",
    "workforce.compute_payroll",
}
_SALARY_SCALE = {"workforce.add_salaryscale", "workforce.import_salaryscale"}
_PARTY_ALL = _VIEW_PARTY | _EDIT_PARTY | _MANAGE_PARTY
_WORKFORCE_ALL = _VIEW_WORKFORCE | _EDIT_WORKFORCE | _MANAGE_WORKFORCE
_PARTY_WORKFORCE_GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _PARTY_ALL | _WORKFORCE_ALL | _SALARY_SCALE,
    Role.DISTRICT: _PARTY_ALL | _WORKFORCE_ALL,
    Role.STREET: _PARTY_ALL | _WORKFORCE_ALL,
    Role.COMMUNITY_SECRETARY: _VIEW_PARTY
    | _EDIT_PARTY
    | {"party.import_partymember", "party.export_partymember"}
    | _VIEW_WORKFORCE
    | {"workforce.change_staff", "workforce.export_staff"},
    Role.COMMUNITY_WORKER: _VIEW_PARTY
    | {"party.add_buildingleader", "party.add_centralhousehold", "party.change_centralhousehold"},
    Role.GRID_WORKER: set(_VIEW_PARTY),
}
ROLE_PERMISSIONS = {
    role: frozenset(perms | _PARTY_WORKFORCE_GRANTS.get(role, set()))
    for role, perms in ROLE_PERMISSIONS.items()
}

# --- workforce: competitions, studios, salons (created from the UI and API) ---------------------------
_VIEW_WF_EVENTS = {"workforce.view_studio", "workforce.view_salon", "workforce.view_competitionround"}
_EDIT_COMPETITIONS = {
    "workforce.add_competition",
    "workforce.change_competition",
    "workforce.add_competitionround",
}
_EDIT_STUDIOS = {"workforce.add_studio", "workforce.change_studio"}
_EDIT_SALONS = {"workforce.add_salon"}
_WF_EVENT_GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _VIEW_WF_EVENTS | _EDIT_COMPETITIONS | _EDIT_STUDIOS | _EDIT_SALONS,
    Role.DISTRICT: _VIEW_WF_EVENTS | _EDIT_COMPETITIONS | _EDIT_STUDIOS | _EDIT_SALONS,
    Role.STREET: _VIEW_WF_EVENTS | _EDIT_SALONS,
    Role.COMMUNITY_SECRETARY: set(_VIEW_WF_EVENTS),
}
ROLE_PERMISSIONS = {
    role: frozenset(perms | _WF_EVENT_GRANTS.get(role, set())) for role, perms in ROLE_PERMISSIONS.items()
}

# --- events (closed loop) and red property (events, property; docs/events-property.md) -------------
_VIEW_EVENTS = {"events.view_event", "events.view_category", "events.add_event"}
_DISPATCH_EVENTS = {"events.dispatch_event", "events.export_event", "events.view_dispatchrule"}
_HANDLE_EVENTS = {"events.handle_event"}
_PATROL = {
    "events.view_patrollog",
    "events.add_patrollog",
    "events.view_gridcouncil",
    "events.add_gridcouncil",
}
_VIEW_PROPERTY = {
    "property.view_propertycompany",
    "property.view_estate",
    "property.view_monthlyscore",
    "property.view_roundtable",
    "property.view_talk",
    "property.view_elimination",
}
_EDIT_PROPERTY = {
    "property.add_propertycompany",
    "property.change_propertycompany",
    "property.add_estate",
    "property.change_estate",
    "property.add_roundtable",
    "property.add_survey",
    "property.export_ranking",
}
_EVALUATE = {
    "property.score_party",
    "property.score_professional",
    "property.add_talk",
    "property.decide_elimination",
}
_EVENT_PROPERTY_GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _VIEW_EVENTS
    | _DISPATCH_EVENTS
    | _HANDLE_EVENTS
    | _PATROL
    | _VIEW_PROPERTY
    | _EDIT_PROPERTY
    | _EVALUATE,
    Role.DISTRICT: _VIEW_EVENTS
    | _DISPATCH_EVENTS
    | _HANDLE_EVENTS
    | _PATROL
    | _VIEW_PROPERTY
    | _EDIT_PROPERTY
    | _EVALUATE,
    Role.STREET: _VIEW_EVENTS
    | _DISPATCH_EVENTS
    | _HANDLE_EVENTS
    | _PATROL
    | _VIEW_PROPERTY
    | _EDIT_PROPERTY
    | _EVALUATE,
    Role.COMMUNITY_SECRETARY: _VIEW_EVENTS
    | _DISPATCH_EVENTS
    | _HANDLE_EVENTS
    | _PATROL
    | _VIEW_PROPERTY
    | _EDIT_PROPERTY
    | {"property.score_satisfaction"},
    Role.COMMUNITY_WORKER: _VIEW_EVENTS | _DISPATCH_EVENTS | _HANDLE_EVENTS | _PATROL | _VIEW_PROPERTY,
    # A grid worker and a property company export their own queue (what they may see).
    Role.GRID_WORKER: _VIEW_EVENTS | _HANDLE_EVENTS | _PATROL | {"events.export_event"},
    Role.PROPERTY: _VIEW_EVENTS | _HANDLE_EVENTS | {"events.export_event"},
    Role.RESIDENT: {"events.view_event", "events.view_category", "events.add_event", "events.rate_event"},
}
ROLE_PERMISSIONS = {
    role: frozenset(perms | _EVENT_PROPERTY_GRANTS.get(role, set()))
    for role, perms in ROLE_PERMISSIONS.items()
}

# --- points (points; docs/points.md) -----------------------------------------------------------------
_VIEW_POINTS = {
    "points.view_account",
    "points.view_transaction",
    "points.view_merchant",
    "points.view_scenario",
    "points.view_redemption",
    "points.view_activity",
    "points.view_participation",
    "points.view_earningrule",
    "points.view_staffaward",
    "points.view_performancepay",
}
_RUN_POINTS = {
    "points.add_activity",
    "points.change_participation",
    "points.approve_participation",
    "points.add_redemption",
}
_MANAGE_POINTS = {
    "points.add_scenario",
    "points.change_scenario",
    "points.add_merchant",
    "points.settle_merchant",
    "points.add_staffaward",
    "points.reverse_transaction",
    "points.fund_pool",
    "points.apply_performance",
}
_POINTS_RULES = {"points.add_earningrule", "points.change_earningrule", "points.split_account"}
_POINTS_GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _VIEW_POINTS | _RUN_POINTS | _MANAGE_POINTS | _POINTS_RULES,
    Role.DISTRICT: _VIEW_POINTS | _RUN_POINTS | _MANAGE_POINTS | _POINTS_RULES,
    Role.STREET: _VIEW_POINTS | _RUN_POINTS | _MANAGE_POINTS,
    Role.COMMUNITY_SECRETARY: _VIEW_POINTS
    | _RUN_POINTS
    | {"points.add_staffaward", "points.settle_merchant"},
    Role.COMMUNITY_WORKER: _VIEW_POINTS | _RUN_POINTS,
    Role.GRID_WORKER: {
        "points.view_activity",
        "points.view_participation",
        "points.add_activity",
        "points.change_participation",
    },
    # A merchant redeems and sees its own redemptions and statements (views narrow to merchant.user).
    Role.MERCHANT: {"points.add_redemption", "points.view_redemption", "points.settle_merchant"},
}
ROLE_PERMISSIONS = {
    role: frozenset(perms | _POINTS_GRANTS.get(role, set())) for role, perms in ROLE_PERMISSIONS.items()
}
