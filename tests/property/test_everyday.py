"""Everyday use (issue 10), the property company's side: it sees only the work orders in its own estates
and those dispatched to it (page and API), its name on its pages, its own scores and rank; and the
company and estate lists export to xlsx in scope with their filters."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.events import services as events
from gridgov.events.models import Category, Event
from gridgov.property import services
from gridgov.property.models import MonthlyScore, Scorer

from ..factories import UserFactory
from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_world(city, users):
    """青山物业 (registered at 东华街道) serves 东一花园 = building A; the login is bound to the community
    as the demo's is. Four orders in the community and one in the other street."""
    street = city.streets[0]
    own = services.create_company(SYSTEM, name="青山物业", area=street)
    rival = services.create_company(SYSTEM, name="绿水物业", area=street)
    services.create_estate(
        SYSTEM, name="东一花园", area=city.communities[0], company=own, buildings=[city.building_a]
    )
    services.create_estate(
        SYSTEM, name="东一南苑", area=city.grid_b, company=rival, buildings=[city.buildings[1]]
    )
    login = UserFactory(username="qingshan", role=Role.PROPERTY, area=city.communities[0])
    services.link_account(SYSTEM, login, own)
    worker = users["community_worker"]
    repair = Category.objects.get(code="property.repair")
    road = Category.objects.get(code="facility.road")

    def order(title, area, category=repair, company=None, area_to=None, who=worker):
        event = events.report_event(who, category=category, title=title, area=area)
        event = events.accept(who, event)
        if company is not None:
            return events.dispatch(who, event, assignee_kind="property", assignee_id=company.pk)
        if area_to is not None:
            return events.dispatch(who, event, assignee_kind="department", assignee_area=area_to)
        return event

    orders = {
        "in_estate_to_department": order(
            "本小区道路", city.unit_a, road, area_to=street, who=users["street"]
        ),
        "in_estate_to_own": order("本小区报修", city.unit_a, company=own),
        "rival_estate": order("别家小区报修", city.units[1], company=rival),
        "community_to_department": order(
            "社区道路", city.units[1], road, area_to=street, who=users["street"]
        ),
        "elsewhere_to_own": order("外街道派给本企业", city.units[2], company=own, who=users["city_admin"]),
    }
    return {"own": own, "rival": rival, "login": login, "orders": orders}


VISIBLE = {"in_estate_to_department", "in_estate_to_own", "elsewhere_to_own"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_company_sees_only_its_estates_and_its_dispatched_orders(company_world):
    login, orders = company_world["login"], company_world["orders"]
    seen = set(Event.objects.visible_to(login).values_list("pk", flat=True))
    assert seen == {orders[k].pk for k in VISIBLE}
    # the queue page, with every state
    html = _client(login).get(reverse("events:queue"), {"state": "all"}).content.decode()
    for key, event in orders.items():
        assert (event.number in html) == (key in VISIBLE), key
    # the API list and detail
    api = APIClient()
    api.force_authenticate(login)
    listed = {row["number"] for row in api.get(reverse("event-list"), {"page_size": 100}).json()["results"]}
    assert listed == {orders[k].number for k in VISIBLE}
    assert api.get(reverse("event-detail", args=[orders["rival_estate"].pk])).status_code == 404
    assert _client(login).get(reverse("events:detail", args=[orders["rival_estate"].pk])).status_code == 404


def test_company_handles_its_order_but_not_the_departments(company_world):
    login, orders = company_world["login"], company_world["orders"]
    assert events.allowed_actions(login, orders["in_estate_to_own"]) == ["start", "return"]
    assert events.allowed_actions(login, orders["in_estate_to_department"]) == []


def test_company_name_is_on_its_pages(company_world):
    client = _client(company_world["login"])
    assert "青山物业" in client.get(reverse("events:queue")).content.decode()
    assert reverse("property:my_company") in client.get(reverse("events:queue")).content.decode()
    assert "青山物业" in client.get(reverse("property:my_company")).content.decode()


def _score(company, month, total):
    for scorer in Scorer.values:
        MonthlyScore.objects.create(
            company=company, area_path=company.area_path, month=month, scorer=scorer, score=Decimal(total)
        )


def test_company_sees_its_scores_and_rank(company_world, client_for):
    own, rival = company_world["own"], company_world["rival"]
    last = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    earlier = (last - dt.timedelta(days=1)).replace(day=1)
    _score(own, last, 80)
    _score(rival, last, 90)
    _score(own, earlier, 95)
    _score(rival, earlier, 70)
    client = _client(company_world["login"])
    html = client.get(reverse("property:my_company")).content.decode()
    assert "第 2 名 / 2" in html  # the latest month
    assert f"{last:%Y-%m}" in html and f"{earlier:%Y-%m}" in html
    assert "1 ★ / 2" in html  # the earlier month, when it was the service star
    assert "绿水物业" not in html  # its own page shows its own figures only
    r = client.get(reverse("property:my_company_export"))
    rows = list(load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("月份", "党建覆盖", "专业服务", "居民满意", "综合得分", "名次", "参评企业数")
    assert rows[1][0] == f"{last:%Y-%m}" and rows[1][5] == 2 and rows[1][6] == 2
    # not a company login: refused; anonymous: to the login page
    assert client_for("street").get(reverse("property:my_company")).status_code == 403
    assert client_for("property").get(reverse("property:my_company")).status_code == 403  # no company linked
    assert client_for(None).get(reverse("property:my_company")).status_code == 302


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))


def test_company_and_estate_lists_export_in_scope_with_filters(city, client_for, company_world):
    services.create_company(SYSTEM, name="西华公益服务社", area=city.streets[1], is_public_interest=True)
    client = client_for("street")
    rows = _sheet(client.get(reverse("property:company_export")))
    names = {r[0] for r in rows[1:]}
    assert {"青山物业", "绿水物业"} <= names and "西华公益服务社" not in names  # the other street
    rows = _sheet(client.get(reverse("property:company_export"), {"q": "绿水"}))
    assert [r[0] for r in rows[1:]] == ["绿水物业"]
    html = client.get(reverse("property:company_list"), {"q": "绿水"}).content.decode()
    assert reverse("property:company_export") + "?q=" in html
    rows = _sheet(client.get(reverse("property:estate_export")))
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"东一花园", "东一南苑"}
    assert by_name["东一花园"][1] == "东一社区" and by_name["东一南苑"][1] == "东一社区 · 第2网格"
    assert by_name["东一花园"][3] == "青山物业"
    rows = _sheet(client.get(reverse("property:estate_export"), {"no_service": "1"}))
    assert rows[1:] == []
    assert client_for("resident").get(reverse("property:estate_export")).status_code == 403


def test_meeting_form_offers_top_level_categories(client_for):
    html = client_for("community_secretary").get(reverse("property:meeting_create")).content.decode()
    assert ">邻里纠纷</option>" in html and ">其他</option>" in html
    assert ">物业服务 / 电梯故障</option>" in html
