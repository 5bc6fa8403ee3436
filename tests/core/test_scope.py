"""The scope matrix (every API endpoint x every role) and the fail-closed scoped querysets."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas import services as area_services
from gridgov.areas.models import Area, AreaChange
from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent, Job
from gridgov.core.scope import OutOfScope, ScopeError
from gridgov.core.services import ServiceError
from gridgov.people import services as people_services
from gridgov.people.models import Household, Resident

from ..base import (
    MANAGE_PEOPLE_ROLES,
    REZONE_ROLES,
    UNMASK_ROLES,
    VIEW_AREA_ROLES,
    VIEW_PEOPLE_ROLES,
    state_of,
)
from ..conftest import ROLES
from ..factories import AreaFactory, HouseholdFactory, UserFactory, make_child
from ..helpers import resident_row, upload, xlsx_bytes

ALL_ROLES = tuple(ROLES)
NEW_ID = idcard.build("120101", dt.date(1991, 5, 6), 21)


@dataclass(frozen=True)
class Call:
    method: str
    url: Callable[[Any], str]
    data: Callable[[Any], Any] | None = None
    multipart: bool = False

    def perform(self, client, city):
        url = self.url(city)
        data = self.data(city) if self.data else None
        if self.multipart:
            return client.post(url, data, format="multipart")
        if self.method == "get":
            return client.get(url)
        return getattr(client, self.method)(url, data, format="json")


def _empty_unit(city) -> Area:
    return make_child(city.building_a, "空单元")


def _import_file(city):
    return {"file": upload(xlsx_bytes([resident_row("导入人", NEW_ID, city.unit_a.code)]))}


# name: (call, status when permitted, roles permitted, the call is audited)
MATRIX: dict[str, tuple[Call, int, tuple[str, ...], bool]] = {
    "areas-list": (Call("get", lambda c: reverse("area-list")), 200, VIEW_AREA_ROLES, False),
    "areas-detail": (
        Call("get", lambda c: reverse("area-detail", args=[c.unit_a.pk])),
        200,
        VIEW_AREA_ROLES,
        False,
    ),
    "areas-children": (
        Call("get", lambda c: reverse("area-children", args=[c.building_a.pk])),
        200,
        VIEW_AREA_ROLES,
        False,
    ),
    "areas-history": (
        Call("get", lambda c: reverse("area-history", args=[c.unit_a.pk])),
        200,
        VIEW_AREA_ROLES,
        False,
    ),
    "areas-move": (
        Call(
            "post",
            lambda c: reverse("area-move", args=[c.building_a.pk]),
            lambda c: {"new_parent": c.grid_b.pk, "reason": "网格调整"},
        ),
        200,
        REZONE_ROLES,
        True,
    ),
    "areas-retire": (
        Call(
            "post", lambda c: reverse("area-retire", args=[_empty_unit(c).pk]), lambda c: {"reason": "拆除"}
        ),
        200,
        REZONE_ROLES,
        True,
    ),
    "areas-rename": (
        Call("post", lambda c: reverse("area-rename", args=[c.unit_a.pk]), lambda c: {"name": "新名"}),
        200,
        REZONE_ROLES,
        True,
    ),
    "areas-create": (
        Call("post", lambda c: reverse("area-list"), lambda c: {"parent": c.building_a.pk, "name": "二单元"}),
        201,
        REZONE_ROLES,
        True,
    ),
    "households-list": (Call("get", lambda c: reverse("household-list")), 200, VIEW_PEOPLE_ROLES, False),
    "households-detail": (
        Call("get", lambda c: reverse("household-detail", args=[c.household_a.pk])),
        200,
        VIEW_PEOPLE_ROLES,
        False,
    ),
    "households-create": (
        Call("post", lambda c: reverse("household-list"), lambda c: {"unit": c.unit_a.pk, "number": "202"}),
        201,
        VIEW_PEOPLE_ROLES,
        True,
    ),
    "residents-list": (Call("get", lambda c: reverse("resident-list")), 200, VIEW_PEOPLE_ROLES, False),
    "residents-detail": (
        Call("get", lambda c: reverse("resident-detail", args=[c.resident_a.pk])),
        200,
        VIEW_PEOPLE_ROLES,
        False,
    ),
    "residents-create": (
        Call(
            "post",
            lambda c: reverse("resident-list"),
            lambda c: {
                "household": c.household_a.pk,
                "name": "新居民",
                "id_number": NEW_ID,
                "relation": "spouse",
            },
        ),
        201,
        VIEW_PEOPLE_ROLES,
        True,
    ),
    "residents-update": (
        Call(
            "patch", lambda c: reverse("resident-detail", args=[c.resident_a.pk]), lambda c: {"name": "改名"}
        ),
        200,
        VIEW_PEOPLE_ROLES,
        True,
    ),
    "residents-unmask": (
        Call("post", lambda c: reverse("resident-unmask", args=[c.resident_a.pk])),
        200,
        UNMASK_ROLES,
        True,
    ),
    "residents-search": (
        Call("post", lambda c: reverse("resident-search"), lambda c: {"q": c.resident_a.name}),
        200,
        VIEW_PEOPLE_ROLES,
        False,
    ),
    "residents-import": (
        Call("post", lambda c: reverse("resident-import-xlsx"), _import_file, multipart=True),
        201,
        MANAGE_PEOPLE_ROLES,
        True,
    ),
    "residents-export": (
        Call("get", lambda c: reverse("resident-export-xlsx")),
        200,
        MANAGE_PEOPLE_ROLES,
        True,
    ),
    "tags": (Call("get", lambda c: reverse("tag-list")), 200, VIEW_PEOPLE_ROLES, False),
    "jobs": (Call("get", lambda c: reverse("job-list")), 200, ALL_ROLES, False),
}


@pytest.mark.parametrize("role", ["anon", *ROLES])
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_scope_matrix(endpoint, role, city, api_for):
    call, ok, permitted, audited = MATRIX[endpoint]
    audit_rows = AuditEvent.objects.count()
    response = call.perform(api_for(role), city)
    if role == "anon":
        assert response.status_code in (401, 403)
    elif role in permitted:
        assert response.status_code == ok, response.content
    else:
        assert response.status_code == 403
    changed = AuditEvent.objects.count() != audit_rows
    assert changed == (audited and role in permitted)


# --- out of scope -------------------------------------------------------------------------------------
def _outside_grid(city, user: User) -> Area:
    return city.unit_outside(user).parent.parent


# name: (call for (city, user), roles that pass the permission check and so must get 404)
OUT_OF_SCOPE: dict[str, tuple[Callable[[Any, User, Any], Any], tuple[str, ...]]] = {
    "areas-detail": (
        lambda c, u, api: api.get(reverse("area-detail", args=[c.unit_outside(u).pk])),
        VIEW_AREA_ROLES,
    ),
    "areas-children": (
        lambda c, u, api: api.get(reverse("area-children", args=[c.unit_outside(u).parent_id])),
        VIEW_AREA_ROLES,
    ),
    "areas-history": (
        lambda c, u, api: api.get(reverse("area-history", args=[c.unit_outside(u).pk])),
        VIEW_AREA_ROLES,
    ),
    "areas-move-outside-building": (
        lambda c, u, api: api.post(
            reverse("area-move", args=[c.unit_outside(u).parent_id]),
            {"new_parent": c.grid_b.pk, "reason": "调整"},
            format="json",
        ),
        REZONE_ROLES,
    ),
    "areas-move-into-outside-grid": (
        lambda c, u, api: api.post(
            reverse("area-move", args=[c.building_a.pk]),
            {"new_parent": _outside_grid(c, u).pk, "reason": "调整"},
            format="json",
        ),
        REZONE_ROLES,
    ),
    "areas-retire": (
        lambda c, u, api: api.post(
            reverse("area-retire", args=[c.unit_outside(u).pk]), {"reason": "x"}, format="json"
        ),
        REZONE_ROLES,
    ),
    "areas-rename": (
        lambda c, u, api: api.post(
            reverse("area-rename", args=[c.unit_outside(u).pk]), {"name": "x"}, format="json"
        ),
        REZONE_ROLES,
    ),
    "households-detail": (
        lambda c, u, api: api.get(reverse("household-detail", args=[c.household_outside(u).pk])),
        VIEW_PEOPLE_ROLES,
    ),
    "residents-detail": (
        lambda c, u, api: api.get(reverse("resident-detail", args=[c.resident_outside(u).pk])),
        VIEW_PEOPLE_ROLES,
    ),
    "residents-update": (
        lambda c, u, api: api.patch(
            reverse("resident-detail", args=[c.resident_outside(u).pk]), {"name": "改名"}, format="json"
        ),
        VIEW_PEOPLE_ROLES,
    ),
    "residents-unmask": (
        lambda c, u, api: api.post(reverse("resident-unmask", args=[c.resident_outside(u).pk])),
        UNMASK_ROLES,
    ),
}


def _snapshot_everything():
    return (
        sorted(
            Area.objects.unscoped("test").values_list("pk", "path", "code", "name", "parent_id", "is_active")
        ),
        sorted(Household.objects.unscoped("test").values_list("pk", "area_path", "number")),
        sorted(Resident.objects.unscoped("test").values_list("pk", "area_path", "name", "household_id")),
        AreaChange.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(OUT_OF_SCOPE))
def test_out_of_scope_matrix(endpoint, role, city, users, api_for):
    call, permitted = OUT_OF_SCOPE[endpoint]
    before = _snapshot_everything()
    response = call(city, users[role], api_for(role))
    assert response.status_code == (404 if role in permitted else 403)
    assert _snapshot_everything() == before
    if response.status_code == 404:
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])


def _without_pk(body, pk: int):
    return re.sub(rf"\b{pk}\b", "<pk>", str(body))


@pytest.mark.parametrize(
    ("url_name", "field", "extra", "target"),
    [
        ("area-list", "parent", {"name": "越界单元"}, lambda c, u: c.unit_outside(u).parent),
        ("household-list", "unit", {"number": "909"}, lambda c, u: c.unit_outside(u)),
        (
            "resident-list",
            "household",
            {"name": "越界", "id_number": NEW_ID},
            lambda c, u: c.household_outside(u),
        ),
    ],
)
def test_create_under_out_of_scope_parent_looks_like_a_missing_one(
    url_name, field, extra, target, city, users, api_for
):
    """Referring to an out-of-scope parent answers exactly as for a parent that does not exist."""
    client = api_for("street")
    outside = target(city, users["street"])
    before = _snapshot_everything()
    response = client.post(reverse(url_name), {field: outside.pk, **extra}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    missing_pk = outside.pk + 10_000
    missing = client.post(reverse(url_name), {field: missing_pk, **extra}, format="json")
    assert _without_pk(response.json(), outside.pk) == _without_pk(missing.json(), missing_pk)
    assert _snapshot_everything() == before


def test_another_users_job_is_404(city, users, api_for):
    job = Job.objects.create(kind="people.export_residents", owner=users["street"])
    assert api_for("street").get(reverse("job-detail", args=[job.pk])).status_code == 200
    assert api_for("district").get(reverse("job-detail", args=[job.pk])).status_code == 404


def test_area_filter_with_out_of_scope_area_gives_nothing(city, users, api_for):
    client = api_for("community_worker")
    outside = city.unit_outside(users["community_worker"]).parent.parent.parent  # the other community
    assert client.get(reverse("resident-list"), {"area": outside.pk}).json()["count"] == 0
    assert client.get(reverse("household-list"), {"area": outside.pk}).json()["count"] == 0
    body = client.get(reverse("resident-list"), {"area": city.grid_a.pk}).json()
    assert {r["id"] for r in body["results"]} == {
        r.pk for r in city.residents if r.area_path.startswith(city.grid_a.path)
    }


# --- moving a resident --------------------------------------------------------------------------------
def test_service_refuses_moving_a_resident_into_another_grid(city, users):
    worker = users["grid_worker"]
    resident, target = city.resident_a, city.households[1]  # household in grid B
    before, audit_rows = state_of(resident), AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        people_services.update_resident(worker, resident, name="搬走了", household=target)
    assert state_of(resident) == before
    assert AuditEvent.objects.count() == audit_rows


def test_api_refuses_moving_a_resident_into_another_grid(city, users, api_for):
    resident, target = city.resident_a, city.households[1]
    before, audit_rows = state_of(resident), AuditEvent.objects.count()
    response = api_for("grid_worker").patch(
        reverse("resident-detail", args=[resident.pk]),
        {"household": target.pk, "name": "搬走了"},
        format="json",
    )
    assert response.status_code in (400, 404)
    assert state_of(resident) == before
    assert AuditEvent.objects.count() == audit_rows


def test_moving_a_resident_within_the_grid_works(city, users, api_for):
    other = people_services.create_household(SystemActor("test.setup"), unit=city.unit_a, number="102")
    resident = city.resident_a
    response = api_for("grid_worker").patch(
        reverse("resident-detail", args=[resident.pk]), {"household": other.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    resident.refresh_from_db()
    assert resident.household_id == other.pk
    assert resident.area_path == city.unit_a.path
    event = AuditEvent.objects.filter(action="people.update_resident").latest("id")
    assert event.before["household_id"] == city.household_a.pk
    assert event.after["household_id"] == other.pk
    assert event.after["area_path"] == city.unit_a.path


def test_services_refuse_out_of_scope_households_and_units(city, users):
    worker = users["grid_worker"]
    before = _snapshot_everything()
    with pytest.raises(OutOfScope):
        people_services.create_household(worker, unit=city.units[1], number="999")
    with pytest.raises(OutOfScope):
        people_services.register_resident(worker, household=city.households[1], name="越界", id_number=NEW_ID)
    with pytest.raises(OutOfScope):
        people_services.unmask_resident(users["community_secretary"], city.residents[4])  # other community
    assert _snapshot_everything() == before


# --- fail-closed querysets ----------------------------------------------------------------------------
QUERIES: dict[str, Callable[[Any], Any]] = {
    "list": lambda qs: list(qs.all()),
    "filter": lambda qs: list(qs.filter(pk__gt=0)),
    "len": lambda qs: len(qs.all()),
    "bool": lambda qs: bool(qs.all()),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "iterator": lambda qs: list(qs.all().iterator()),
    "update": lambda qs: qs.update(is_active=False),
    "delete": lambda qs: qs.all().delete(),
    "aggregate": lambda qs: qs.aggregate(n=Count("pk")),
    "get": lambda qs: qs.get(pk=1),
    "first": lambda qs: qs.first(),
    "values_list": lambda qs: list(qs.values_list("pk", flat=True)),
    "in_bulk": lambda qs: qs.in_bulk([1]),
    "slice": lambda qs: list(qs.order_by("pk")[:1]),
    "in_area_still_unresolved": lambda qs: qs.in_area("3799").count(),
}


@pytest.mark.parametrize("model", [Resident, Household, Area, AreaChange], ids=lambda m: m.__name__)
@pytest.mark.parametrize("query", list(QUERIES))
def test_scoped_queryset_fails_closed(model, query, city):
    before = _snapshot_everything()
    with pytest.raises(ScopeError):
        QUERIES[query](model.objects)
    assert _snapshot_everything() == before


def test_unscoped_and_visible_to_work(city, users):
    assert Resident.objects.unscoped("test: every resident").count() == len(city.all_residents)
    grid_worker = users["grid_worker"]
    visible = set(Resident.objects.visible_to(grid_worker).values_list("pk", flat=True))
    assert visible == {r.pk for r in city.all_residents if r.area_path.startswith(city.grid_a.path)}
    # Scope survives chaining in either order.
    assert Resident.objects.filter(relation="head").visible_to(grid_worker).count() == 1
    assert Resident.objects.visible_to(grid_worker).filter(relation="head").order_by("-pk").count() == 1
    assert Resident.objects.visible_to(grid_worker).exclude(pk__in=visible).count() == 0


def test_visible_to_users_without_a_scope_is_empty(city):
    from django.contrib.auth.models import AnonymousUser

    assert Resident.objects.visible_to(AnonymousUser()).count() == 0
    assert Resident.objects.visible_to(None).count() == 0
    no_area = UserFactory(role="grid_worker", area=None)
    assert Resident.objects.visible_to(no_area).count() == 0
    inactive = UserFactory(role="city_admin", area=city.city, is_active=False)
    assert Resident.objects.visible_to(inactive).count() == 0
    superuser = UserFactory(role="city_admin", area=None, is_superuser=True)
    assert Resident.objects.visible_to(superuser).count() == len(city.all_residents)


def test_sibling_subtrees_do_not_leak(db):
    """Paths that sort right next to each other: the range scan must stop at the subtree's end."""
    root = AreaFactory(path="3701", name="邻市")
    districts = [AreaFactory(parent=root, path=f"3701{n:02d}", name=f"区{n}") for n in (9, 10, 11)]
    user = UserFactory(role="district", area=districts[0])
    assert set(Area.objects.visible_to(user).values_list("pk", flat=True)) == {districts[0].pk}
    user2 = UserFactory(role="district", area=districts[1])
    assert set(Area.objects.visible_to(user2).values_list("pk", flat=True)) == {districts[1].pk}


