"""Write API: companies, estates, talks, elimination decisions and round-table meetings — happy path,
bad input changes nothing, out of scope 404, no permission 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.events.models import Event
from gridgov.property import services
from gridgov.property.models import Elimination, Estate, PropertyCompany, RoundTable, Scorer, Talk

from ..base import DetailAPITests, ListAPITests, WriteAPITests, state_of
from .conftest import SYSTEM
from .test_pages import CompanyObjects, EstateObjects, MeetingObjects

pytestmark = pytest.mark.django_db

VIEWERS = ("city_admin", "district", "street", "community_secretary", "community_worker")


class TestCompanyWriteAPI(CompanyObjects, WriteAPITests):
    basename = "property-company"
    writer_roles = ("city_admin", "district", "street")  # property.add_standardscheck
    reader_roles = ("community_secretary", "community_worker")
    write_action = "property.standards_check"

    def write(self, client, obj):
        return client.post(
            reverse("property-company-standards", args=[obj.pk]), {"codes": ["s01"]}, format="json"
        )


class TestEstateWriteAPI(EstateObjects, WriteAPITests):
    basename = "property-estate"
    writer_roles = ("street", "community_secretary")
    reader_roles = ("community_worker",)
    write_action = "property.fee_rate"

    def write(self, client, obj):
        return client.post(
            reverse("property-estate-fee-rate", args=[obj.pk]), {"rate": "90.5"}, format="json"
        )


class TestMeetingAPI(MeetingObjects, ListAPITests, DetailAPITests):
    basename = "property-meeting"
    allowed_roles = VIEWERS
    denied_roles = ("grid_worker", "property", "resident")


def test_create_company_and_estate(city, users, api_for, category, alliance):
    client = api_for("street")
    r = client.post(
        reverse("property-company-list"),
        {"name": "新物业", "area": city.streets[0].pk, "party_status": "own"},
        format="json",
    )
    assert r.status_code == 201, r.content
    company = r.json()["id"]
    r = client.post(
        reverse("property-company-alliance", args=[company]), {"joined_on": "2026-01-05"}, format="json"
    )
    assert r.status_code == 200 and r.json()["in_alliance"]
    r = client.post(
        reverse("property-estate-list"),
        {"name": "新小区", "area": city.grid_a.pk, "company": company, "buildings": [city.building_a.pk]},
        format="json",
    )
    assert r.status_code == 201, r.content
    estate = Estate.objects.unscoped("t").get(pk=r.json()["id"])
    assert estate.coverage_model == "introduced" and list(estate.buildings.all()) == [city.building_a]
    assert AuditEvent.objects.filter(action="property.create_estate", actor=users["street"]).count() == 1


def test_create_bad_input_changes_nothing(city, users, api_for):
    client = api_for("street")
    counts = (PropertyCompany.objects.unscoped("t").count(), Estate.objects.unscoped("t").count())
    audit = AuditEvent.objects.count()
    assert (
        client.post(reverse("property-company-list"), {"name": "", "area": city.streets[0].pk}).status_code
        == 400
    )
    r = client.post(reverse("property-company-list"), {"name": "x", "area": city.grid_a.pk}, format="json")
    assert r.status_code == 400 and "街道" in r.json()["detail"]
    r = client.post(reverse("property-estate-list"), {"name": "x", "area": city.streets[0].pk}, format="json")
    assert r.status_code == 400
    r = client.post(
        reverse("property-estate-list"),
        {"name": "x", "area": city.grid_a.pk, "coverage_model": "introduced"},
        format="json",
    )
    assert r.status_code == 400
    assert (PropertyCompany.objects.unscoped("t").count(), Estate.objects.unscoped("t").count()) == counts
    assert AuditEvent.objects.count() == audit


def test_create_out_of_scope_is_400_and_without_permission_403(city, users, api_for, estate_out):
    """Ids in the body resolve in the requester's scope: one outside it is "not a valid choice"."""
    count = Estate.objects.unscoped("t").count()
    r = api_for("street").post(
        reverse("property-estate-list"), {"name": "x", "area": city.other_city[4].pk}, format="json"
    )
    assert r.status_code == 400 and "area" in r.json()
    # a company of another city cannot be attached to an estate here
    r = api_for("street").post(
        reverse("property-estate-list"),
        {"name": "x", "area": city.grid_a.pk, "company": estate_out.company_id},
        format="json",
    )
    assert r.status_code == 400 and "company" in r.json()
    r = api_for("community_worker").post(
        reverse("property-estate-list"), {"name": "x", "area": city.grid_a.pk}, format="json"
    )
    assert r.status_code == 403
    assert Estate.objects.unscoped("t").count() == count


def test_fallback_by_public_interest_organisation(city, users, api_for):
    bare = services.create_estate(SYSTEM, name="无主小区", area=city.grid_b)
    ordinary = services.create_company(SYSTEM, name="普通物业", area=city.streets[0])
    org = services.create_company(SYSTEM, name="公益物业", area=city.streets[0], is_public_interest=True)
    client = api_for("community_secretary")
    url = reverse("property-estate-fallback", args=[bare.pk])
    before = state_of(bare)
    assert client.post(url, {"organisation": ordinary.pk}, format="json").status_code == 400
    assert state_of(bare) == before
    r = client.post(url, {"organisation": org.pk}, format="json")
    assert r.status_code == 200 and r.json()["coverage_model"] == "social_org"
    assert client.post(url, {"organisation": org.pk}, format="json").status_code == 400


