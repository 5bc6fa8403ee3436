"""Hostile input on the property API and pages: bodies that are not objects, fields of the wrong type,
companies and areas outside the user's, filter values out of range — every one a 4xx (or a form error)
with a Chinese message, and nothing changed. Also the company filter and field that resolve a street's
company for its communities, and what the schema promises."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.property import services
from gridgov.property.forms import last_month
from gridgov.property.models import Elimination, Estate, MonthlyScore, PropertyCompany, RoundTable, Talk

from ..base import state_of
from .conftest import SYSTEM

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
HUGE = "99999999999999999999"


@pytest.fixture
def world(city):
    """A street's company serving an estate of 东一社区, a bare estate there, and another city's company."""
    street_company = services.create_company(SYSTEM, name="街道物业", area=city.streets[0])
    estate = services.create_estate(SYSTEM, name="东一花园", area=city.grid_a, company=street_company)
    bare = services.create_estate(SYSTEM, name="无主小区", area=city.grid_b)
    public = services.create_company(SYSTEM, name="公益物业", area=city.streets[0], is_public_interest=True)
    far = services.create_company(SYSTEM, name="外市物业", area=city.other_city[3], is_public_interest=True)
    return {"street_company": street_company, "estate": estate, "bare": bare, "public": public, "far": far}


def _counts():
    models = (PropertyCompany, Estate, MonthlyScore, Talk, Elimination, RoundTable)
    return (*(m.objects.unscoped("test").count() for m in models), AuditEvent.objects.count())


# action URL name -> (role, the object's fixture key, a body of the wrong types, the field it names)
ACTIONS = {
    "property-company-standards": ("street", "street_company", {"codes": "AAA"}, "codes"),
    "property-company-alliance": ("street", "street_company", {"joined_on": "AAA"}, "joined_on"),
    "property-estate-fee-rate": ("street", "estate", {"rate": "AAA"}, "rate"),
    "property-estate-fallback": ("street", "bare", {"organisation": "AAA"}, "organisation"),
}


@pytest.mark.parametrize("url_name", sorted(ACTIONS))
@pytest.mark.parametrize("body", ["0", "[]", '"text"', "{bad json"])
def test_action_body_that_is_not_an_object_is_a_chinese_400(url_name, body, world, api_for):
    role, key, _wrong, _field = ACTIONS[url_name]
    obj = world[key]
    before, counts = state_of(obj), _counts()
    response = api_for(role).generic(
        "POST", reverse(url_name, args=[obj.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert CHINESE.search(response.json()["detail"])
    assert state_of(obj) == before and _counts() == counts


@pytest.mark.parametrize("url_name", sorted(ACTIONS))
def test_action_fields_of_the_wrong_type_are_a_chinese_400(url_name, world, api_for):
    role, key, wrong, field = ACTIONS[url_name]
    obj = world[key]
    before, counts = state_of(obj), _counts()
    response = api_for(role).post(reverse(url_name, args=[obj.pk]), wrong, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and CHINESE.search(str(response.json()[field]))
    assert state_of(obj) == before and _counts() == counts


def test_unknown_standard_and_rate_past_the_range_are_a_400(world, api_for):
    client, company, estate = api_for("street"), world["street_company"], world["estate"]
    before = (state_of(company), state_of(estate))
    r = client.post(
        reverse("property-company-standards", args=[company.pk]), {"codes": ["s99"]}, format="json"
    )
    assert r.status_code == 400 and "codes" in r.json()
    for rate in ("1e20", HUGE, "-1e308", "100.5"):
        r = client.post(reverse("property-estate-fee-rate", args=[estate.pk]), {"rate": rate}, format="json")
        assert r.status_code == 400, rate
    assert (state_of(company), state_of(estate)) == before


def test_fallback_by_an_organisation_of_another_city_is_a_400(world, api_for):
    bare = world["bare"]
    before, counts = state_of(bare), _counts()
    for organisation in (world["far"].pk, 10**9, HUGE):
        r = api_for("community_secretary").post(
            reverse("property-estate-fallback", args=[bare.pk]), {"organisation": organisation}, format="json"
        )
        assert r.status_code == 400 and "organisation" in r.json()
    assert state_of(bare) == before and _counts() == counts


def test_a_community_names_the_streets_company_that_serves_it(world, api_for, city):
    """The company field accepts a company registered above the user's area (the street's): a community
    attaches it to a new estate and hands it a bare estate; another city's stays "not a valid choice"."""
    client = api_for("community_secretary")
    r = client.post(
        reverse("property-estate-list"),
        {"name": "新小区", "area": city.grid_a.pk, "company": world["street_company"].pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    r = client.post(
        reverse("property-estate-fallback", args=[world["bare"].pk]),
        {"organisation": world["public"].pk},
        format="json",
    )
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    ("url_name", "body", "field"),
    [
        ("property-company-list", {"name": {"x": 1}, "area": 1}, "name"),
        ("property-company-list", {"name": "x", "area": HUGE}, "area"),
        ("property-company-list", {"name": "x", "area": 1, "party_status": "nonsense"}, "party_status"),
        ("property-estate-list", {"name": "x", "area": 1, "households": "AAA"}, "households"),
        ("property-estate-list", {"name": "x", "area": 1, "households": HUGE}, "households"),
        ("property-estate-list", {"name": "x", "area": 1, "buildings": "AAA"}, "buildings"),
        ("property-estate-list", {"name": "x", "area": 1, "coverage_model": "nonsense"}, "coverage_model"),
        ("property-score-list", {"company": 1, "month": "AAA", "scorer": "party", "score": 90}, "month"),
        ("property-score-list", {"company": 1, "month": "2026-01-01", "scorer": "x", "score": 90}, "scorer"),
        ("property-score-list", {"company": "AAA", "month": "2026-01-01", "scorer": "party"}, "company"),
        ("property-talk-list", {"company": 1, "year": "AAA", "quarter": 1}, "year"),
        ("property-talk-list", {"company": 1, "year": 2025, "quarter": HUGE}, "quarter"),
        ("property-elimination-list", {"company": 1, "year": 2025, "decision": {"x": 1}}, "decision"),
        ("property-meeting-list", {"community": "AAA", "held_on": "2026-03-02"}, "community"),
        ("property-meeting-list", {"community": 1, "held_on": "2026-03-02", "attendees": "AAA"}, "attendees"),
    ],
)
def test_create_with_wrong_types_is_a_chinese_400_and_creates_nothing(url_name, body, field, world, api_for):
    counts = _counts()
    response = api_for("street").post(reverse(url_name), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and CHINESE.search(str(response.json()[field]))
    assert _counts() == counts


@pytest.mark.parametrize(
    "url_name",
    [
        "property-company-list",
        "property-estate-list",
        "property-score-list",
        "property-talk-list",
        "property-elimination-list",
        "property-meeting-list",
    ],
)
@pytest.mark.parametrize("body", ["0", "[]", "{bad json"])
def test_create_body_that_is_not_an_object_is_a_chinese_400(url_name, body, world, api_for):
    counts = _counts()
    response = api_for("street").generic("POST", reverse(url_name), body, content_type="application/json")
    assert response.status_code == 400 and CHINESE.search(response.json()["detail"])
    assert _counts() == counts


def test_score_of_a_company_of_another_city_is_a_400(world, api_for):
    counts = _counts()
    r = api_for("street").post(
        reverse("property-score-list"),
        {"company": world["far"].pk, "month": "2026-01-01", "scorer": "party", "score": 90},
        format="json",
    )
    assert r.status_code == 400 and "company" in r.json()
    assert _counts() == counts


# --- filters and query parameters ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("property-estate-list", {"company": HUGE}),
        ("property-estate-list", {"company": "abc"}),
        ("property-estate-list", {"company": "-1e308"}),
        ("property-estate-list", {"coverage_model": "nonsense"}),
        ("property-company-list", {"party_status": "nonsense"}),
        ("property-company-list", {"area": HUGE}),
        ("property-company-list", {"q": "x" * 101}),
        ("property-ranking-list", {"month": "AAA"}),
        ("property-ranking-list", {"month": "2025-13"}),
        ("property-ranking-export", {"month": "AAA"}),
    ],
)
def test_filter_values_out_of_range_are_a_chinese_400(url_name, query, world, api_for):
    response = api_for("street").get(reverse(url_name), query)
    assert response.status_code == 400, response.content
    assert CHINESE.search(response.content.decode())


