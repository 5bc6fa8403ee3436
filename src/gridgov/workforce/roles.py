"""What each role may do with the community workforce (registered in WorkforceConfig.ready())."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "workforce.view_quotarule",
    "workforce.view_staff",
    "workforce.view_gridassignment",
    "workforce.view_gridlink",
    "workforce.view_training",
    "workforce.view_competition",
    "workforce.view_presentation",
    "workforce.view_evaluation",
    "workforce.view_replacement",
    "workforce.view_payroll",
    "workforce.view_salaryscale",
}
EDIT = {"workforce.add_staff", "workforce.change_staff", "workforce.change_presentation"}
MANAGE = {
    "workforce.import_staff",
    "workforce.export_staff",
    "workforce.replace_secretary",
    "workforce.add_payroll",
    "workforce.compute_payroll",
}
SALARY_SCALE = {"workforce.add_salaryscale", "workforce.import_salaryscale"}  # the city-wide 3×18 scale
# the city-wide quota rule: every reader of the staffing checks sees it (VIEW), the city sets it
QUOTA_EDIT = {"workforce.add_quotarule", "workforce.change_quotarule"}

# Competitions, studios and salons (created from the pages and the API).
VIEW_EVENTS = {"workforce.view_studio", "workforce.view_salon", "workforce.view_competitionround"}
EDIT_COMPETITIONS = {
    "workforce.add_competition",
    "workforce.change_competition",
    "workforce.add_competitionround",
}
EDIT_STUDIOS = {"workforce.add_studio", "workforce.change_studio"}
EDIT_SALONS = {"workforce.add_salon"}
ALL_EVENTS = VIEW_EVENTS | EDIT_COMPETITIONS | EDIT_STUDIOS | EDIT_SALONS

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | EDIT | MANAGE | SALARY_SCALE | ALL_EVENTS | QUOTA_EDIT,
    Role.DISTRICT: VIEW | EDIT | MANAGE | ALL_EVENTS,
    Role.STREET: VIEW | EDIT | MANAGE | VIEW_EVENTS | EDIT_SALONS,
    Role.COMMUNITY_SECRETARY: VIEW | {"workforce.change_staff", "workforce.export_staff"} | VIEW_EVENTS,
}
