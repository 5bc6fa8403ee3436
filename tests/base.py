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
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlparse

from django.db import models
from django.urls import reverse

from gridgov.core.models import AuditEvent

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

    def write(self, client, obj):
        raise NotImplementedError

    def test_write_in_scope_succeeds_and_is_audited(self, city, users, api_for, writer_role):
        obj = self.in_scope(city, users[writer_role])
        before = AuditEvent.objects.filter(action=self.write_action).count()
        response = self.write(api_for(writer_role), obj)
        assert response.status_code == self.write_ok, response.content
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


# --- pages --------------------------------------------------------------------------------------------
def redirects_to_login(response) -> bool:
    if response.status_code != 302:
        return False
    return urlparse(response["Location"]).path == reverse("accounts:login")


class PageTestBase(ScopedObjectsMixin):
    detail_url_name: ClassVar[str]
    list_url_name: ClassVar[str] = ""

    def list_query(self, city) -> dict[str, str]:
        return {}

    def marker(self, obj) -> str:
        """Text only the row of `obj` carries on a list page: its detail link."""
        return f'href="{reverse(self.detail_url_name, args=[obj.pk])}"'


class ListPageTests(PageTestBase):
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

    def test_post_out_of_scope_is_404_and_changes_nothing(self, city, users, client_for, writer_role):
        client = client_for(writer_role)  # logging in writes its own audit row
        obj = self.out_of_scope(city, users[writer_role])
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        assert self.post(client, obj).status_code == 404
        assert state_of(obj) == before
        assert AuditEvent.objects.count() == audit_rows

    def test_post_anonymous_redirects_to_login(self, city, users, client_for):
        obj = self.in_scope(city, users["city_admin"])
        before = state_of(obj)
        assert redirects_to_login(self.post(client_for(None), obj))
        assert state_of(obj) == before
