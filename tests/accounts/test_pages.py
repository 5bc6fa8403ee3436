"""The account pages: scope and permission (generic classes), search and export, and forms that refuse bad
input with errors on the form and nothing saved."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEvent
from tests.base import DetailPageTests, ListPageTests, WritePageTests, state_of
from tests.factories import UserFactory

MANAGERS = ("city_admin", "district", "street")
NOT_MANAGERS = ("community_secretary", "community_worker", "grid_worker", "property", "resident")
PASSWORD = "Qingshan-2025!"


def _far_away(city) -> User:
    """A grid worker of the second city: outside every test user's subtree."""
    return User.objects.filter(username="faraway").first() or UserFactory(
        username="faraway", role=Role.GRID_WORKER, area=city.other_city[4]
    )


class TestUserPages(ListPageTests, DetailPageTests, WritePageTests):
    model = User
    list_url_name = "accounts:user_list"
    detail_url_name = "accounts:user_detail"
    allowed_roles = MANAGERS
    denied_roles = NOT_MANAGERS
    writer_roles = MANAGERS

    def in_scope(self, city, user):
        return User.objects.get(username="grid_worker")

    def out_of_scope(self, city, user):
        return _far_away(city)

    def post(self, client, obj):
        return client.post(reverse("accounts:user_set_active", args=[obj.pk]), {"active": "0"})


@pytest.mark.parametrize("name", ["accounts:user_create", "accounts:user_export", "accounts:user_password"])
@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_pages_refuse_roles_without_the_permission(name, role, client_for, users):
    args = [users["grid_worker"].pk] if name == "accounts:user_password" else []
    assert client_for(role).get(reverse(name, args=args)).status_code == 403


def test_district_sees_its_district_only(city, client_for):
    west = UserFactory(username="west-grid", role=Role.GRID_WORKER, area=city.grids[4])
    html = client_for("district").get(reverse("accounts:user_list")).content.decode()
    assert reverse("accounts:user_detail", args=[west.pk]) not in html
    assert "grid_worker" in html
    assert client_for("district").get(reverse("accounts:user_detail", args=[west.pk])).status_code == 404
    assert client_for("city_admin").get(reverse("accounts:user_detail", args=[west.pk])).status_code == 200


def test_password_and_edit_pages_out_of_scope_are_404(city, users, client_for):
    far = _far_away(city)
    client = client_for("district")
    before = state_of(far)
    assert client.get(reverse("accounts:user_password", args=[far.pk])).status_code == 404
    assert client.post(reverse("accounts:user_password", args=[far.pk]), {}).status_code == 404
    edit = {"role": Role.GRID_WORKER, "area": city.grid_a.pk}
    assert client.post(reverse("accounts:user_detail", args=[far.pk]), edit).status_code == 404
    assert state_of(far) == before


# --- list: search, filters, export -------------------------------------------------------------------------
def _names(response) -> set[str]:
    html = response.content.decode()
    return {u.username for u in User.objects.all() if reverse("accounts:user_detail", args=[u.pk]) in html}


def test_search_and_filters(city, client_for):
    UserFactory(username="zhangsan", display_name="张三", role=Role.GRID_WORKER, area=city.grid_b)
    client = client_for("street")
    url = reverse("accounts:user_list")
    assert _names(client.get(url, {"q": "张三"})) == {"zhangsan"}
    assert _names(client.get(url, {"q": "ZHANGS"})) == {"zhangsan"}
    assert _names(client.get(url, {"role": Role.GRID_WORKER})) == {"grid_worker", "grid_worker_b", "zhangsan"}
    assert _names(client.get(url, {"area": city.grid_b.pk})) == {"grid_worker_b", "zhangsan"}
    User.objects.filter(username="zhangsan").update(is_active=False)
    assert _names(client.get(url, {"status": "inactive"})) == {"zhangsan"}


@pytest.mark.parametrize(
    "query", [{"role": "mayor"}, {"area": "999999"}, {"area": "abc"}, {"status": "gone"}, {"q": "x" * 200}]
)
def test_an_invalid_filter_shows_its_error_and_no_rows(query, city, client_for):
    client = client_for("district")
    response = client.get(reverse("accounts:user_list"), query)
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert _names(response) == set()
    export = client.get(reverse("accounts:user_export"), query)
    assert export.status_code == 400
    assert "筛选条件有误" in export.content.decode()


def test_an_area_outside_the_scope_is_an_invalid_filter(city, client_for):
    response = client_for("district").get(reverse("accounts:user_list"), {"area": city.grids[4].pk})
    assert response.status_code == 400
    assert _names(response) == set()