def test_related_managers_are_bounded_by_their_parent(city):
    household = city.household_a
    assert set(household.members.values_list("pk", flat=True)) == {city.residents[0].pk, city.residents[1].pk}
    assert household.members.count() == 2
    assert list(city.unit_a.households.all()) == [household]
    assert list(city.building_a.children.all()) == [city.unit_a]
    assert city.resident_a.household == household  # forward relation
    prefetched = Household.objects.unscoped("test").prefetch_related("members").get(pk=household.pk)
    assert len(prefetched.members.all()) == 2


def test_household_factory_and_members_prefetch_through_visible_to(city, users):
    HouseholdFactory(unit=city.unit_a, number="102")
    rows = Household.objects.visible_to(users["grid_worker"]).prefetch_related("members").order_by("number")
    assert [(h.number, len(h.members.all())) for h in rows] == [("101", 2), ("102", 0)]


# --- subqueries and combinators -------------------------------------------------------------------------
def _visible(user):
    return Resident.objects.visible_to(user).order_by()  # SQLite: no ORDER BY inside a compound query


def _all():
    return Resident.objects.order_by()


# Each hands an unresolved scoped query to another query. Before the scope flag lived on the Query, the
# outer query ran it unchecked: a street user's union listed the whole city's residents.
UNRESOLVED_INSIDE: dict[str, Callable[[User], Any]] = {
    "in": lambda u: list(_visible(u).filter(household__in=Household.objects.all())),
    "in_values": lambda u: list(
        Household.objects.visible_to(u).filter(pk__in=Resident.objects.values("household"))
    ),
    "in_on_an_unscoped_model": lambda u: list(
        User.objects.filter(area__households__in=Household.objects.all())
    ),
    "exists": lambda u: list(
        Area.objects.visible_to(u).filter(Exists(Resident.objects.filter(area_path="3800")))
    ),
    "not_exists": lambda u: list(Household.objects.visible_to(u).filter(~Exists(Resident.objects.all()))),
    "subquery_outerref": lambda u: list(
        Household.objects.visible_to(u).annotate(
            other=Subquery(Resident.objects.filter(household=OuterRef("pk")).values("name")[:1])
        )
    ),
    "subquery_in_values": lambda u: list(
        Household.objects.visible_to(u)
        .values("pk")
        .annotate(
            n=Subquery(
                Resident.objects.order_by().values("is_active").annotate(c=Count("pk")).values("c")[:1]
            )
        )
    ),
    "q_in": lambda u: list(_visible(u).filter(Q(household__in=Household.objects.all()) | Q(pk=0))),
    "union": lambda u: list(_visible(u).union(_all())),
    "union_unresolved_first": lambda u: list(_all().union(_visible(u))),
    "union_values": lambda u: list(_visible(u).values_list("pk").union(_all().values_list("pk"))),
    "union_count": lambda u: _visible(u).union(_all()).count(),
    "union_from_an_unscoped_model": lambda u: list(
        User.objects.order_by().values_list("pk").union(_all().values_list("pk"))
    ),
    "intersection": lambda u: list(_visible(u).intersection(_all())),
    "difference": lambda u: list(_visible(u).difference(_all().filter(pk=0))),
    "or": lambda u: list(_visible(u) | Resident.objects.all()),
    "or_unresolved_first": lambda u: list(Resident.objects.all() | _visible(u)),
    "or_sliced": lambda u: list(_visible(u).order_by("pk")[:1] | Resident.objects.all()),
    "xor": lambda u: list(_visible(u) ^ Resident.objects.filter(pk=0)),
}