def test_estate_company_filter_resolves_in_the_users_scope(world, api_for):
    """`?company=` of the street's company works for the community it serves (it is not in the
    community's list of companies); another city's company is "not a valid choice"."""
    client = api_for("community_secretary")
    r = client.get(reverse("property-estate-list"), {"company": world["street_company"].pk})
    assert r.status_code == 200 and [e["id"] for e in r.json()["results"]] == [world["estate"].pk]
    r = client.get(reverse("property-estate-list"), {"company": world["far"].pk})
    assert r.status_code == 400 and "company" in r.json() and CHINESE.search(str(r.json()["company"]))
    r = client.get(reverse("property-estate-list"), {"no_service": "true"})
    assert [e["id"] for e in r.json()["results"]] == [world["bare"].pk]


def test_ranking_month_is_read_as_a_month(world, api_for):
    r = api_for("street").get(reverse("property-ranking-list"), {"month": "2025-03"})
    assert r.status_code == 200 and r.json() == {"month": "2025-03", "results": []}


@pytest.mark.parametrize(
    "url_name", ["property-company-list", "property-estate-list", "property-ranking-list"]
)
def test_trace_is_405(url_name, api_for):
    response = api_for("street").generic("TRACE", reverse(url_name))
    assert response.status_code == 405 and CHINESE.search(response.json()["detail"])


