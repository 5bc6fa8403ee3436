"""HTML and SQL injection text on the people pages: stored as typed, shown escaped, never executed.

The records are made through the services where the services accept the text (a household number, an
area's name, a search term); a resident's name is refused by the name rule, so the test also writes one
straight to the table — as a row from before the rule, or from another system, would arrive — to prove
that the pages escape it rather than rely on the rule.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.areas import services as area_services
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.people import services
from gridgov.people.models import Household, Resident

from ..helpers import resident_row, upload, xlsx_bytes
from .test_import import new_id

SYSTEM = SystemActor("tests.hostile")
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
SQL = "'; drop table--"
ESCAPED_SQL = "&#x27;; drop table--"
BREAKOUT = '"><script>x</script>'  # 20 characters: the longest household number


def test_the_name_rule_refuses_markup_and_sql(city):
    for name in (SCRIPT, SQL):
        with pytest.raises(ServiceError):
            services.register_resident(SYSTEM, household=city.household_a, name=name, id_number=new_id(81))


@pytest.fixture
def hostile(city):
    area_services.rename_area(SYSTEM, city.unit_a, name=SCRIPT + SQL)
    household = services.create_household(SYSTEM, unit=city.unit_a, number=BREAKOUT)
    other = services.create_household(SYSTEM, unit=city.unit_a, number=SQL)
    resident = services.register_resident(SYSTEM, household=household, name="王五", id_number=new_id(82))
    services.register_resident(SYSTEM, household=other, name="赵六", id_number=new_id(83))
    Resident._base_manager.filter(pk=resident.pk).update(name=SCRIPT + SQL)
    return resident, household, other


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_escaped(html: str, *texts: str) -> None:
    assert SCRIPT not in html and "<script>x</script>" not in html
    assert ESCAPED_SCRIPT in html or "&lt;script&gt;x&lt;/script&gt;" in html
    for text in texts:
        assert text in html, text


@pytest.mark.django_db
def test_people_pages_escape_hostile_text(hostile, client_for):
    resident, household, other = hostile
    client = client_for("community_worker")
    html = _page(client, reverse("people:resident_list"))
    assert_escaped(html, ESCAPED_SCRIPT, ESCAPED_SQL)
    assert_escaped(_page(client, reverse("people:resident_detail", args=[resident.pk])), ESCAPED_SQL)
    assert_escaped(
        _page(client, reverse("people:household_list")), "&quot;&gt;&lt;script&gt;x&lt;/script&gt;"
    )
    assert_escaped(_page(client, reverse("people:household_detail", args=[household.pk])))
    assert ESCAPED_SQL in _page(client, reverse("people:household_detail", args=[other.pk]))


@pytest.mark.django_db
def test_a_hostile_search_term_is_escaped_and_finds_nothing_harmful(hostile, client_for):
    client = client_for("community_worker")
    for term in (SCRIPT, SQL, "' OR '1'='1", "%", "_"):
        response = client.get(reverse("people:resident_list"), {"q": term})
        assert response.status_code == 200
        assert SCRIPT not in response.content.decode()
    # The tables are still there and the text is stored as typed.
    assert Household.objects.unscoped("test").filter(number=SQL).count() == 1
    assert Resident.objects.unscoped("test").filter(name=SCRIPT + SQL).count() == 1


@pytest.mark.django_db
def test_the_api_returns_the_text_as_data(hostile, api_for):
    resident, _household, _other = hostile
    response = api_for("community_worker").get(reverse("resident-detail", args=[resident.pk]))
    assert response.status_code == 200
    assert response.json()["name"] == SCRIPT + SQL  # JSON is data; the client escapes when it renders
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_an_import_error_quoting_hostile_text_is_escaped(city, client_for):
    row = resident_row("甲乙", new_id(84), city.unit_a.code, tags=SCRIPT)
    response = client_for("community_worker").post(
        reverse("people:import"), {"file": upload(xlsx_bytes([row]))}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # The tag list splits on "/" and spaces: the reason quotes "<script>alert(1)<", escaped.
    assert "<script>" not in html.split("</head>", 1)[1].replace("<script src=", "")
    assert "未知标签“&lt;script&gt;alert(1)&lt;”" in html
