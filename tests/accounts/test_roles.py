"""Role grants: each app declares its own (`<app>/roles.py`), accounts reads the merged table.

OLD_TABLE is the table accounts/roles.py held before the grants moved into the apps, frozen as data
(one line per app: its codenames). The merged grants must answer it exactly: moving the declarations
changed no one's permissions.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured

from gridgov.accounts.roles import ROLE_PERMISSIONS, Role
from gridgov.core import roles as role_grants

from ..base import MANAGE_PEOPLE_ROLES, REZONE_ROLES, UNMASK_ROLES, VIEW_AREA_ROLES, VIEW_PEOPLE_ROLES

OLD_TABLE: dict[str, str] = {
    "city_admin": """
        accounts: manage_user
        areas: add_area change_area rezone_area view_area view_areachange
        core: view_auditevent
        events: add_event add_gridcouncil add_patrollog dispatch_event export_event handle_event
            view_category view_dispatchrule view_event view_gridcouncil view_patrollog
        facilities: add_candidatesite add_facility add_walknetwork change_candidatesite change_facility
            export_facility import_facility import_walknetwork recompute_coverage view_buildingaccess
            view_candidatesite view_coveragerun view_facility view_nearby view_walknetwork
        party: add_buildingleader add_centralhousehold add_partymember add_partyorg change_centralhousehold
            change_partymember change_partyorg export_partymember import_partymember reorganise_partyorg
            view_buildingleader view_centralhousehold view_orgchange view_partymember view_partyorg
        people: add_household add_resident change_household change_resident export_resident import_resident
            unmask_resident view_household view_resident view_tag
        points: add_activity add_earningrule add_merchant add_redemption add_scenario add_staffaward
            apply_performance approve_participation change_earningrule change_participation change_scenario
            fund_pool reverse_transaction settle_merchant split_account view_account view_activity
            view_earningrule view_merchant view_participation view_performancepay view_redemption
            view_scenario view_staffaward view_transaction
        property: add_estate add_orgmembership add_propertycompany add_roundtable add_standardscheck
            add_survey add_talk change_estate change_orgmembership change_propertycompany
            decide_elimination export_ranking view_elimination view_estate view_monthlyscore
            view_orgmembership view_propertycompany view_roundtable view_standardscheck view_talk
        workforce: add_competition add_competitionround add_payroll add_salaryscale add_salon add_staff
            add_studio change_competition change_presentation change_staff change_studio compute_payroll
            export_staff import_salaryscale import_staff replace_secretary view_competition
            view_competitionround view_evaluation view_gridassignment view_payroll view_presentation
            view_replacement view_salaryscale view_salon view_staff view_studio view_training
        party: add_dualreportservice add_fundspending add_gridfund add_mutualaidgroup change_mutualaidgroup import_dualreportservice view_dualreportservice view_gridfund view_mutualaidgroup
        points: add_gridscorerule view_gridscore view_gridscorerule view_monthclose
        workforce: add_quotarule change_quotarule view_gridlink view_quotarule
    """,
    "district": """
        accounts: manage_user
        areas: add_area change_area rezone_area view_area view_areachange
        core: view_auditevent
        events: add_event add_gridcouncil add_patrollog dispatch_event export_event handle_event
            view_category view_dispatchrule view_event view_gridcouncil view_patrollog
        facilities: add_candidatesite add_facility change_candidatesite change_facility export_facility
            import_facility recompute_coverage view_buildingaccess view_candidatesite view_coveragerun
            view_facility view_nearby view_walknetwork
        party: add_buildingleader add_centralhousehold add_partymember add_partyorg change_centralhousehold
            change_partymember change_partyorg export_partymember import_partymember reorganise_partyorg
            view_buildingleader view_centralhousehold view_orgchange view_partymember view_partyorg
        people: add_household add_resident change_household change_resident export_resident import_resident
            unmask_resident view_household view_resident view_tag
        points: add_activity add_earningrule add_merchant add_redemption add_scenario add_staffaward
            apply_performance approve_participation change_earningrule change_participation change_scenario
            fund_pool reverse_transaction settle_merchant split_account view_account view_activity
            view_earningrule view_merchant view_participation view_performancepay view_redemption
            view_scenario view_staffaward view_transaction
        property: add_estate add_orgmembership add_propertycompany add_roundtable add_standardscheck
            add_survey add_talk change_estate change_orgmembership change_propertycompany
            decide_elimination export_ranking score_professional view_elimination view_estate
            view_monthlyscore view_orgmembership view_propertycompany view_roundtable view_standardscheck
            view_talk
        workforce: add_competition add_competitionround add_payroll add_salon add_staff add_studio
            change_competition change_presentation change_staff change_studio compute_payroll export_staff
            import_staff replace_secretary view_competition view_competitionround view_evaluation
            view_gridassignment view_payroll view_presentation view_replacement view_salaryscale view_salon
            view_staff view_studio view_training
        party: add_dualreportservice add_fundspending add_gridfund add_mutualaidgroup change_mutualaidgroup import_dualreportservice view_dualreportservice view_gridfund view_mutualaidgroup
        points: add_gridscorerule view_gridscore view_gridscorerule view_monthclose
        workforce: view_gridlink view_quotarule
    """,
    "street": """
        accounts: manage_user
        areas: add_area change_area rezone_area view_area view_areachange
        core: view_auditevent
        events: add_event add_gridcouncil add_patrollog dispatch_event export_event handle_event
            view_category view_dispatchrule view_event view_gridcouncil view_patrollog
        facilities: add_candidatesite add_facility change_candidatesite change_facility export_facility
            import_facility recompute_coverage view_buildingaccess view_candidatesite view_coveragerun
            view_facility view_nearby view_walknetwork
        party: add_buildingleader add_centralhousehold add_partymember add_partyorg change_centralhousehold
            change_partymember change_partyorg export_partymember import_partymember reorganise_partyorg
            view_buildingleader view_centralhousehold view_orgchange view_partymember view_partyorg
        people: add_household add_resident change_household change_resident export_resident import_resident
            unmask_resident view_household view_resident view_tag
        points: add_activity add_merchant add_redemption add_scenario add_staffaward apply_performance
            approve_participation change_participation change_scenario fund_pool reverse_transaction
            settle_merchant view_account view_activity view_earningrule view_merchant view_participation
            view_performancepay view_redemption view_scenario view_staffaward view_transaction
        property: add_estate add_orgmembership add_propertycompany add_roundtable add_standardscheck
            add_survey add_talk change_estate change_orgmembership change_propertycompany
            decide_elimination export_ranking score_party view_elimination view_estate view_monthlyscore
            view_orgmembership view_propertycompany view_roundtable view_standardscheck view_talk
        workforce: add_payroll add_salon add_staff change_presentation change_staff compute_payroll
            export_staff import_staff replace_secretary view_competition view_competitionround
            view_evaluation view_gridassignment view_payroll view_presentation view_replacement
            view_salaryscale view_salon view_staff view_studio view_training
        party: add_dualreportservice add_fundspending add_gridfund add_mutualaidgroup change_mutualaidgroup import_dualreportservice view_dualreportservice view_gridfund view_mutualaidgroup
        points: view_gridscore view_gridscorerule view_monthclose
        workforce: view_gridlink view_quotarule
    """,
    "community_secretary": """
        areas: view_area view_areachange
        events: add_event add_gridcouncil add_patrollog dispatch_event export_event handle_event
            view_category view_dispatchrule view_event view_gridcouncil view_patrollog
        facilities: add_candidatesite add_facility change_candidatesite change_facility export_facility
            view_buildingaccess view_candidatesite view_coveragerun view_facility view_nearby
            view_walknetwork
        party: add_buildingleader add_centralhousehold add_partymember add_partyorg change_centralhousehold
            change_partymember change_partyorg export_partymember import_partymember view_buildingleader
            view_centralhousehold view_orgchange view_partymember view_partyorg
        people: add_household add_resident change_household change_resident export_resident import_resident
            unmask_resident view_household view_resident view_tag
        points: add_activity add_redemption add_staffaward approve_participation change_participation
            settle_merchant view_account view_activity view_earningrule view_merchant view_participation
            view_performancepay view_redemption view_scenario view_staffaward view_transaction
        property: add_estate add_propertycompany add_roundtable add_survey change_estate
            change_propertycompany export_ranking score_satisfaction view_elimination view_estate
            view_monthlyscore view_orgmembership view_propertycompany view_roundtable view_standardscheck
            view_talk
        workforce: change_staff export_staff view_competition view_competitionround view_evaluation
            view_gridassignment view_payroll view_presentation view_replacement view_salaryscale view_salon
            view_staff view_studio view_training
        party: add_dualreportservice add_fundspending add_gridfund add_mutualaidgroup change_mutualaidgroup import_dualreportservice view_dualreportservice view_gridfund view_mutualaidgroup
        points: close_month view_gridscore view_gridscorerule view_monthclose
        workforce: view_gridlink view_quotarule
    """,
    "community_worker": """
        areas: view_area view_areachange
        events: add_event add_gridcouncil add_patrollog dispatch_event export_event handle_event
            view_category view_dispatchrule view_event view_gridcouncil view_patrollog
        facilities: add_candidatesite add_facility change_candidatesite change_facility view_buildingaccess
            view_candidatesite view_coveragerun view_facility view_nearby view_walknetwork
        party: add_buildingleader add_centralhousehold change_centralhousehold view_buildingleader
            view_centralhousehold view_orgchange view_partymember view_partyorg
        people: add_household add_resident change_household change_resident export_resident import_resident
            view_household view_resident view_tag
        points: add_activity add_redemption approve_participation change_participation view_account
            view_activity view_earningrule view_merchant view_participation view_performancepay
            view_redemption view_scenario view_staffaward view_transaction
        property: view_elimination view_estate view_monthlyscore view_orgmembership view_propertycompany
            view_roundtable view_standardscheck view_talk
        party: view_dualreportservice view_gridfund view_mutualaidgroup
    """,
    "grid_worker": """
        areas: view_area view_areachange
        events: add_event add_gridcouncil add_patrollog export_event handle_event view_category view_event
            view_gridcouncil view_patrollog
        facilities: view_buildingaccess view_candidatesite view_coveragerun view_facility view_nearby
            view_walknetwork
        party: view_buildingleader view_centralhousehold view_orgchange view_partymember view_partyorg
        people: add_household add_resident change_household change_resident view_household view_resident
            view_tag
        points: add_activity change_participation view_activity view_participation
        party: view_dualreportservice view_gridfund view_mutualaidgroup
    """,
    "property": """
        areas: view_area view_areachange
        events: add_event export_event handle_event view_category view_event
        facilities: view_nearby
    """,
    "merchant": """
        areas: view_area view_areachange
        facilities: view_nearby
        points: add_redemption settle_merchant view_redemption
    """,
    "resident": """
        events: add_event rate_event view_category view_event
        facilities: view_nearby
    """,
}


def _parse(block: str) -> frozenset[str]:
    perms: set[str] = set()
    app = ""
    for line in block.strip().splitlines():
        head, sep, rest = line.strip().partition(":")
        if sep:
            app, words = head, rest
        else:
            words = line
        perms.update(f"{app}.{codename}" for codename in words.split())
    return frozenset(perms)


# Permissions on models added to the old apps since the table was frozen (people's correction requests).
ADDED_SINCE = {"people.view_correctionrequest", "people.decide_correctionrequest"}


def test_merged_grants_equal_the_old_table_exactly():
    old = {role: _parse(block) for role, block in OLD_TABLE.items()}
    assert sum(len(p) for p in old.values()) == 654  # the parser read every line
    # roles added since (the data hub's departments) join the table; none of the old ones went away
    assert set(ROLE_PERMISSIONS) == set(Role.values) >= set(old)
    old_apps = {p.split(".", 1)[0] for perms in old.values() for p in perms}

    def in_old_apps(role: str) -> frozenset[str]:
        return frozenset(
            p for p in ROLE_PERMISSIONS[role] if p.split(".", 1)[0] in old_apps and p not in ADDED_SINCE
        )

    # an app added since (emergency, datahub, ...) brings grants of its own; the old apps' must not move
    merged = {role: in_old_apps(role) for role in old}
    for role in old:
        assert merged[role] == old[role], role
    assert merged == old
    # a new role reaches nothing in the old apps (a department sees its own sources only)
    assert all(not in_old_apps(role) for role in set(Role.values) - set(old))


def test_every_app_with_permissions_declares_its_own():
    registered = set(role_grants.registered_apps())
    before = ["core", "accounts", "areas", "people", "party", "workforce", "facilities", "points"]
    assert {*before, "events", "property"} <= registered
    assert registered <= {config.label for config in apps.get_app_configs()}
    for app in registered:
        for role, perms in role_grants.grants_of(app).items():
            assert role in Role.values
            assert {p.split(".", 1)[0] for p in perms} == {app}


@pytest.mark.django_db
def test_every_granted_permission_exists():
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted - existing == set()


def test_a_string_that_is_no_role_has_no_permissions():
    assert ROLE_PERMISSIONS.get("superuser") is None
    assert ROLE_PERMISSIONS.get("") is None
    with pytest.raises(KeyError):
        ROLE_PERMISSIONS["nobody"]


@pytest.fixture
def registry(monkeypatch):
    """The registry as it is; monkeypatch puts back the registry and the merged table built from it."""
    monkeypatch.setattr(role_grants, "_registry", dict(role_grants._registry))
    monkeypatch.setattr(role_grants, "_merged", None)
    return role_grants


def test_an_app_may_not_grant_another_apps_permissions(registry):
    with pytest.raises(ImproperlyConfigured, match=r"people\.view_resident"):
        registry.register("events", {Role.STREET: {"events.view_event", "people.view_resident"}})
    with pytest.raises(ImproperlyConfigured, match="does not own"):
        registry.register("events", {Role.STREET: {"events."}})


def test_registering_again_differently_is_refused(registry):
    again = {role: set(perms) for role, perms in registry.grants_of("points").items()}
    registry.register("points", again)  # the same grants again (a second ready()): accepted
    again[Role.RESIDENT] = {"points.view_account"}
    with pytest.raises(ImproperlyConfigured, match="twice"):
        registry.register("points", again)


def test_a_new_grant_reaches_the_role_and_an_unknown_role_is_refused(registry):
    assert "demo.view_thing" not in ROLE_PERMISSIONS[Role.RESIDENT]
    registry.register("demo", {Role.RESIDENT: {"demo.view_thing"}})
    assert "demo.view_thing" in ROLE_PERMISSIONS[Role.RESIDENT]
    assert "demo.view_thing" not in ROLE_PERMISSIONS[Role.MERCHANT]
    registry.register("web", {"janitor": {"web.view_page"}})
    with pytest.raises(ImproperlyConfigured, match="janitor"):
        ROLE_PERMISSIONS[Role.RESIDENT]


def test_role_lists_are_consistent():
    """The shared role lists must follow the role table, or every subclass would test the wrong thing."""

    def holders(perm):
        return {role for role, perms in ROLE_PERMISSIONS.items() if perm in perms}

    assert holders("areas.view_area") == set(VIEW_AREA_ROLES) | {"merchant"}
    assert holders("people.view_resident") == set(VIEW_PEOPLE_ROLES)
    assert holders("areas.rezone_area") == set(REZONE_ROLES)
    assert holders("people.unmask_resident") == set(UNMASK_ROLES)
    assert holders("people.import_resident") == set(MANAGE_PEOPLE_ROLES)


def test_reading_the_table_before_every_app_registered_is_refused(monkeypatch):
    """A module that read the table at import time would freeze it without the apps not yet ready."""
    monkeypatch.setattr(apps, "ready", False)
    with pytest.raises(AppRegistryNotReady):
        ROLE_PERMISSIONS[Role.STREET]


# Apps added since OLD_TABLE was frozen, frozen the same way (one line per app and role).
NEW_APPS_TABLE: dict[str, dict[str, str]] = {
    "reports": {
        "city_admin": "generate_workreport refresh_indicatorsnapshot view_indicatorsnapshot",
        "district": "generate_workreport refresh_indicatorsnapshot view_indicatorsnapshot",
        "street": "generate_workreport refresh_indicatorsnapshot view_indicatorsnapshot",
        "community_secretary": "generate_workreport refresh_indicatorsnapshot view_indicatorsnapshot",
        "community_worker": "view_indicatorsnapshot",
    },
}


def test_new_apps_grant_exactly_their_frozen_table():
    for app, table in NEW_APPS_TABLE.items():
        for role in Role.values:
            granted = {p for p in ROLE_PERMISSIONS[role] if p.split(".", 1)[0] == app}
            assert granted == {f"{app}.{codename}" for codename in table.get(role, "").split()}, (app, role)
