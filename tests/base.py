"""Generic test base classes that every model's API and page tests inherit (NetBox-style).

A concrete class names its URLs, its model and how to find an object inside and outside a user's
scope, and lists the roles that may and may not use it; the base classes turn that into tests:

* anonymous callers are refused (API 401/403, pages redirect to the login page);
* an authenticated user without the permission gets 403;
* a user with the permission sees in-scope objects in the list and never out-of-scope ones
  (the list equals exactly the objects whose path lies under the user's area);
* detail answers 200 in scope and 404 out of scope (the same 404 as for an id that does not exist);
* a write on an out-of-scope object answers 404 and changes nothing (no audit row either).

Role lists are class attributes (`allowed_roles`, `denied_roles`, `writer_roles`, `reader_roles`);
conftest's pytest_generate_tests runs each test that asks for `allowed_role` etc. once per role.
Base classes do not start with "Test", so only concrete subclasses are collected.

Endpoints that are not a model's list or detail have bases of their own: `ActionAPITests` (the actions
on one object: without the permission 403, out of scope 404, nothing changes), `EndpointMatrixTests`
(collection-level calls such as imports and exports: the status for every role, as the scope matrix),
`AreaQueryAPITests` (figures, checks, the circle: answers for an area of the user's, 404 for another)
and `PlatformAPITests` (platform-wide vocabularies: the same rows for every reader). Each concrete class
says which URL names it covers (`covered_url_names`); tests/core/test_meta.py fails for any router
registration or URL under /api/ that no class covers.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlparse

from django.contrib.messages import get_messages
from django.db import models
from django.urls import reverse

from gridgov.core.models import AuditEvent

from .conftest import ROLES

VIEW_AREA_ROLES = (
    "city_admin",
    "district",
    "street",
    "community_secretary",
    "community_worker",
    "grid_worker",
    "property",
)
VIEW_PEOPLE_ROLES = (
    "city_admin",
    "district",
    "street",
    "community_secretary",
    "community_worker",
    "grid_worker",
)
REZONE_ROLES = ("city_admin", "district", "street")
UNMASK_ROLES = ("city_admin", "district", "street", "community_secretary")
MANAGE_PEOPLE_ROLES = ("city_admin", "district", "street", "community_secretary", "community_worker")


def state_of(obj: models.Model) -> dict[str, Any]:
    """Every concrete field of the row as stored now (re-read around scope)."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    data = {
        f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields if f.name != "updated_at"
    }
    return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in data.items()}


def anonymous_refused(response) -> bool:
    return response.status_code in (401, 403)


def roles_with(*perms: str) -> tuple[str, ...]:
    """The test users' roles (conftest.ROLES, in its order) whose grants hold every one of `perms`."""
    from gridgov.accounts.roles import ROLE_PERMISSIONS

    return tuple(role for role in ROLES if set(perms) <= ROLE_PERMISSIONS[role])


def url_name_of(response) -> str:
    """The URL name the request resolved to (Django's test client records it)."""
    return response.resolver_match.url_name


def covered_url_names(cls: type) -> set[str]:
    """The URL names a concrete test class exercises with its generic scope tests: the union of what each
    generic base it inherits contributes (`_covers`)."""
    names: set[str] = set()
    for base in cls.__mro__:
        covers = base.__dict__.get("_covers")
        if covers is not None:
            names |= covers.__func__(cls)
    return names


def _chinese(response) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", response.json().get("detail", "")))


class ScopedObjectsMixin:
    """How to find objects for a user; concrete classes override in_scope/out_of_scope."""

    model: ClassVar[type[models.Model]]
    allowed_roles: ClassVar[tuple[str, ...]] = ()
    denied_roles: ClassVar[tuple[str, ...]] = ()

    def in_scope(self, city, user) -> models.Model:
        raise NotImplementedError

    def out_of_scope(self, city, user) -> models.Model:
        raise NotImplementedError

    def path_of(self, obj: models.Model) -> str:
        return getattr(obj, obj.scope_field)

    def expected_visible_pks(self, user) -> set[int]:
        """The test oracle: rows whose path starts with the user's area path (plain Python, no subtree_q)."""
        root = user.area.path
        rows = self.model.objects.unscoped("test oracle").all()
        return {obj.pk for obj in rows if self.path_of(obj).startswith(root)}

    def missing_pk(self) -> int:
        return (self.model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


# --- API ----------------------------------------------------------------------------------------------
class APITestBase(ScopedObjectsMixin):
    basename: ClassVar[str]

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, pk: int) -> str:
        return reverse(f"{self.basename}-detail", args=[pk])


