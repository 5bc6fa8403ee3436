"""Department roles: bound to the city, managed only by the city administrator, narrowed to their own
sources (batches, records, findings) by the models' scope rules."""

from __future__ import annotations

import pytest

from gridgov.accounts import services as accounts
from gridgov.accounts.roles import ROLE_LEVEL, ROLE_PERMISSIONS, Role, may_manage
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.datahub import services
from gridgov.datahub.models import Batch, CaDeath, VehicleRecord
from gridgov.datahub.sources import spec

from .exchange_helpers import csv_bytes, death_rows, department_user, id_number

SYSTEM = SystemActor("tests.datahub")
pytestmark = pytest.mark.django_db
DEPARTMENTS = (
    Role.DEPT_PUBLIC_SECURITY,
    Role.DEPT_CIVIL_AFFAIRS,
    Role.DEPT_HOUSING,
    Role.DEPT_POLITICAL_LEGAL,
)


def test_department_roles_are_city_level_and_managed_by_the_city_only():
    for role in DEPARTMENTS:
        assert ROLE_LEVEL[role] == 1
        assert may_manage(Role.CITY_ADMIN, role)
        assert not may_manage(Role.DISTRICT, role) and not may_manage(Role.STREET, role)
        assert not may_manage(role, Role.GRID_WORKER)
        perms = ROLE_PERMISSIONS[role]
        assert perms and all(p.startswith("datahub.") for p in perms)
        assert "datahub.start_run" not in perms and "datahub.decide_finding" not in perms


def test_a_department_account_must_sit_on_the_city(city, users):
    with pytest.raises(ServiceError):
        accounts.create_user(
            users["city_admin"],
            username="civ2",
            password="x" * 12,
            role=Role.DEPT_CIVIL_AFFAIRS,
            area=city.districts[0],
            display_name="民政",
        )
    user = accounts.create_user(
        users["city_admin"],
        username="civ3",
        password="x" * 12,
        role=Role.DEPT_CIVIL_AFFAIRS,
        area=city.city,
        display_name="民政",
    )
    assert user.role == Role.DEPT_CIVIL_AFFAIRS


def test_records_and_batches_are_narrowed_to_the_department(city):
    headers, rows = death_rows(city, [("王一", id_number(1))])
    services.receive_batch(SYSTEM, "ca_death", content=csv_bytes(headers, rows), filename="d.csv")
    civil = department_user(city, Role.DEPT_CIVIL_AFFAIRS)
    police = department_user(city, Role.DEPT_PUBLIC_SECURITY)
    assert CaDeath.objects.visible_to(civil).count() == 1
    assert CaDeath.objects.visible_to(police).count() == 0
    assert Batch.objects.visible_to(civil).count() == 1 and Batch.objects.visible_to(police).count() == 0
    assert VehicleRecord.objects.visible_to(civil).count() == 0


def test_every_source_belongs_to_one_of_the_four_departments():
    for code in ("ps_household", "vehicle"):
        assert spec(code).department == "public_security"
    assert {spec(c).department for c in ("ca_death", "ca_subsistence", "ca_disability")} == {"civil_affairs"}
