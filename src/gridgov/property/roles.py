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
EVALUATE = {
    "property.score_party",
    "property.score_professional",
    "property.add_talk",
    "property.decide_elimination",
}

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | EDIT | EVALUATE,
    Role.DISTRICT: VIEW | EDIT | EVALUATE,
    Role.STREET: VIEW | EDIT | EVALUATE,
    Role.COMMUNITY_SECRETARY: VIEW | EDIT | {"property.score_satisfaction"},
    Role.COMMUNITY_WORKER: VIEW,
}