@pytest.mark.parametrize("form", list(UNRESOLVED_INSIDE))
def test_unresolved_scoped_query_is_refused_inside_another(form, city, users):
    with pytest.raises(ScopeError):
        UNRESOLVED_INSIDE[form](users["street"])


def test_the_union_probe_no_longer_leaks(city, users):
    street = users["street"]
    visible = {r.pk for r in city.all_residents if r.area_path.startswith(street.area.path)}
    assert 0 < len(visible) < len(city.all_residents)
    with pytest.raises(ScopeError):
        list(_visible(street).union(_all()))
    union = _visible(street).union(_visible(users["grid_worker"]))
    assert {r.pk for r in union} == visible
    assert {r.pk for r in _visible(street) | Resident.objects.filter(pk=0).visible_to(street)} == visible
    everyone = Resident.objects.unscoped("test: every resident, on purpose").order_by()
    assert {r.pk for r in _visible(street).union(everyone)} == {r.pk for r in city.all_residents}


def test_resolved_subqueries_work_and_stay_bounded(city, users):
    street = users["street"]
    visible = {r.pk for r in city.all_residents if r.area_path.startswith(street.area.path)}
    inner = Household.objects.visible_to(street)
    assert (
        set(
            Resident.objects.visible_to(users["city_admin"])
            .filter(household__in=inner)
            .values_list("pk", flat=True)
        )
        == visible
    )
    in_scope = Exists(Resident.objects.visible_to(street).filter(household=OuterRef("pk")))
    assert Household.objects.visible_to(users["city_admin"]).filter(in_scope).count() == len(visible) // 2
    named = Household.objects.visible_to(street).annotate(
        head=Subquery(
            Resident.objects.visible_to(street)
            .filter(household=OuterRef("pk"), relation="head")
            .values("name")
        )
    )
    assert all(h.head.startswith("户主") for h in named)
    # `&` is bounded when either side is.
    assert {r.pk for r in Resident.objects.all() & _visible(street)} == visible
    # Exclude across a to-many relation builds its own correlated subquery on the outer model: allowed.
    households = Household.objects.visible_to(street).exclude(members__relation="head")
    assert list(households) == []
    assert Household.objects.visible_to(street).exclude(members__name="nobody").count() == len(visible) // 2