# --- the schema says what the endpoints do --------------------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_the_real_bodies_and_answers(schema):
    paths = schema["paths"]
    ranking = paths["/api/property/ranking/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert ranking == {"$ref": "#/components/schemas/Ranking"}  # one object, not a list
    for path, name in [
        ("/api/property/companies/{id}/standards/", "codes"),
        ("/api/property/companies/{id}/alliance/", "joined_on"),
        ("/api/property/estates/{id}/fee_rate/", "rate"),
        ("/api/property/estates/{id}/fallback/", "organisation"),
        ("/api/property/companies/", "name"),
        ("/api/property/estates/", "buildings"),
        ("/api/property/meetings/", "attendees"),
    ]:
        ref = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert name in schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"], path
    meeting = paths["/api/property/meetings/"]["post"]["responses"]["201"]["content"]["application/json"]
    assert meeting["schema"] == {"$ref": "#/components/schemas/RoundTable"}
    estates = {p["name"] for p in paths["/api/property/estates/"]["get"]["parameters"]}
    assert {"company", "no_service", "coverage_model"} <= estates


# --- pages --------------------------------------------------------------------------------------------------
def test_estate_page_filter_of_another_citys_company_shows_the_error_and_no_rows(world, client_for):
    html = (
        client_for("community_secretary")
        .get(reverse("property:estate_list"), {"company": world["far"].pk})
        .content.decode()
    )
    assert 'data-testid="filter-errors"' in html and "东一花园" not in html
    html = client_for("community_secretary").get(reverse("property:estate_list")).content.decode()
    assert "东一花园" in html and 'data-testid="filter-errors"' not in html


def test_company_page_public_filter(world, client_for):
    html = client_for("street").get(reverse("property:company_list"), {"public": "1"}).content.decode()
    assert "公益物业" in html and "街道物业" not in html
    assert 'name="public" value="1" checked' in html


def test_meeting_page_bad_input_keeps_what_was_typed_and_creates_nothing(world, city, client_for, category):
    client = client_for("community_secretary")
    counts = _counts()
    response = client.post(
        reverse("property:meeting_create"),
        {
            "community": city.communities[0].pk,
            "estate": HUGE,
            "held_on": "2026-03-02",
            "convener": "社区党委",
            "attendees": "社区党委\n业委会\n物业",
            "topics": "停车难",
            "category": category.pk,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="error-estate"' in html
    assert "停车难" in html
    assert _counts() == counts


def test_ranking_page_with_a_bad_month_shows_last_month(client_for):
    response = client_for("street").get(reverse("property:ranking"), {"month": "AAA"})
    assert response.status_code == 200
    assert f'name="month" value="{last_month():%Y-%m}"' in response.content.decode()
