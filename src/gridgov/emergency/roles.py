"""What each role may do in normal and emergency mode (registered in EmergencyConfig.ready();
docs/emergency.md)."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "emergency.view_responder",
    "emergency.view_employerunit",
    "emergency.view_grouptemplate",
    "emergency.view_workgroup",
    "emergency.view_post",
    "emergency.view_activation",
    "emergency.view_acknowledgement",
    "emergency.view_readiness",
}
EDIT_RESPONDERS = {
    "emergency.add_responder",
    "emergency.change_responder",
    "emergency.import_responder",
    "emergency.export_responder",
}
FORM_GROUPS = {"emergency.form_workgroup"}
TEMPLATES = {
    "emergency.add_grouptemplate",
    "emergency.change_grouptemplate",
    "emergency.add_employerunit",
}
ACTIVATE = {"emergency.activate_emergency", "emergency.reassign_post"}

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | EDIT_RESPONDERS | FORM_GROUPS | TEMPLATES | ACTIVATE,
    Role.DISTRICT: VIEW | EDIT_RESPONDERS | FORM_GROUPS | TEMPLATES | ACTIVATE,
    Role.STREET: VIEW | EDIT_RESPONDERS | FORM_GROUPS | ACTIVATE | {"emergency.add_employerunit"},
    Role.COMMUNITY_SECRETARY: VIEW | EDIT_RESPONDERS | FORM_GROUPS,
    Role.COMMUNITY_WORKER: VIEW | EDIT_RESPONDERS,
    Role.GRID_WORKER: {
        "emergency.view_responder",
        "emergency.view_workgroup",
        "emergency.view_readiness",
        "emergency.view_activation",  # the activations covering the grid's community (and their boards)
    },
}
