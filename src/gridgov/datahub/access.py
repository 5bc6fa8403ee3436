"""Which department a login acts for, and the sources it may push and read (the department roles)."""

from __future__ import annotations

from gridgov.accounts.roles import Role

from .models import DepartmentCode

ROLE_DEPARTMENT: dict[str, str] = {
    Role.DEPT_PUBLIC_SECURITY: DepartmentCode.PUBLIC_SECURITY,
    Role.DEPT_CIVIL_AFFAIRS: DepartmentCode.CIVIL_AFFAIRS,
    Role.DEPT_HOUSING: DepartmentCode.HOUSING,
    Role.DEPT_POLITICAL_LEGAL: DepartmentCode.POLITICAL_LEGAL,
}


def department_of(user) -> str | None:
    """The department code of a department login, None for everyone else (area roles, the system)."""
    role = getattr(user, "role", None)
    return str(ROLE_DEPARTMENT[role]) if role in ROLE_DEPARTMENT else None


def source_codes_of(department: str) -> tuple[str, ...]:
    from .sources import sources_of_department

    return sources_of_department(department)


def may_use_source(user, source_code: str) -> bool:
    """A department login pushes and reads only its own sources; an area role with the permission reads
    (and, the city administrator, pushes) every source."""
    dept = department_of(user)
    return dept is None or source_code in source_codes_of(dept)