def test_a_combination_is_narrowed_afterwards(city, users):
    street = users["street"]
    either = (
        Resident.objects.filter(relation="head") | Resident.objects.filter(relation="child")
    ).visible_to(street)
    assert {r.pk for r in either} == {
        r.pk for r in city.all_residents if r.area_path.startswith(street.area.path)
    }


def test_query_of_an_unresolved_queryset_cannot_be_compiled(city):
    with pytest.raises(ScopeError):
        str(Resident.objects.filter(name="x").query)
    assert "WHERE" in str(Resident.objects.unscoped("test: print the SQL").filter(name="x").query)


# --- related managers -----------------------------------------------------------------------------------
def test_reverse_manager_of_an_unscoped_parent_must_be_resolved(city, users):
    from gridgov.events.models import Category, Event

    category = Category.objects.create(code="t-scope", name="测试分类")
    worker = users["grid_worker"]
    inside, outside = city.grid_a, city.unit_outside(worker)
    for n, area in enumerate((inside, outside)):
        Event.objects.create(
            number=f"T{n}",
            category=category,
            title="t",
            area=area,
            area_path=area.path,
            reporter=worker,
            reported_at=timezone.now(),
        )
    with pytest.raises(ScopeError):
        list(category.events.all())
    with pytest.raises(ScopeError):
        category.events.count()
    with pytest.raises(ScopeError):
        category.rules.exists()
    assert [e.area_path for e in category.events.visible_to(worker)] == [inside.path]
    with pytest.raises(ScopeError):
        list(Category.objects.filter(pk=category.pk).prefetch_related("events"))
    # The parent is scoped and was loaded through scope: its reverse managers are bounded by it.
    assert list(Area.objects.visible_to(worker).get(pk=inside.pk).events.all()) == [
        Event.objects.visible_to(worker).get(area=inside)
    ]