class ListAPITests(APITestBase):
    @classmethod
    def _covers(cls) -> set[str]:
        return {f"{cls.basename}-list"}

    def test_list_anonymous_refused(self, city, api_for):
        response = api_for(None).get(self.list_url())
        assert anonymous_refused(response)
        assert "results" not in response.json()

    def test_list_without_permission_is_403(self, city, api_for, denied_role):
        response = api_for(denied_role).get(self.list_url())
        assert response.status_code == 403

    def test_list_shows_exactly_the_users_subtree(self, city, users, api_for, allowed_role):
        user = users[allowed_role]
        response = api_for(allowed_role).get(self.list_url(), {"page_size": 500})
        assert response.status_code == 200
        body = response.json()
        ids = {row["id"] for row in body["results"]}
        assert self.in_scope(city, user).pk in ids
        assert self.out_of_scope(city, user).pk not in ids
        assert ids == self.expected_visible_pks(user)
        assert body["count"] == len(ids)


class DetailAPITests(APITestBase):
    @classmethod
    def _covers(cls) -> set[str]:
        return {f"{cls.basename}-detail"}

    def test_detail_anonymous_refused(self, city, users, api_for):
        obj = self.in_scope(city, users["city_admin"])
        response = api_for(None).get(self.detail_url(obj.pk))
        assert anonymous_refused(response)
        assert "id" not in response.json()

    def test_detail_without_permission_is_403(self, city, users, api_for, denied_role):
        obj = self.in_scope(city, users[denied_role])
        assert api_for(denied_role).get(self.detail_url(obj.pk)).status_code == 403

    def test_detail_in_scope_is_200(self, city, users, api_for, allowed_role):
        obj = self.in_scope(city, users[allowed_role])
        response = api_for(allowed_role).get(self.detail_url(obj.pk))
        assert response.status_code == 200
        assert response.json()["id"] == obj.pk

    def test_detail_out_of_scope_is_404_like_a_missing_id(self, city, users, api_for, allowed_role):
        client = api_for(allowed_role)
        obj = self.out_of_scope(city, users[allowed_role])
        response = client.get(self.detail_url(obj.pk))
        assert response.status_code == 404
        missing = client.get(self.detail_url(self.missing_pk()))
        assert missing.status_code == 404
        assert response.json() == missing.json()
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])


class WriteAPITests(APITestBase):
    """`write(client, obj)` performs one write on obj; `write_ok` is its success status."""

    writer_roles: ClassVar[tuple[str, ...]] = ()
    reader_roles: ClassVar[tuple[str, ...]] = ()  # may view but not write
    write_ok: ClassVar[int] = 200
    write_action: ClassVar[str] = ""  # audit action the write records
    write_url_name: ClassVar[str] = ""  # the URL name write() requests; read from its source when not set

    _REVERSE = re.compile(r"""reverse\(\s*["']([\w:-]+)["']""")

    def write(self, client, obj):
        raise NotImplementedError

    @classmethod
    def _covers(cls) -> set[str]:
        if cls.write_url_name:
            return {cls.write_url_name}
        if cls.write is WriteAPITests.write:
            return set()
        source = inspect.getsource(cls.write)
        names = set(cls._REVERSE.findall(source))
        if "self.detail_url(" in source:
            names.add(f"{cls.basename}-detail")
        if "self.list_url(" in source:
            names.add(f"{cls.basename}-list")
        return names

    def test_write_in_scope_succeeds_and_is_audited(self, city, users, api_for, writer_role):
        obj = self.in_scope(city, users[writer_role])
        before = AuditEvent.objects.filter(action=self.write_action).count()
        response = self.write(api_for(writer_role), obj)
        assert response.status_code == self.write_ok, response.content
        # what the meta-test counts as covered is what write() really requests
        assert url_name_of(response) in WriteAPITests._covers.__func__(type(self))
        assert (
            AuditEvent.objects.filter(action=self.write_action, actor=users[writer_role]).count()
            == before + 1
        )

    def test_write_out_of_scope_is_404_and_changes_nothing(self, city, users, api_for, writer_role):
        obj = self.out_of_scope(city, users[writer_role])
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self.write(api_for(writer_role), obj)
        assert response.status_code == 404
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_write_without_permission_is_403_and_changes_nothing(self, city, users, api_for, reader_role):
        obj = self.in_scope(city, users[reader_role])
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self.write(api_for(reader_role), obj)
        assert response.status_code == 403
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_write_anonymous_refused(self, city, users, api_for):
        obj = self.in_scope(city, users["city_admin"])
        before = state_of(obj)
        assert anonymous_refused(self.write(api_for(None), obj))
        assert state_of(obj) == before


