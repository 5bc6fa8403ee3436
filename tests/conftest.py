"""Shared fixtures: a small city built through the services, a user for every role, clients.

The tree (paths in brackets)::

    青山市 [3799]
    ├── 东城区 [379901] ── 东华街道 [379901001]
    │   ├── 东一社区 [379901001001] ── 网格 A [...001], 网格 B [...002]
    │   └── 东二社区 [379901001002] ── 2 grids
    └── 西城区 [379902] ── 西华街道 [379902001] ── 2 communities ── 2 grids each
    远山市 [3800]  (a second city: out of scope even for the first city's administrator)

Every grid has one building with one unit; every unit one household ("101") with two residents
(a head with the tag 党员 on every other unit, and a child). Areas are plain ORM rows (tests/factories.py);
households and residents go through people.services, so they come with their audit rows.

Speed: the city and the users are built once per test module inside a transaction that is rolled back
when the module is done; every test runs in its own savepoint inside it (pytest-django's `db`), and the
`city` and `users` fixtures hand each test freshly read instances. Tests therefore see the same city
whatever ran before them, at the cost of a few queries each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pytest_django.plugin import blocking_manager_key
from rest_framework.test import APIClient

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.areas.models import Area, Level
from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.people import services as people_services
from gridgov.people.models import Household, Relation, Resident, Tag
from gridgov.people.reference import DEFAULT_TAGS, ensure_default_tags

from .factories import AreaFactory, UserFactory, make_child

SYSTEM = SystemActor("tests.city")  # the actor of set-up steps: reaches every area, audited as such

hypothesis_settings.register_profile(
    "gridgov",
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile("gridgov")

CITY_REGION = "110105"

# Roles in the order of the scope matrix; "anon" is the anonymous client.
ROLES = [
    "city_admin",
    "district",
    "street",
    "community_secretary",
    "community_worker",
    "grid_worker",
    "property",
    "resident",
]


@dataclass
class City:
    city: Area
    districts: list[Area]
    streets: list[Area]
    communities: list[Area]
    grids: list[Area]
    buildings: list[Area]
    units: list[Area]
    households: list[Household]
    residents: list[Resident]
    other_city: list[Area]  # root to unit of the second city
    other_household: Household
    other_residents: list[Resident]
    id_numbers: dict[int, str] = field(default_factory=dict)  # resident pk -> full number
    phones: dict[int, str] = field(default_factory=dict)

    # Grid A and B lie in the same community (东一社区); the other grids are further away.
    @property
    def grid_a(self) -> Area:
        return self.grids[0]

    @property
    def grid_b(self) -> Area:
        return self.grids[1]

    @property
    def building_a(self) -> Area:
        return self.buildings[0]

    @property
    def unit_a(self) -> Area:
        return self.units[0]

    @property
    def household_a(self) -> Household:
        return self.households[0]

    @property
    def resident_a(self) -> Resident:
        return self.residents[0]

    @property
    def all_units(self) -> list[Area]:
        return [*self.units, self.other_city[-1]]

    @property
    def all_households(self) -> list[Household]:
        return [*self.households, self.other_household]

    @property
    def all_residents(self) -> list[Resident]:
        return [*self.residents, *self.other_residents]

    def unit_outside(self, user: User) -> Area:
        """The nearest unit that is not in the user's subtree (grid B for grid A's worker, ...)."""
        root = user.area.path
        # Ordered nearest first: grid B, the other community, the other district, the other city.
        for index in (1, 2, 4):
            candidate = self.units[index]
            if not candidate.path.startswith(root):
                return candidate
        return self.other_city[-1]

    def household_outside(self, user: User) -> Household:
        unit = self.unit_outside(user)
        return next(h for h in self.all_households if h.unit_id == unit.pk)

    def resident_outside(self, user: User) -> Resident:
        household = self.household_outside(user)
        return next(r for r in self.all_residents if r.household_id == household.pk)


def _add_people(
    city_units: list[Area], *, first_seq: int, party: Tag, prefix: str = ""
) -> tuple[list, list, dict, dict]:
    households, residents, ids, phones = [], [], {}, {}
    for i, unit in enumerate(city_units):
        household = people_services.create_household(SYSTEM, unit=unit, number="101")
        households.append(household)
        members = [
            (
                Relation.HEAD,
                f"{prefix}户主{chr(0x7532 + i)}",
                dt.date(1985 - 7 * i, 3, 15),
                2 * (first_seq + i) + 1,
            ),
            (Relation.CHILD, f"{prefix}子女{chr(0x7532 + i)}", dt.date(2000 + i, 6, 1), 2 * (first_seq + i)),
        ]
        for relation, name, birth, seq in members:
            number = idcard.build(CITY_REGION, birth, seq)
            phone = f"1380000{first_seq + len(residents):04d}"
            resident = people_services.register_resident(
                SYSTEM,
                household=household,
                name=name,
                id_number=number,
                phone=phone,
                relation=relation,
                tags=[party] if relation == Relation.HEAD and i % 2 == 0 else [],
            )
            residents.append(resident)
            ids[resident.pk] = number
            phones[resident.pk] = phone
    return households, residents, ids, phones


def _ensure_tags() -> None:
    if Tag.objects.count() < len(DEFAULT_TAGS):  # a transactional test flushed the seeded rows
        ensure_default_tags()


@pytest.fixture
def tags(db) -> dict[str, Tag]:
    """The tags the migration seeds, by code."""
    _ensure_tags()
    return {t.code: t for t in Tag.objects.all()}


def build_city(tags: dict[str, Tag]) -> City:
    city = AreaFactory(path="3799", name="青山市")
    districts = [make_child(city, "东城区"), make_child(city, "西城区")]
    streets = [make_child(districts[0], "东华街道"), make_child(districts[1], "西华街道")]
    communities = [
        make_child(streets[0], "东一社区"),
        make_child(streets[0], "东二社区"),
        make_child(streets[1], "西一社区"),
        make_child(streets[1], "西二社区"),
    ]
    grids, buildings, units = [], [], []
    for community in communities:
        for n in (1, 2):
            grid = make_child(community, f"{community.name}第{n}网格")
            building = make_child(grid, f"{grid.name}1号楼")
            unit = make_child(building, f"{building.name}1单元")
            grids.append(grid)
            buildings.append(building)
            units.append(unit)
    households, residents, ids, phones = _add_people(units, first_seq=0, party=tags["party_member"])

    other = [AreaFactory(path="3800", name="远山市")]
    for level in range(Level.DISTRICT, Level.UNIT + 1):
        other.append(make_child(other[-1], f"远山{Level(level).label}"))
    other_households, other_residents, other_ids, other_phones = _add_people(
        [other[-1]], first_seq=100, party=tags["party_member"], prefix="远"
    )
    ids.update(other_ids)
    phones.update(other_phones)
    return City(
        city=city,
        districts=districts,
        streets=streets,
        communities=communities,
        grids=grids,
        buildings=buildings,
        units=units,
        households=households,
        residents=residents,
        other_city=other,
        other_household=other_households[0],
        other_residents=other_residents,
        id_numbers=ids,
        phones=phones,
    )


def build_users(city: City) -> dict[str, User]:
    """One user per role, bound to the node the role belongs on, plus a second grid worker (grid B)."""
    bound = {
        "city_admin": (Role.CITY_ADMIN, city.city),
        "district": (Role.DISTRICT, city.districts[0]),
        "street": (Role.STREET, city.streets[0]),
        "community_secretary": (Role.COMMUNITY_SECRETARY, city.communities[0]),
        "community_worker": (Role.COMMUNITY_WORKER, city.communities[0]),
        "grid_worker": (Role.GRID_WORKER, city.grid_a),
        "grid_worker_b": (Role.GRID_WORKER, city.grid_b),
        "property": (Role.PROPERTY, city.building_a),
        "resident": (Role.RESIDENT, city.unit_a),
    }
    return {key: UserFactory(username=key, role=role, area=area) for key, (role, area) in bound.items()}


def _fresh(stored: City) -> City:
    """The same city with every object re-read, so what one test did to its instances never reaches the next."""
    areas = Area.objects.unscoped("test fixture").in_bulk()
    households = Household.objects.unscoped("test fixture").in_bulk()
    residents = Resident.objects.unscoped("test fixture").in_bulk()
    return replace(
        stored,
        city=areas[stored.city.pk],
        **{
            name: [areas[a.pk] for a in getattr(stored, name)]
            for name in ("districts", "streets", "communities", "grids", "buildings", "units", "other_city")
        },
        households=[households[h.pk] for h in stored.households],
        residents=[residents[r.pk] for r in stored.residents],
        other_household=households[stored.other_household.pk],
        other_residents=[residents[r.pk] for r in stored.other_residents],
        id_numbers=dict(stored.id_numbers),
        phones=dict(stored.phones),
    )


class _ModuleTransaction:
    """The transaction around one module's shared city (at most one is open at a time)."""

    atomic: transaction.Atomic | None = None
    current_test_is_transactional = False  # set before each test's fixtures

    @classmethod
    def open(cls) -> None:
        cls.atomic = transaction.atomic()
        cls.atomic.__enter__()

    @classmethod
    def close(cls) -> None:
        if cls.atomic is not None:
            atomic, cls.atomic = cls.atomic, None
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(item.fixturenames)
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Transactional tests must start outside any transaction. pytest-django runs them after all others,
    but the shared city of their module may still be open: roll it back before their fixtures are set up."""
    _ModuleTransaction.current_test_is_transactional = _is_transactional(item)
    if _ModuleTransaction.current_test_is_transactional and _ModuleTransaction.atomic is not None:
        with item.config.stash[blocking_manager_key].unblock():
            _ModuleTransaction.close()


@pytest.fixture(scope="module")
def _module_city(django_db_setup, django_db_blocker):
    """Build the city once per module, in a transaction rolled back when the module is done.

    Each test still runs in its own savepoint inside it (pytest-django's `db` fixture nests), so every
    test starts from the same city; `city` and `users` hand out freshly read instances. Nothing is
    shared when the module's first user is a transactional test.
    """
    if _ModuleTransaction.current_test_is_transactional:
        yield None
        return
    with django_db_blocker.unblock():
        _ModuleTransaction.open()
        try:
            _ensure_tags()
            stored = build_city({t.code: t for t in Tag.objects.all()})
            user_pks = {key: user.pk for key, user in build_users(stored).items()}
        except BaseException:
            _ModuleTransaction.close()
            raise
    yield stored, user_pks
    with django_db_blocker.unblock():
        _ModuleTransaction.close()


@pytest.fixture
def _city_and_user_pks(request, _module_city, db) -> tuple[City, dict[str, int]]:
    if _is_transactional(request.node):
        # Another thread (live server, Celery worker) must see the rows: build them committed, for this
        # test only (the transactional test case flushes the database afterwards).
        _ensure_tags()
        built = build_city({t.code: t for t in Tag.objects.all()})
        return built, {key: user.pk for key, user in build_users(built).items()}
    if _module_city is None or _ModuleTransaction.atomic is None:
        pytest.fail(
            "the module's shared city is gone: a transactional test of this module ran before this one"
        )
    return _module_city


@pytest.fixture
def city(_city_and_user_pks) -> City:
    return _fresh(_city_and_user_pks[0])


@pytest.fixture
def users(city: City, _city_and_user_pks) -> dict[str, User]:
    user_pks = _city_and_user_pks[1]
    by_pk = User.objects.select_related("area").in_bulk(list(user_pks.values()))
    return {key: by_pk[pk] for key, pk in user_pks.items()}


@pytest.fixture
def api_for(users):
    """api_for("grid_worker") -> an APIClient authenticated as that user; api_for(None) is anonymous."""

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None and role != "anon":
            client.force_authenticate(users[role])
        return client

    return make


@pytest.fixture
def client_for(users):
    """client_for("street") -> a Django test client logged in as that user; None is anonymous."""

    def make(role: str | None) -> Client:
        client = Client()
        if role is not None and role != "anon":
            client.force_login(users[role])
        return client

    return make


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run tasks in-process even when REDIS_URL configures a real broker (test_celery_redis opts out)."""
    from gridgov.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def pytest_generate_tests(metafunc):
    """Base test classes list roles in class attributes (allowed_roles, writer_roles, ...); a test that asks
    for the fixture `allowed_role` runs once per role in `allowed_roles`, and so on for any `*_role`."""
    cls = metafunc.cls
    for name in metafunc.fixturenames:
        if not name.endswith("_role") or cls is None or not hasattr(cls, name + "s"):
            continue
        roles = list(getattr(cls, name + "s"))
        metafunc.parametrize(
            name, roles or [pytest.param(None, marks=pytest.mark.skip(reason=f"no {name}s"))]
        )