def test_reverse_one_to_one_reads_the_linked_row_without_scope(city, users):
    """`user.merchant` goes through Django's plain base manager (scope.py's docstring): the row linked to
    the user in hand, whatever its area. That is the user's own row; nobody else's is read this way."""
    from gridgov.points.models import Merchant

    outside = city.other_city[2]  # a community of the other city
    merchant_user = UserFactory(role="merchant", area=city.communities[0])
    shop = Merchant.objects.create(name="外市小店", kind="shop", area=outside, area_path=outside.path)
    Merchant.objects.unscoped("test: link the shop to its account").filter(pk=shop.pk).update(
        user=merchant_user
    )
    merchant_user = User.objects.get(pk=merchant_user.pk)
    assert merchant_user.merchant.pk == shop.pk
    assert type(Merchant._base_manager) is models.Manager  # not scoped: saving and deletion need it
    assert not Merchant.objects.visible_to(merchant_user).filter(pk=shop.pk).exists()


# --- locks, system actors ------------------------------------------------------------------------------
def test_lock_in_scope_locks_what_the_actor_reaches(city, users):
    worker = users["grid_worker"]
    inside, outside = city.household_a, city.household_outside(worker)
    with transaction.atomic():
        assert Household.objects.lock_in_scope(worker, inside.pk) == inside
        with pytest.raises(OutOfScope):
            Household.objects.lock_in_scope(worker, outside.pk)
        with pytest.raises(Household.DoesNotExist):
            Household.objects.lock_in_scope(worker, outside.pk + 10_000)
        assert Household.objects.lock_in_scope(SystemActor("test.job"), outside.pk) == outside
        assert Household.objects.get_in_scope(worker, inside.pk) == inside
        with pytest.raises(OutOfScope):
            Household.objects.get_in_scope(worker, outside.pk)
        pks = [h.pk for h in city.households[:2]]
        assert [
            h.pk for h in Household.objects.lock_all_in_scope(users["community_worker"], pks[::-1])
        ] == pks
        with pytest.raises(OutOfScope):
            Household.objects.lock_all_in_scope(worker, pks)
        with pytest.raises(Household.DoesNotExist):
            Household.objects.lock_all_in_scope(worker, [inside.pk, inside.pk + 10_000])


