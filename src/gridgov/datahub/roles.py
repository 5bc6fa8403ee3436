"""What each role may do in the data hub (registered in DatahubConfig.ready(); docs/datahub.md).

Department logins (bound to the city) push and read their own sources' batches and the findings whose
rules read those sources — the models' `scope_rule` narrows them (datahub.access); they do not start
runs, verify or decide. Area roles see the findings of their subtree: the grid worker verifies through the
work order, the street and community record the outcome; the city runs the collisions and sees everything.
"""

from __future__ import annotations

from gridgov.accounts.roles import Role

READ_DATA = {
    "datahub.view_source",
    "datahub.view_batch",
    "datahub.view_batcherror",
    "datahub.view_raw_batch",
}
PUSH = {"datahub.push_batch"}
READ_FINDINGS = {"datahub.view_finding", "datahub.view_run", "datahub.view_runtally"}
DEPARTMENT = READ_DATA | PUSH | READ_FINDINGS

GRANTS: dict[str, set[str]] = {
    Role.CITY_ADMIN: DEPARTMENT
    | {
        "datahub.start_run",
        "datahub.decide_finding",
        "datahub.unmask_finding",
        "datahub.add_departmenttoken",
        "datahub.view_departmenttoken",
    },
    Role.DISTRICT: READ_FINDINGS | {"datahub.decide_finding", "datahub.unmask_finding"},
    Role.STREET: READ_FINDINGS | {"datahub.decide_finding", "datahub.unmask_finding"},
    Role.COMMUNITY_SECRETARY: READ_FINDINGS | {"datahub.decide_finding"},
    Role.COMMUNITY_WORKER: READ_FINDINGS,
    Role.GRID_WORKER: {"datahub.view_finding", "datahub.verify_finding"},
    Role.DEPT_PUBLIC_SECURITY: DEPARTMENT,
    Role.DEPT_CIVIL_AFFAIRS: DEPARTMENT,
    Role.DEPT_HOUSING: DEPARTMENT,
    Role.DEPT_POLITICAL_LEGAL: DEPARTMENT,
}