class PlatformAPITests(APITestBase):
    """Platform-wide vocabularies (tags, work-order categories, the salary scale): not bound to an area, so
    every role that may read them sees the same rows, and the others get 403. `key_field` names the field
    that identifies a row in the response (and the model)."""

    key_field: ClassVar[str] = "id"

    def sample(self, city) -> models.Model:
        row = self.model._default_manager.order_by("pk").first()
        assert row is not None, f"no {self.model.__name__} row to test with"
        return row

    @classmethod
    def _covers(cls) -> set[str]:
        return {f"{cls.basename}-list", f"{cls.basename}-detail"}

    @staticmethod
    def _rows(body) -> list[dict]:
        return body["results"] if isinstance(body, dict) else body

    def test_platform_list_anonymous_refused(self, city, api_for):
        assert anonymous_refused(api_for(None).get(self.list_url()))

    def test_platform_list_without_permission_is_403(self, city, api_for, denied_role):
        assert api_for(denied_role).get(self.list_url()).status_code == 403

    def test_platform_list_is_the_same_for_every_reader(self, city, api_for, allowed_role):
        response = api_for(allowed_role).get(self.list_url(), {"page_size": 500})
        assert response.status_code == 200
        keys = {row[self.key_field] for row in self._rows(response.json())}
        model_field = "pk" if self.key_field == "id" else self.key_field
        assert keys == set(self.model._default_manager.values_list(model_field, flat=True))

    def test_platform_detail(self, city, api_for, allowed_role):
        row = self.sample(city)
        client = api_for(allowed_role)
        response = client.get(self.detail_url(row.pk))
        assert response.status_code == 200
        assert response.json()[self.key_field] == (
            row.pk if self.key_field == "id" else getattr(row, self.key_field)
        )
        assert client.get(self.detail_url(self.missing_pk())).status_code == 404

    def test_platform_detail_refused(self, city, api_for, denied_role):
        row = self.sample(city)
        assert anonymous_refused(api_for(None).get(self.detail_url(row.pk)))
        assert api_for(denied_role).get(self.detail_url(row.pk)).status_code == 403


@dataclass(frozen=True)
class Action:
    """One action on one object (a detail route), for ActionAPITests.

    `perms` is what the view requires: the roles holding all of them pass its permission check
    (`roles_with`), unless `roles` names them because the view narrows further. `data(test, city, user)`
    is a body that would be valid in the user's scope, so that the answer out of scope is the scope's and
    not the body's.
    """

    perms: tuple[str, ...]
    method: str = "post"
    data: Callable[[Any, Any, Any], Any] | None = None
    multipart: bool = False
    roles: tuple[str, ...] | None = None

    def permitted(self) -> tuple[str, ...]:
        return self.roles if self.roles is not None else roles_with(*self.perms)

    def perform(self, client, url: str, test, city, user):
        body = self.data(test, city, user) if self.data is not None else {}
        if self.method == "get":
            return client.get(url, body)
        if self.multipart:
            return client.post(url, body, format="multipart")
        return getattr(client, self.method)(url, body, format="json")