def test_lock_in_scope_applies_the_models_role_rule(city):
    """A merchant account reaches its community, but changes only the merchant it runs."""
    from gridgov.points.models import Merchant

    community = city.communities[0]
    own_user = UserFactory(role="merchant", area=community)
    own = Merchant.objects.create(name="本店", kind="shop", area=community, area_path=community.path)
    other = Merchant.objects.create(name="邻店", kind="shop", area=community, area_path=community.path)
    Merchant.objects.unscoped("test: link the shop to its account").filter(pk=own.pk).update(user=own_user)
    with transaction.atomic():
        assert Merchant.objects.lock_in_scope(own_user, own.pk).pk == own.pk
        with pytest.raises(OutOfScope):
            Merchant.objects.lock_in_scope(own_user, other.pk)
        assert Merchant.objects.lock_in_scope(UserFactory(role="street", area=city.streets[0]), other.pk)


def test_a_system_actor_passes_the_checks_and_is_audited_by_name(city):
    job = SystemActor("test.import")
    unit = city.other_city[-1]  # no user of the first city reaches it; the system does
    household = people_services.create_household(job, unit=unit, number="909")
    event = AuditEvent.objects.filter(action="people.create_household").latest("id")
    assert (event.actor_id, event.actor_label) == (None, "system:test.import")
    resident = people_services.register_resident(job, household=household, name="系统导入", id_number=NEW_ID)
    assert resident.area_path == unit.path
    area = area_services.create_area(job, parent=city.building_a, name="系统单元")
    change = AreaChange.objects.unscoped("test: the history row of the new area").get(area=area)
    assert change.actor_id is None  # a SystemActor is never stored in a user foreign key