def test_fee_rate_out_of_range_changes_nothing(api_for, estate_in):
    before = state_of(estate_in)
    r = api_for("street").post(
        reverse("property-estate-fee-rate", args=[estate_in.pk]), {"rate": "120"}, format="json"
    )
    assert r.status_code == 400
    assert state_of(estate_in) == before


def _scores(company, value: float, year: int = 2025) -> None:
    from gridgov.property.models import MonthlyScore

    for month in range(1, 13):
        for scorer in Scorer.values:
            MonthlyScore.objects.create(
                company=company,
                area_path=company.area_path,
                month=dt.date(year, month, 1),
                scorer=scorer,
                score=value,
            )


@pytest.fixture
def ranked(city):
    good = services.create_company(SYSTEM, name="好物业", area=city.streets[0])
    bad = services.create_company(SYSTEM, name="差物业", area=city.streets[0])
    far = services.create_company(SYSTEM, name="远物业", area=city.streets[1])
    _scores(good, 90)
    _scores(bad, 50)
    _scores(far, 40)
    return {"good": good, "bad": bad, "far": far}


def test_talk_api(city, users, api_for, ranked, settings):
    settings.GRIDGOV_PROPERTY_BOTTOM_N = 1
    client = api_for("street")
    body = {"year": 2025, "quarter": 1, "held_on": "2025-04-10", "content": "服务质量差"}
    r = client.post(reverse("property-talk-list"), {**body, "company": ranked["good"].pk}, format="json")
    assert r.status_code == 400 and "末位" in r.json()["detail"]
    r = client.post(reverse("property-talk-list"), {**body, "company": ranked["far"].pk}, format="json")
    assert r.status_code == 400 and "company" in r.json()  # another street's company
    r = client.post(reverse("property-talk-list"), {**body, "company": ranked["bad"].pk}, format="json")
    assert r.status_code == 201, r.content
    assert (
        client.post(
            reverse("property-talk-list"), {**body, "company": ranked["bad"].pk}, format="json"
        ).status_code
        == 400
    )
    assert Talk.objects.unscoped("t").count() == 1
    r = api_for("community_worker").post(
        reverse("property-talk-list"), {**body, "company": ranked["bad"].pk}, format="json"
    )
    assert r.status_code == 403
    assert [row["company"] for row in client.get(reverse("property-talk-list")).json()["results"]] == [
        ranked["bad"].pk
    ]


def test_elimination_api(city, users, api_for, ranked):
    client = api_for("street")
    body = {"year": 2025, "decision": "eliminate", "note": "连续低分"}
    r = client.post(
        reverse("property-elimination-list"), {**body, "company": ranked["good"].pk}, format="json"
    )
    assert r.status_code == 400
    r = client.post(
        reverse("property-elimination-list"),
        {**body, "decision": "x", "company": ranked["bad"].pk},
        format="json",
    )
    assert r.status_code == 400
    r = client.post(
        reverse("property-elimination-list"), {**body, "company": ranked["far"].pk}, format="json"
    )
    assert r.status_code == 400 and "company" in r.json()  # another street's company
    r = api_for("community_secretary").post(
        reverse("property-elimination-list"), {**body, "company": ranked["bad"].pk}, format="json"
    )
    assert r.status_code == 403
    assert Elimination.objects.unscoped("t").count() == 0
    r = client.post(
        reverse("property-elimination-list"), {**body, "company": ranked["bad"].pk}, format="json"
    )
    assert r.status_code == 201, r.content
    ranked["bad"].refresh_from_db()
    assert not ranked["bad"].is_active and r.json()["average"] == "50.0"


def test_meeting_api(city, users, api_for, estate_in, estate_out, category):
    client = api_for("community_secretary")
    body = {
        "community": city.communities[0].pk,
        "estate": estate_in.pk,
        "held_on": "2026-03-02",
        "convener": "社区党委",
        "attendees": ["社区党委", "业委会", "物业"],
        "topics": "停车",
        "decisions": ["划线", "加装道闸"],
        "category": category.pk,
    }
    events = Event.objects.unscoped("t").count()
    assert (
        client.post(
            reverse("property-meeting-list"), {**body, "attendees": ["a", "b"]}, format="json"
        ).status_code
        == 400
    )
    r = client.post(reverse("property-meeting-list"), {**body, "estate": estate_out.pk}, format="json")
    assert r.status_code == 400 and "estate" in r.json()
    r = client.post(
        reverse("property-meeting-list"), {**body, "community": city.other_city[3].pk}, format="json"
    )
    assert r.status_code == 400 and "community" in r.json()
    assert (
        api_for("community_worker").post(reverse("property-meeting-list"), body, format="json").status_code
        == 403
    )
    assert RoundTable.objects.unscoped("t").count() == 0 and Event.objects.unscoped("t").count() == events
    r = client.post(reverse("property-meeting-list"), body, format="json")
    assert r.status_code == 201, r.content
    assert [d["content"] for d in r.json()["decisions"]] == ["划线", "加装道闸"]
    assert all(d["event_number"] for d in r.json()["decisions"])
    assert Event.objects.unscoped("t").count() == events + 2
