"""What each role may do with property companies, estates and their evaluation
(registered in PropertyConfig.ready())."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {
    "property.view_propertycompany",
    "property.view_estate",
    "property.view_monthlyscore",
    "property.view_roundtable",
    "property.view_talk",
    "property.view_elimination",
    "property.view_standardscheck",
    "property.view_orgmembership",
}
EDIT = {
    "property.add_propertycompany",
    "property.change_propertycompany",
    "property.add_estate",
    "property.change_estate",
    "property.add_roundtable",
    "property.add_survey",
    "property.export_ranking",
}
# Supervising the evaluation: the 10-standards checks, the member companies of the property party
# organisations, talks and eliminations.
EVALUATE = {
    "property.add_standardscheck",
    "property.add_orgmembership",
    "property.change_orgmembership",
    "property.add_talk",
    "property.decide_elimination",
}
# Each of the three scorers is one role (services.SCORER_ROLE): a login enters only its own third.
# The city supervises and enters none.

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | EDIT | EVALUATE,
    Role.DISTRICT: VIEW | EDIT | EVALUATE | {"property.score_professional"},
    Role.STREET: VIEW | EDIT | EVALUATE | {"property.score_party"},
    Role.COMMUNITY_SECRETARY: VIEW | EDIT | {"property.score_satisfaction"},
    Role.COMMUNITY_WORKER: VIEW,
}