def test_a_system_actor_takes_only_the_system_transitions(city, users):
    from gridgov.events import services as event_services
    from gridgov.events.models import Category, EventTransition, State

    category = Category.objects.create(code="t-system", name="测试分类")
    event = event_services.report_event(
        users["grid_worker"], category=category, title="井盖缺失", area=city.grid_a
    )
    with pytest.raises(event_services.TransitionRefused):
        event_services.accept(event_services.ESCALATOR, event)
    event = event_services.escalate(event_services.ESCALATOR, event, level=1)
    assert (event.state, event.overdue, event.escalation_level) == (State.REPORTED, True, 1)
    trail = EventTransition.objects.filter(event=event).latest("id")
    assert (trail.actor_id, trail.actor_label) == (None, "系统")
    audit_row = AuditEvent.objects.filter(action="events.escalate").latest("id")
    assert audit_row.actor_label == "system:events.escalate_overdue"
    # An event the system reported itself (the data hub's verification orders) it may accept and dispatch;
    # a person's report it may not (above), even with the system as the source.
    from gridgov.core.actors import SystemActor
    from gridgov.events.models import AssigneeKind
    from gridgov.events.models import Source as EventSource

    task = SystemActor("tests.system_orders")
    own = event_services.report_event(
        task, category=category, title="数据核实", area=city.grid_a, source=EventSource.SYSTEM
    )
    own = event_services.accept(task, own)
    own = event_services.dispatch(task, own, assignee_kind=AssigneeKind.GRID, assignee_area=city.grid_a)
    assert own.state == State.DISPATCHED and own.reporter_id is None
    theirs = event_services.report_event(
        users["street"], category=category, title="数据核实", area=city.grid_a, source=EventSource.SYSTEM
    )
    with pytest.raises(event_services.TransitionRefused):
        event_services.accept(task, theirs)


def test_unscoped_needs_a_reason(city):
    for reason in ("", "   ", None, 3):
        with pytest.raises(ValueError):
            Resident.objects.unscoped(reason)


def test_audit_events_are_append_only(city):
    event = AuditEvent.objects.first()
    event.action = "tampered"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.filter(action="tampered").count() == 0


def test_failed_service_leaves_no_audit_row(city, users):
    before = _snapshot_everything()
    with pytest.raises(ServiceError):
        people_services.register_resident(
            users["grid_worker"],
            household=city.household_a,
            name="重复",
            id_number=city.id_numbers[city.resident_a.pk],
        )
    assert _snapshot_everything() == before