def test_export_is_the_filtered_list_in_scope_and_is_audited(city, users, client_for):
    UserFactory(username="west-grid", role=Role.GRID_WORKER, area=city.grids[4])
    response = client_for("district").get(reverse("accounts:user_export"), {"role": Role.GRID_WORKER})
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("用户名", "姓名", "角色", "所属区域")
    assert sorted(r[0] for r in rows[1:]) == ["grid_worker", "grid_worker_b"]
    assert {r[2] for r in rows[1:]} == {"网格员"}
    event = AuditEvent.objects.get(action="accounts.export_users")
    assert event.actor == users["district"] and event.after["rows"] == 2


def test_list_is_paginated(city, client_for):
    for n in range(35):
        UserFactory(username=f"bulk{n:02d}", role=Role.GRID_WORKER, area=city.grid_b)
    client = client_for("street")
    first = _names(client.get(reverse("accounts:user_list"), {"q": "bulk"}))
    second = _names(client.get(reverse("accounts:user_list"), {"q": "bulk", "page": 2}))
    assert len(first) == 30 and len(second) == 5 and not first & second


# --- create -------------------------------------------------------------------------------------------------
def _create_form(city, **overrides) -> dict:
    data = {
        "username": "new-grid",
        "display_name": "新网格员",
        "role": Role.GRID_WORKER,
        "area": city.grid_b.pk,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_create_through_the_form(city, users, client_for):
    response = client_for("district").post(reverse("accounts:user_create"), _create_form(city))
    user = User.objects.get(username="new-grid")
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:user_detail", args=[user.pk]
    )
    assert (user.role, user.area_id, user.display_name) == (Role.GRID_WORKER, city.grid_b.pk, "新网格员")
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.get(action="accounts.create_user").actor == users["district"]