class ActionAPITests(APITestBase):
    """`actions = {url_name: Action(...)}`: for every action, an anonymous caller is refused, a role without
    the permission gets 403 on an object in its scope, a role with it gets 404 on an object outside its
    scope (the same 404 as for a missing id), and none of these changes the object or writes an audit row."""

    actions: ClassVar[dict[str, Action]] = {}

    @classmethod
    def _covers(cls) -> set[str]:
        return set(cls.actions)

    def pytest_generate_tests(self, metafunc) -> None:
        actions = type(self).actions
        if "action_name" in metafunc.fixturenames:
            metafunc.parametrize("action_name", list(actions))
        for fixture, pick in (
            ("permitted_call", lambda a: a.permitted()),
            ("refused_call", lambda a: tuple(r for r in ROLES if r not in a.permitted())),
        ):
            if fixture in metafunc.fixturenames:
                calls = [(name, role) for name, action in actions.items() for role in pick(action)]
                metafunc.parametrize(fixture, calls, ids=[f"{name}-{role}" for name, role in calls])

    def _call(self, client, name: str, pk: int, city, user):
        response = self.actions[name].perform(client, reverse(name, args=[pk]), self, city, user)
        assert url_name_of(response) == name
        return response

    def test_action_anonymous_refused(self, city, users, api_for, action_name):
        user = users["city_admin"]
        obj = self.in_scope(city, user)
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        assert anonymous_refused(self._call(api_for(None), action_name, obj.pk, city, user))
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_action_without_permission_is_403_and_changes_nothing(self, city, users, api_for, refused_call):
        name, role = refused_call
        obj = self.in_scope(city, users[role])
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self._call(api_for(role), name, obj.pk, city, users[role])
        assert response.status_code == 403, response.content
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_action_out_of_scope_is_404_and_changes_nothing(self, city, users, api_for, permitted_call):
        name, role = permitted_call
        user, client = users[role], api_for(role)
        obj = self.out_of_scope(city, user)
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self._call(client, name, obj.pk, city, user)
        assert response.status_code == 404, response.content
        missing = self._call(client, name, self.missing_pk(), city, user)
        assert missing.status_code == 404
        assert response.json() == missing.json()
        assert _chinese(response)
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows


@dataclass(frozen=True)
class Call:
    """One collection-level call (an import, an export, a lookup) for EndpointMatrixTests.

    `passed` is the status once the permission check passes (an import sent no file answers 400 with the
    import-rejection response); `audited` says whether that call writes an audit row; `data(test, city)`
    is the body or the query, `args(test, city)` the URL's arguments (a platform-wide row's id).
    """

    perms: tuple[str, ...]
    method: str = "get"
    data: Callable[[Any, Any], Any] | None = None
    multipart: bool = False
    passed: int = 200
    audited: bool = False
    roles: tuple[str, ...] | None = None
    args: Callable[[Any, Any], list[Any]] | None = None

    def permitted(self) -> tuple[str, ...]:
        return self.roles if self.roles is not None else roles_with(*self.perms)

    def url(self, name: str, test, city) -> str:
        return reverse(name, args=self.args(test, city) if self.args is not None else [])

    def perform(self, client, url: str, test, city):
        body = self.data(test, city) if self.data is not None else {}
        if self.method == "get":
            return client.get(url, body)
        if self.multipart:
            return client.post(url, body, format="multipart")
        return getattr(client, self.method)(url, body, format="json")


class EndpointMatrixTests:
    """`calls = {url_name: Call(...)}`: the scope matrix for collection-level endpoints. Every call, as the
    anonymous caller and as every role: refused (401/403), 403 without the permission, `passed` with it;
    an audit row is written exactly when the call is audited and permitted."""

    calls: ClassVar[dict[str, Call]] = {}

    @classmethod
    def _covers(cls) -> set[str]:
        return set(cls.calls)

    def pytest_generate_tests(self, metafunc) -> None:
        if "matrix_call" in metafunc.fixturenames:
            calls = [(name, role) for name in type(self).calls for role in ("anon", *ROLES)]
            metafunc.parametrize("matrix_call", calls, ids=[f"{name}-{role}" for name, role in calls])

    def test_endpoint_matrix(self, city, api_for, matrix_call):
        name, role = matrix_call
        call = self.calls[name]
        audit_rows = AuditEvent.objects.count()
        response = call.perform(api_for(role), call.url(name, self, city), self, city)
        assert url_name_of(response) == name
        permitted = role in call.permitted()
        if role == "anon":
            assert anonymous_refused(response)
        elif permitted:
            assert response.status_code == call.passed, response.content[:500]
        else:
            assert response.status_code == 403, response.content[:500]
        assert (AuditEvent.objects.count() != audit_rows) == (call.audited and permitted)


