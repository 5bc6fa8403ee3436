"""The Django admin is read-only (no write bypasses the services), superusers included, and shows only the
admin user's subtree where the model records an area."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from gridgov.accounts import services
from gridgov.accounts.models import LoginFailure, User
from gridgov.accounts.roles import Role
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.people.models import Tag
from gridgov.workforce.models import SalaryScale
from tests.base import state_of
from tests.factories import UserFactory

SYSTEM = SystemActor("tests.accounts")  # the actor of set-up steps: reaches every area, audited as such


@pytest.fixture
def superuser_client(city) -> Client:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    return client


def _user_form(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "area": user.area_id or "",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


def test_user_change_in_admin_is_refused(city, users, superuser_client):
    worker = users["grid_worker"]
    before, audit_rows = state_of(worker), AuditEvent.objects.count()
    url = reverse("admin:accounts_user_change", args=[worker.pk])
    assert superuser_client.get(url).status_code == 200  # still viewable
    response = superuser_client.post(url, _user_form(worker, role=Role.CITY_ADMIN, area=city.city.pk))
    assert response.status_code == 403
    assert state_of(worker) == before and AuditEvent.objects.count() == audit_rows


def test_user_add_delete_and_password_in_admin_are_refused(city, users, superuser_client):
    worker = users["grid_worker"]
    before, count = state_of(worker), User.objects.count()
    add = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {"username": "sneak", "password1": "Xx-123456789", "password2": "Xx-123456789"},
    )
    assert add.status_code == 403
    delete = superuser_client.post(reverse("admin:accounts_user_delete", args=[worker.pk]), {"post": "yes"})
    assert delete.status_code == 403
    password = superuser_client.post(
        reverse("admin:auth_user_password_change", args=[worker.pk]),
        {"password1": "Xx-123456789", "password2": "Xx-123456789"},
    )
    assert password.status_code == 403
    assert User.objects.count() == count and state_of(worker) == before


def test_tag_admin_is_read_only(city, superuser_client):
    tag = Tag.objects.order_by("pk").first()
    before, count = state_of(tag), Tag.objects.count()
    change = superuser_client.post(
        reverse("admin:people_tag_change", args=[tag.pk]),
        {"code": tag.code, "name": "改名", "category": tag.category, "sort": tag.sort},
    )
    add = superuser_client.post(reverse("admin:people_tag_add"), {"code": "x", "name": "新", "sort": 1})
    delete = superuser_client.post(reverse("admin:people_tag_delete", args=[tag.pk]), {"post": "yes"})
    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert state_of(tag) == before and Tag.objects.count() == count


def test_salary_scale_admin_is_read_only(city, superuser_client):
    count = SalaryScale.objects.count()
    response = superuser_client.post(
        reverse("admin:workforce_salaryscale_add"),
        {
            "name": "偷偷加的标准",
            "effective_from": "2030-01-01",
            "city_share": "0.5",
            "years_per_grade": "3",
            "education_grades": "{}",
            "certificate_grades": "{}",
            "rates-TOTAL_FORMS": "0",
            "rates-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    assert SalaryScale.objects.count() == count
    scale = SalaryScale.objects.create(
        name="现行标准", effective_from=dt.date(2029, 1, 1), city_share=Decimal("0.5")
    )
    before = state_of(scale)
    change = superuser_client.post(
        reverse("admin:workforce_salaryscale_change", args=[scale.pk]),
        {"name": "改过", "effective_from": "2029-01-01", "city_share": "0.9", "years_per_grade": "1"},
    )
    assert change.status_code == 403 and state_of(scale) == before


def test_audit_and_login_failure_admin_are_read_only(city, superuser_client):
    with transaction.atomic():
        services.create_user(
            SYSTEM, username="audited", password="Qingshan-2025!", role=Role.GRID_WORKER, area=city.grid_a
        )
    event = AuditEvent.objects.get(action="accounts.create_user", object_repr="audited")
    failure = LoginFailure.objects.create(username="audited")
    assert (
        superuser_client.post(
            reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        superuser_client.post(
            reverse("admin:accounts_loginfailure_delete", args=[failure.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        AuditEvent.objects.filter(pk=event.pk).exists()
        and LoginFailure.objects.filter(pk=failure.pk).exists()
    )


def _staff(users, key: str) -> Client:
    User.objects.filter(pk=users[key].pk).update(is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=users[key].pk))
    return client


def test_audit_admin_shows_the_admin_users_subtree_only(city, users):
    services.create_user(
        SYSTEM, username="east-new", password="Qingshan-2025!", role=Role.GRID_WORKER, area=city.grid_b
    )
    services.create_user(
        SYSTEM, username="west-new", password="Qingshan-2025!", role=Role.GRID_WORKER, area=city.grids[4]
    )
    html = (
        _staff(users, "district")
        .get(reverse("admin:core_auditevent_changelist"), {"q": "-new"})
        .content.decode()
    )
    assert "east-new" in html and "west-new" not in html
    west = AuditEvent.objects.get(object_repr="west-new")
    assert (
        _staff(users, "district").get(reverse("admin:core_auditevent_change", args=[west.pk])).status_code
        == 302
    )
    city_html = (
        _staff(users, "city_admin")
        .get(reverse("admin:core_auditevent_changelist"), {"q": "-new"})
        .content.decode()
    )
    assert "east-new" in city_html and "west-new" in city_html


def test_user_admin_shows_the_admin_users_subtree_only(city, users):
    boss = UserFactory(username="district-root", is_superuser=True, is_staff=True, area=city.districts[0])
    west = UserFactory(username="west-grid", role=Role.GRID_WORKER, area=city.grids[4])
    client = Client()
    client.force_login(boss)
    html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert reverse("admin:accounts_user_change", args=[users["grid_worker"].pk]) in html
    assert reverse("admin:accounts_user_change", args=[west.pk]) not in html


def test_area_history_cannot_be_added_in_the_admin_even_by_a_superuser(db):
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from gridgov.areas.models import AreaChange

    superuser = User.objects.create_superuser("root-history", password="x")
    request = RequestFactory().get("/admin/areas/areachange/add/")
    request.user = superuser
    model_admin = django_admin.site._registry[AreaChange]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
