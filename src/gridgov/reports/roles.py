"""What each role may do with the indicator tables (registered in ReportsConfig.ready(); docs/reports.md)."""

from __future__ import annotations

from gridgov.accounts.roles import Role

VIEW = {"reports.view_indicatorsnapshot"}
REFRESH = {"reports.refresh_indicatorsnapshot"}

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: VIEW | REFRESH,
    Role.DISTRICT: VIEW | REFRESH,
    Role.STREET: VIEW | REFRESH,
    Role.COMMUNITY_SECRETARY: VIEW | REFRESH,
    Role.COMMUNITY_WORKER: VIEW,
}