class AreaQueryAPITests:
    """An endpoint that answers for an area named by a parameter (figures, checks, the circle): anonymous
    refused, 403 without the permission, `ok` for an area in the user's scope, and for one outside it the
    same 404 as for an id that does not exist, writing nothing."""

    url_name: ClassVar[str]
    url_args: ClassVar[tuple[Any, ...]] = ()
    area_param: ClassVar[str] = "area"
    method: ClassVar[str] = "get"
    ok: ClassVar[int] = 200
    allowed_roles: ClassVar[tuple[str, ...]] = ()
    denied_roles: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _covers(cls) -> set[str]:
        return {cls.url_name}

    def in_scope_area(self, city, user):
        return user.area

    def out_of_scope_area(self, city, user):
        return city.unit_outside(user)

    def missing_area_pk(self) -> int:
        from gridgov.areas.models import Area

        return (Area._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000

    def ask(self, client, area_pk: int):
        url = reverse(self.url_name, args=self.url_args)
        params = {self.area_param: area_pk}
        if self.method == "get":
            response = client.get(url, params)
        else:
            response = getattr(client, self.method)(url, params, format="json")
        assert url_name_of(response) == self.url_name
        return response

    def test_area_query_anonymous_refused(self, city, users, api_for):
        assert anonymous_refused(self.ask(api_for(None), self.in_scope_area(city, users["city_admin"]).pk))

    def test_area_query_without_permission_is_403(self, city, users, api_for, denied_role):
        area = self.in_scope_area(city, users[denied_role])
        assert self.ask(api_for(denied_role), area.pk).status_code == 403

    def test_area_query_in_scope(self, city, users, api_for, allowed_role):
        response = self.ask(api_for(allowed_role), self.in_scope_area(city, users[allowed_role]).pk)
        assert response.status_code == self.ok, response.content[:500]

    def test_area_query_out_of_scope_is_404_like_a_missing_area(self, city, users, api_for, allowed_role):
        client = api_for(allowed_role)
        audit_rows = AuditEvent.objects.count()
        response = self.ask(client, self.out_of_scope_area(city, users[allowed_role]).pk)
        assert response.status_code == 404, response.content[:500]
        missing = self.ask(client, self.missing_area_pk())
        assert missing.status_code == 404
        assert response.json() == missing.json()
        assert _chinese(response)
        assert AuditEvent.objects.count() == audit_rows


# --- pages --------------------------------------------------------------------------------------------
def redirects_to_login(response) -> bool:
    if response.status_code != 302:
        return False
    return urlparse(response["Location"]).path == reverse("accounts:login")


def view_name_of(response) -> str:
    """The namespaced URL name a page request resolved to ("people:resident_detail")."""
    return response.resolver_match.view_name


_REVERSE_LITERAL = re.compile(r"""reverse\(\s*["']([\w:-]+)["']""")
_REVERSE_ATTRIBUTE = re.compile(r"""reverse\(\s*self\.(\w+)""")


def _reversed_in(cls: type, method: Callable) -> set[str]:
    """The URL names a test method requests: every reverse("…") and reverse(self.<attribute>) in its source."""
    source = inspect.getsource(method)
    names = set(_REVERSE_LITERAL.findall(source))
    for attribute in _REVERSE_ATTRIBUTE.findall(source):
        value = getattr(cls, attribute, None)
        if isinstance(value, str) and value:
            names.add(value)
    return names


class PageTestBase(ScopedObjectsMixin):
    detail_url_name: ClassVar[str]
    list_url_name: ClassVar[str] = ""

    def list_query(self, city) -> dict[str, str]:
        return {}

    def marker(self, obj) -> str:
        """Text only the row of `obj` carries on a list page: its detail link."""
        return f'href="{reverse(self.detail_url_name, args=[obj.pk])}"'


class ListPageTests(PageTestBase):
    @classmethod
    def _covers(cls) -> set[str]:
        return {cls.list_url_name}

    def test_list_page_anonymous_redirects_to_login(self, city, client_for):
        response = client_for(None).get(reverse(self.list_url_name), self.list_query(city))
        assert redirects_to_login(response)

    def test_list_page_without_permission_is_403(self, city, client_for, denied_role):
        response = client_for(denied_role).get(reverse(self.list_url_name), self.list_query(city))
        assert response.status_code == 403

    def test_list_page_shows_in_scope_hides_out_of_scope(self, city, users, client_for, allowed_role):
        user = users[allowed_role]
        response = client_for(allowed_role).get(reverse(self.list_url_name), self.list_query(city))
        assert response.status_code == 200
        html = response.content.decode()
        assert self.marker(self.in_scope(city, user)) in html
        assert self.marker(self.out_of_scope(city, user)) not in html


class DetailPageTests(PageTestBase):
    @classmethod
    def _covers(cls) -> set[str]:
        return {cls.detail_url_name}

    def test_detail_page_anonymous_redirects_to_login(self, city, users, client_for):
        obj = self.in_scope(city, users["city_admin"])
        url = reverse(self.detail_url_name, args=[obj.pk])
        response = client_for(None).get(url)
        assert redirects_to_login(response)
        assert url in response["Location"]  # ?next= brings the user back

    def test_detail_page_without_permission_is_403(self, city, users, client_for, denied_role):
        obj = self.in_scope(city, users[denied_role])
        assert client_for(denied_role).get(reverse(self.detail_url_name, args=[obj.pk])).status_code == 403

    def test_detail_page_in_scope_is_200(self, city, users, client_for, allowed_role):
        obj = self.in_scope(city, users[allowed_role])
        response = client_for(allowed_role).get(reverse(self.detail_url_name, args=[obj.pk]))
        assert response.status_code == 200
        assert self.title_of(obj) in response.content.decode()

    def test_detail_page_out_of_scope_is_404(self, city, users, client_for, allowed_role):
        obj = self.out_of_scope(city, users[allowed_role])
        response = client_for(allowed_role).get(reverse(self.detail_url_name, args=[obj.pk]))
        assert response.status_code == 404
        assert self.title_of(obj) not in response.content.decode()

    def title_of(self, obj) -> str:
        return str(obj)


class WritePageTests(PageTestBase):
    """`post(client, obj)` submits the page's form for obj."""

    writer_roles: ClassVar[tuple[str, ...]] = ()

    def post(self, client, obj):
        raise NotImplementedError

    @classmethod
    def _covers(cls) -> set[str]:
        if cls.post is WritePageTests.post:
            return set()
        return _reversed_in(cls, cls.post)

    def test_post_out_of_scope_is_404_and_changes_nothing(self, city, users, client_for, writer_role):
        client = client_for(writer_role)  # logging in writes its own audit row
        obj = self.out_of_scope(city, users[writer_role])
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self.post(client, obj)
        assert response.status_code == 404
        # what the meta-test counts as covered is what post() really requests
        assert view_name_of(response) in WritePageTests._covers.__func__(type(self))
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_post_anonymous_redirects_to_login(self, city, users, client_for):
        obj = self.in_scope(city, users["city_admin"])
        before = state_of(obj)
        assert redirects_to_login(self.post(client_for(None), obj))
        assert state_of(obj) == before


@dataclass(frozen=True)
class Page:
    """One page that is not about one object (a dashboard, an export, a chart's JSON, an import form, a
    collection-level form action), for PageMatrixTests.

    `perms` is what the view requires (`roles` names the roles when the view decides otherwise); `passed`
    the status once it lets the user in (one or several: a home page redirects); `area` says that the page
    answers for `?area=<id>`: it is asked for the user's own area, and for one outside it must answer 404;
    `data(test, city, user)` is the query or body, `args(test, city, user)` the URL's arguments; `audited`
    says whether the permitted call writes an audit row.
    """

    perms: tuple[str, ...]
    method: str = "get"
    passed: int | tuple[int, ...] = 200
    area: bool = False
    data: Callable[[Any, Any, Any], Any] | None = None
    args: Callable[[Any, Any, Any], list[Any]] | None = None
    roles: tuple[str, ...] | None = None
    audited: bool = False

    def permitted(self) -> tuple[str, ...]:
        return self.roles if self.roles is not None else roles_with(*self.perms)

    def ok(self, status: int) -> bool:
        return status in (self.passed if isinstance(self.passed, tuple) else (self.passed,))


def _page_request(client, method: str, url: str, data):
    return client.get(url, data) if method == "get" else client.post(url, data)


class PageMatrixTests:
    """`pages = {url_name: Page(...)}`: the scope matrix for pages that are not about one object. For every
    page, anonymous and every role: anonymous → the login page; without the permission → 403; with it →
    `passed`, and for an ?area= page the same 404 for an area outside the user's as for an id that does not
    exist. Nothing refused writes an audit row."""

    pages: ClassVar[dict[str, Page]] = {}

    @classmethod
    def _covers(cls) -> set[str]:
        return set(cls.pages)

    def pytest_generate_tests(self, metafunc) -> None:
        if "page_call" in metafunc.fixturenames:
            calls = [(name, role) for name in type(self).pages for role in ("anon", *ROLES)]
            metafunc.parametrize("page_call", calls, ids=[f"{name}-{role}" for name, role in calls])

    def _ask(self, client, name: str, city, user, area=None):
        page = self.pages[name]
        data = dict(page.data(self, city, user)) if page.data is not None else {}
        if page.area and area is not None:
            data["area"] = area
        args = page.args(self, city, user) if page.args is not None else []
        response = _page_request(client, page.method, reverse(name, args=args), data)
        assert view_name_of(response) == name
        return response

    def test_page_matrix(self, city, users, client_for, page_call):
        name, role = page_call
        page = self.pages[name]
        client = client_for(role)  # logging in writes its own audit row
        user = users[role] if role != "anon" else users["city_admin"]
        audit_rows = AuditEvent.objects.count()
        own = user.area_id if role != "anon" else None
        response = self._ask(client, name, city, user, own)
        if role == "anon":
            assert redirects_to_login(response), response.status_code
        elif role in page.permitted():
            assert page.ok(response.status_code), (response.status_code, response.content[:300])
        else:
            assert response.status_code == 403, response.status_code
        assert (AuditEvent.objects.count() != audit_rows) == (page.audited and role in page.permitted())
        if page.area and role in page.permitted():
            audit_rows = AuditEvent.objects.count()
            outside = self._ask(client, name, city, user, city.unit_outside(user).pk)
            assert outside.status_code == 404, outside.status_code
            missing = self._ask(client, name, city, user, AreaQueryAPITests().missing_area_pk())
            assert missing.status_code == 404
            assert AuditEvent.objects.count() == audit_rows


@dataclass(frozen=True)
class ObjectPage:
    """One page or form action on one object, for ObjectPageTests.

    `perms` / `roles` as for Page. A "get" page answers `passed` for an object in the user's scope; a
    "post" action is only sent to objects it must refuse (outside the scope, without the permission), with
    `data(test, city, user, obj)` — a body that would be valid in scope, so that the refusal is the
    scope's. `extra_args(test, obj)` follows the object's id in the URL (an action's name). `sees` narrows
    the roles asked for an object in their scope when the objects sit above some permitted roles' level
    (a district's competition and a street user): those are still asked for one outside it. `elsewhere`
    is 404 except for an owner-only form action that answers another's id and a missing one alike with
    a redirect and a message (a responder acknowledging a post).
    """

    perms: tuple[str, ...]
    method: str = "get"
    passed: int = 200
    data: Callable[[Any, Any, Any, Any], Any] | None = None
    extra_args: Callable[[Any, Any], list[Any]] | None = None
    roles: tuple[str, ...] | None = None
    sees: tuple[str, ...] | None = None  # permitted roles with an object in scope (default: all of them)
    elsewhere: int = 404  # the answer outside the scope, the same as for a missing id

    def permitted(self) -> tuple[str, ...]:
        return self.roles if self.roles is not None else roles_with(*self.perms)

    def seeing(self) -> tuple[str, ...]:
        return self.sees if self.sees is not None else self.permitted()


class ObjectPageTests(ScopedObjectsMixin):
    """`object_pages = {url_name: ObjectPage(...)}` on the objects of `in_scope` / `out_of_scope`: anonymous
    → the login page; a role without the permission → 403 on an object of its own scope; a role with it →
    `passed` in scope (GET) and, outside its scope, the same 404 as for an id that does not exist. A refused
    call changes neither the object nor the audit log."""

    object_pages: ClassVar[dict[str, ObjectPage]] = {}

    @classmethod
    def _covers(cls) -> set[str]:
        return set(cls.object_pages)

    def pytest_generate_tests(self, metafunc) -> None:
        pages = type(self).object_pages
        if "object_page" in metafunc.fixturenames:
            metafunc.parametrize("object_page", list(pages))
        for fixture, pick in (
            ("permitted_page", lambda p: p.permitted()),
            ("permitted_get_page", lambda p: p.seeing() if p.method == "get" else ()),
            ("refused_page", lambda p: tuple(r for r in ROLES if r not in p.permitted())),
        ):
            if fixture in metafunc.fixturenames:
                calls = [(name, role) for name, page in pages.items() for role in pick(page)]
                metafunc.parametrize(fixture, calls, ids=[f"{name}-{role}" for name, role in calls])

    def refused_object(self, city, user) -> models.Model:
        """The object a role without the permission asks for: one of its scope where it has one."""
        return self.in_scope(city, user)

    def _ask(self, client, name: str, pk: int, city, user, obj):
        page = self.object_pages[name]
        extra = page.extra_args(self, obj) if page.extra_args is not None else []
        data = page.data(self, city, user, obj) if page.data is not None else {}
        response = _page_request(client, page.method, reverse(name, args=[pk, *extra]), data)
        assert view_name_of(response) == name
        return response

    def test_object_page_anonymous_redirects_to_login(self, city, users, client_for, object_page):
        user = users["city_admin"]
        obj = self.in_scope(city, user)
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self._ask(client_for(None), object_page, obj.pk, city, user, obj)
        assert redirects_to_login(response), response.status_code
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_object_page_without_permission_is_403(self, city, users, client_for, refused_page):
        name, role = refused_page
        client, user = client_for(role), users[role]
        obj = self.refused_object(city, user)
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        response = self._ask(client, name, obj.pk, city, user, obj)
        assert response.status_code == 403, response.status_code
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_object_page_in_scope(self, city, users, client_for, permitted_get_page):
        """GET pages only: a form action's success is its own app's test, here only its refusals."""
        name, role = permitted_get_page
        page = self.object_pages[name]
        user = users[role]
        obj = self.in_scope(city, user)
        response = self._ask(client_for(role), name, obj.pk, city, user, obj)
        assert response.status_code == page.passed, (response.status_code, response.content[:300])

    def test_object_page_out_of_scope_is_404_and_changes_nothing(
        self, city, users, client_for, permitted_page
    ):
        name, role = permitted_page
        client, user = client_for(role), users[role]
        obj = self.out_of_scope(city, user)
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        elsewhere = self.object_pages[name].elsewhere
        response = self._ask(client, name, obj.pk, city, user, obj)
        assert response.status_code == elsewhere, response.status_code
        told = [str(m) for m in get_messages(response.wsgi_request)]
        client.cookies.pop("messages", None)  # the next answer's messages only
        missing = self._ask(client, name, self.missing_pk(), city, user, obj)
        assert missing.status_code == elsewhere
        if elsewhere != 404:  # a redirect: to the same place, with the same message
            assert response.get("Location") == missing.get("Location")
            assert told and told == [str(m) for m in get_messages(missing.wsgi_request)]
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows


def admin_urls() -> dict[str, str]:
    """Every URL of the Django admin: its name (or, unnamed, its route, as the page meta-test keys it) -> a
    URL with its arguments filled (object id 1, app people)."""
    from django.contrib import admin

    fillers = {"object_id": "1", "app_label": "people", "content_type_id": "1"}
    urls: dict[str, str] = {}
    for pattern in admin.site.get_urls():
        for sub in getattr(pattern, "url_patterns", [pattern]):
            route = "admin/" + (str(pattern.pattern) if sub is not pattern else "") + str(sub.pattern)
            if sub.name is None:
                urls.setdefault(route, "/" + re.sub(r"<[^>]+>", "1", route))
                continue
            keys = set(sub.pattern.regex.groupindex)
            urls.setdefault(
                f"admin:{sub.name}",
                reverse(f"admin:{sub.name}", kwargs={k: fillers.get(k, "1") for k in keys}),
            )
    return urls


ADMIN_PUBLIC = ("admin:login", "admin:logout", "admin:jsi18n", "admin:view_on_site")


class AdminSiteTests:
    """The Django admin is for staff only: every admin URL sends the anonymous caller and every role's
    (non-staff) user to the admin's login page and shows them nothing. What a staff user sees there is
    scoped (ScopedAdminMixin; tests/accounts/test_admin.py, and tests/core/test_no_leak.py over every
    changelist)."""

    @classmethod
    def _covers(cls) -> set[str]:
        return set(admin_urls()) - set(ADMIN_PUBLIC)

    def test_admin_refuses_anonymous_and_non_staff(self, city, users, client_for):
        login = reverse("admin:login")
        names = [n for r in city.all_residents for n in (r.name,)]
        urls = {name: url for name, url in admin_urls().items() if name not in ADMIN_PUBLIC}
        assert len(urls) > 50
        for role in ("anon", *ROLES):
            assert not users.get(role) or not users[role].is_staff
            client = client_for(role)
            for name, url in urls.items():
                response = client.get(url)
                match = response.resolver_match
                assert (match.view_name if name.startswith("admin:") else match.route) == name
                assert response.status_code == 302, (name, role, response.status_code)
                assert urlparse(response["Location"]).path == login, (name, role)
                assert not [n for n in names if n in response.content.decode()]