def test_create_form_offers_only_grantable_roles_and_scoped_areas(city, client_for):
    html = client_for("street").get(reverse("accounts:user_create")).content.decode()
    assert f'value="{Role.GRID_WORKER}"' in html and f'value="{Role.STREET}"' in html
    assert f'value="{Role.DISTRICT}"' not in html and f'value="{Role.CITY_ADMIN}"' not in html
    assert f'value="{city.grid_a.pk}"' in html
    assert f'value="{city.grids[4].pk}"' not in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password1": "short1", "password2": "short1"}, "密码"),
        ({"password1": "12345678901", "password2": "12345678901"}, "密码"),
        ({"password2": "Something-else-1"}, "两次输入的密码不一致"),
        ({"username": ""}, "该字段是必填项"),
        ({"username": "张 三"}, "用户名"),
        ({"username": "grid_worker"}, "用户名已存在"),
        ({"role": Role.COMMUNITY_SECRETARY}, "该角色应绑定到“社区”级区域"),
        ({"role": "mayor"}, "选择一个有效的选项"),
        ({"role": Role.CITY_ADMIN}, "选择一个有效的选项"),  # above the street's own: not even offered
        ({"area": "grids4"}, "选择一个有效的选项"),
        ({"area": ""}, "该字段是必填项"),
    ],
)
def test_create_bad_input_shows_errors_and_saves_nothing(overrides, message, city, client_for):
    if overrides.get("area") == "grids4":
        overrides["area"] = city.grids[4].pk  # another district: tampered form
    client = client_for("street")
    users_before, audit_before = User.objects.count(), AuditEvent.objects.count()
    response = client.post(reverse("accounts:user_create"), _create_form(city, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == users_before
    assert AuditEvent.objects.count() == audit_before


def test_a_double_submission_makes_one_account(city, client_for):
    client = client_for("district")
    first = client.post(reverse("accounts:user_create"), _create_form(city))
    second = client.post(reverse("accounts:user_create"), _create_form(city))
    assert first.status_code == 302
    assert second.status_code == 400 and "用户名已存在" in second.content.decode()
    assert User.objects.filter(username="new-grid").count() == 1
    assert AuditEvent.objects.filter(action="accounts.create_user").count() == 1


# --- edit role and area, stop and restart -----------------------------------------------------------------
def test_change_role_and_area_through_the_page(city, client_for):
    worker = User.objects.get(username="grid_worker")
    url = reverse("accounts:user_detail", args=[worker.pk])
    response = client_for("street").post(url, {"role": Role.COMMUNITY_WORKER, "area": city.communities[1].pk})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.role, worker.area_id) == (Role.COMMUNITY_WORKER, city.communities[1].pk)
    assert AuditEvent.objects.filter(action="accounts.change_role").count() == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"role": Role.COMMUNITY_SECRETARY, "area": "grid_a"}, "该角色应绑定到“社区”级区域"),
        ({"role": Role.DISTRICT, "area": "district"}, "选择一个有效的选项"),
        ({"role": Role.GRID_WORKER, "area": "grids4"}, "选择一个有效的选项"),
        ({"role": Role.GRID_WORKER, "area": "x"}, "选择一个有效的选项"),
    ],
)
def test_edit_bad_input_shows_errors_and_changes_nothing(form, message, city, client_for):
    areas = {"grid_a": city.grid_a, "district": city.districts[0], "grids4": city.grids[4]}
    data = {"role": form["role"], "area": areas[form["area"]].pk if form["area"] in areas else form["area"]}
    worker = User.objects.get(username="grid_worker")
    client = client_for("street")  # logging in writes its own audit row
    before, audit_before = state_of(worker), AuditEvent.objects.count()
    response = client.post(reverse("accounts:user_detail", args=[worker.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state_of(worker) == before and AuditEvent.objects.count() == audit_before


def test_deactivate_and_reactivate_through_the_page(city, client_for):
    worker = User.objects.get(username="grid_worker")
    client = client_for("district")
    url = reverse("accounts:user_set_active", args=[worker.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    worker.refresh_from_db()
    assert not worker.is_active
    page = client.get(reverse("accounts:user_detail", args=[worker.pk])).content.decode()
    assert "已停用" in page and "重新启用" in page
    assert client.post(url, {"active": "1"}).status_code == 302
    worker.refresh_from_db()
    assert worker.is_active


def test_set_active_refuses_bad_input_and_get(city, client_for):
    worker = User.objects.get(username="grid_worker")
    client = client_for("district")
    url = reverse("accounts:user_set_active", args=[worker.pk])
    before = state_of(worker)
    assert client.post(url, {"active": "maybe"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert client.get(url).status_code == 405
    assert state_of(worker) == before


def test_own_account_cannot_be_stopped_from_the_page(users, client_for):
    me = users["district"]
    client = client_for("district")
    page = client.get(reverse("accounts:user_detail", args=[me.pk])).content.decode()
    assert 'data-testid="user-active"' not in page
    response = client.post(reverse("accounts:user_set_active", args=[me.pk]), {"active": "0"}, follow=True)
    assert "自己的账号" in response.content.decode()
    me.refresh_from_db()
    assert me.is_active


# --- reset password --------------------------------------------------------------------------------------
def test_reset_password_shows_a_generated_one_once(city, client, client_for):
    worker = User.objects.get(username="grid_worker")
    response = client_for("street").post(reverse("accounts:user_password", args=[worker.pk]), {})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    html = response.content.decode()
    start = html.index('data-testid="temporary-password">') + len('data-testid="temporary-password">')
    password = html[start : html.index("<", start)]
    assert client.login(username="grid_worker", password=password)
    assert AuditEvent.objects.get(action="accounts.reset_password").after["generated"] is True
    # Not shown again: the password page asks for a new one.
    again = client_for("street").get(reverse("accounts:user_password", args=[worker.pk])).content.decode()
    assert password not in again


def test_reset_password_takes_a_typed_one(city, client, client_for):
    worker = User.objects.get(username="grid_worker")
    url = reverse("accounts:user_password", args=[worker.pk])
    response = client_for("street").post(
        url, {"password1": "Typed-pass-2025", "password2": "Typed-pass-2025"}
    )
    assert response.status_code == 200 and "Typed-pass-2025" not in response.content.decode()
    assert client.login(username="grid_worker", password="Typed-pass-2025")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"password1": "short1", "password2": "short1"}, "密码"),
        ({"password1": "12345678901", "password2": "12345678901"}, "密码"),
        ({"password1": "Typed-pass-2025", "password2": "Typed-pass-2026"}, "两次输入的密码不一致"),
        ({"password1": "Typed-pass-2025"}, "两次输入的密码不一致"),
    ],
)
def test_reset_password_bad_input_shows_errors_and_changes_nothing(form, message, city, client_for):
    worker = User.objects.get(username="grid_worker")
    client = client_for("street")
    before, audit_before = state_of(worker), AuditEvent.objects.count()
    response = client.post(reverse("accounts:user_password", args=[worker.pk]), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'data-testid="temporary-password"' not in response.content.decode()
    assert state_of(worker) == before and AuditEvent.objects.count() == audit_before


# --- navigation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [*MANAGERS, *NOT_MANAGERS])
def test_navigation_links_the_page_for_managers_only(role, client_for):
    html = client_for(role).get(reverse("web:area_home"), follow=True).content.decode()
    link = f'href="{reverse("accounts:user_list")}"'
    assert (link in html) == (role in MANAGERS)
