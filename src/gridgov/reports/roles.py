"""What each role may do with the indicator tables (registered in ReportsConfig.ready(); docs/reports.md)."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {"reports.view_indicatorsnapshot"}
REFRESH = {"reports.refresh_indicatorsnapshot"}
GENERATE = {"reports.generate_workreport"}  # the work report (reports/workreport.py)

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | REFRESH | GENERATE,
    Role.DISTRICT: VIEW | REFRESH | GENERATE,
    Role.STREET: VIEW | REFRESH | GENERATE,
    Role.COMMUNITY_SECRETARY: VIEW | REFRESH | GENERATE,
    Role.COMMUNITY_WORKER: VIEW,
}
