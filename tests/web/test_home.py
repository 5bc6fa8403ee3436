"""Each role lands on a page made for it, and the navigation links only to pages the role may open."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.core.actors import SystemActor
from gridgov.points import services as points_services
from gridgov.points.models import MerchantKind
from gridgov.property.models import CompanyAccount, PropertyCompany
from tests.factories import UserFactory

SYSTEM = SystemActor("tests.web")  # the actor of set-up steps: reaches every area, audited as such

pytestmark = pytest.mark.django_db

LANDING = {
    "city_admin": "/areas/",
    "district": "/areas/",
    "street": "/areas/",
    "community_secretary": "/areas/",
    "community_worker": "/areas/",
    "grid_worker": "/grid/",
    "property": "/property/",
    "resident": "/me/",
}


@pytest.mark.parametrize("role", list(LANDING))
def test_each_role_lands_on_its_own_page(client_for, role):
    response = client_for(role).get(reverse("web:home"), follow=True)
    assert response.status_code == 200
    final = response.redirect_chain[-1][0]
    assert final.startswith(LANDING[role]), final


@pytest.mark.parametrize("role", list(LANDING))
def test_every_navigation_link_opens(client_for, role):
    client = client_for(role)
    response = client.get(reverse("web:home"), follow=True)
    items = response.context["nav_items"]
    assert items, role
    for href, label in items:
        answer = client.get(href, follow=True)
        assert answer.status_code == 200, f"{role}: {label} {href} → {answer.status_code}"


def test_a_resident_home_shows_points_reports_and_positions(client_for, users, city):
    resident = city.resident_a
    user = users["resident"]
    user.area = city.unit_a
    user.save(update_fields=["area"])
    points_services.link_resident(SYSTEM, user, resident)
    points_services.fund_pool(SYSTEM, city.communities[0], 1_000, key="home-fund")
    points_services.transfer(
        SYSTEM,
        points_services.earning_pool(resident.area_path),
        points_services.resident_account(resident),
        120,
        key="home-give",
    )
    html = client_for("resident").get(reverse("web:resident_home")).content.decode()
    assert 'data-testid="balance">120<' in html
    assert reverse("points:code") in html
    assert reverse("events:report") in html


def test_a_resident_without_a_linked_record_is_told_so(client_for):
    html = client_for("resident").get(reverse("web:resident_home")).content.decode()
    assert "尚未绑定居民信息" in html


def test_home_pages_refuse_other_roles(client_for):
    assert client_for("street").get(reverse("web:resident_home")).status_code == 403
    assert client_for("resident").get(reverse("web:grid_home")).status_code == 403
    assert client_for("grid_worker").get(reverse("web:property_home")).status_code == 403


def test_a_merchant_lands_on_the_redeem_page(client, city):
    user = UserFactory(username="m1", role=Role.MERCHANT, area=city.communities[0])
    points_services.create_merchant(
        SYSTEM, name="便利店", kind=MerchantKind.SHOP, area=city.communities[0], user=user
    )
    client.force_login(user)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("points:merchant")


def test_a_property_company_sees_its_name(client_for, users, city):
    company = PropertyCompany.objects.unscoped("test").create(name="红叶物业", area=city.streets[0])
    CompanyAccount.objects.create(user=users["property"], company=company)
    html = client_for("property").get(reverse("web:property_home")).content.decode()
    assert "红叶物业" in html


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
