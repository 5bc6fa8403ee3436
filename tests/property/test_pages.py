"""Pages: companies, estates (and the no-service check), round-table meetings — scope, permission, forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.events import services as event_services
from gridgov.events.models import Category, Event
from gridgov.property import queries, services
from gridgov.property.models import Estate, PropertyCompany, RoundTable

from ..base import DetailPageTests, ListPageTests, redirects_to_login, state_of
from .conftest import SYSTEM

pytestmark = pytest.mark.django_db

VIEWERS = ("city_admin", "district", "street", "community_secretary", "community_worker")
NON_VIEWERS = ("grid_worker", "property", "resident")


def _company(city, where, name):
    found = PropertyCompany.objects.unscoped("t").filter(name=name).first()
    return found or services.create_company(SYSTEM, name=name, area=where)


class CompanyObjects:
    model = PropertyCompany

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def in_scope(self, city, user):
        return _company(city, city.communities[0], "东一物业")

    def out_of_scope(self, city, user):
        return _company(city, city.other_city[3], "外市物业")


class TestCompanyPages(CompanyObjects, ListPageTests, DetailPageTests):
    list_url_name = "property:company_list"
    detail_url_name = "property:company_detail"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS


class EstateObjects:
    model = Estate

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def _estate(self, where, company_where, name):
        found = Estate.objects.unscoped("t").filter(name=name).first()
        if found:
            return found
        company = services.create_company(SYSTEM, name=f"{name}物业", area=company_where)
        return services.create_estate(SYSTEM, name=name, area=where, company=company)

    def in_scope(self, city, user):
        return self._estate(city.grid_a, city.communities[0], "东一花园")

    def out_of_scope(self, city, user):
        return self._estate(city.other_city[4], city.other_city[3], "外市小区")


class TestEstatePages(EstateObjects, ListPageTests, DetailPageTests):
    list_url_name = "property:estate_list"
    detail_url_name = "property:estate_detail"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS


class MeetingObjects:
    model = RoundTable

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def _meeting(self, community, topics):
        found = RoundTable.objects.unscoped("t").filter(topics=topics).first()
        return found or services.record_round_table(
            SYSTEM,
            community=community,
            held_on=dt.date(2026, 3, 1),
            convener="社区党委",
            attendees=["社区党委", "业委会", "物业"],
            topics=topics,
            decisions=[],
            category=Category.objects.get(code="property.repair"),
        )

    def in_scope(self, city, user):
        return self._meeting(city.communities[0], "停车难议题")

    def out_of_scope(self, city, user):
        return self._meeting(city.other_city[3], "外市议题")


class TestMeetingPages(MeetingObjects, ListPageTests, DetailPageTests):
    list_url_name = "property:meeting_list"
    detail_url_name = "property:meeting_detail"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS
    writer_roles = ("street", "community_secretary")

    def title_of(self, obj):
        return obj.topics

    def test_post_outside_the_users_area_is_a_form_error_and_changes_nothing(
        self, city, users, client_for, writer_role
    ):
        """The form offers only the user's communities: another city's is "not a valid choice"."""
        client = client_for(writer_role)  # logging in writes its own audit row
        obj = self.out_of_scope(city, users[writer_role])
        before, audit_rows = state_of(obj), AuditEvent.objects.count()
        meetings, events = RoundTable.objects.unscoped("t").count(), Event.objects.unscoped("t").count()
        response = self.post(client, obj)
        assert response.status_code == 200 and 'data-testid="error-community"' in response.content.decode()
        assert state_of(obj) == before and AuditEvent.objects.count() == audit_rows
        assert (RoundTable.objects.unscoped("t").count(), Event.objects.unscoped("t").count()) == (
            meetings,
            events,
        )

    def test_post_anonymous_redirects_to_login(self, city, users, client_for):
        count = RoundTable.objects.unscoped("t").count()
        assert redirects_to_login(self.post(client_for(None), self.in_scope(city, users["city_admin"])))
        assert RoundTable.objects.unscoped("t").count() == count

    def post(self, client, obj):
        return client.post(
            reverse("property:meeting_create"),
            {
                "community": obj.area_id,
                "held_on": "2026-03-02",
                "convener": "社区党委",
                "attendees": "社区党委\n业委会\n物业",
                "topics": "新议题",
                "decisions": "修路",
                "category": Category.objects.get(code="property.repair").pk,
            },
        )


def test_meeting_form_decisions_become_work_orders(city, users, client_for, estate_in, category):
    client = client_for("community_secretary")
    assert client.get(reverse("property:meeting_create")).status_code == 200
    r = client.post(
        reverse("property:meeting_create"),
        {
            "community": city.communities[0].pk,
            "estate": estate_in.pk,
            "held_on": "2026-03-02",
            "convener": "东一社区党委",
            "attendees": "社区党委\n业委会\n东一物业",
            "topics": "电梯维保",
            "decisions": "更换电梯钢丝绳\n公示维保记录",
            "category": category.pk,
        },
    )
    assert r.status_code == 302
    meeting = RoundTable.objects.visible_to(users["community_secretary"]).get(topics="电梯维保")
    events = Event.objects.unscoped("t").filter(origin=f"roundtable:{meeting.pk}")
    assert sorted(e.title for e in events) == ["公示维保记录", "更换电梯钢丝绳"]
    assert all(e.source == "meeting" and e.area_path == estate_in.area_path for e in events)
    page = client.get(reverse("property:meeting_detail", args=[meeting.pk])).content.decode()
    assert all(e.number in page for e in events)
    assert AuditEvent.objects.filter(action="property.round_table", object_id=str(meeting.pk)).exists()


def test_meeting_form_bad_input_changes_nothing(city, client_for, category):
    client = client_for("community_secretary")
    before = (RoundTable.objects.unscoped("t").count(), Event.objects.unscoped("t").count())
    audit = AuditEvent.objects.count()
    r = client.post(
        reverse("property:meeting_create"),
        {
            "community": city.communities[0].pk,
            "held_on": "2026-03-02",
            "convener": "社区党委",
            "attendees": "社区党委\n业委会",  # only two parties
            "topics": "议题",
            "decisions": "修路",
            "category": category.pk,
        },
    )
    assert r.status_code == 200 and "至少三方" in r.content.decode()
    r = client.post(reverse("property:meeting_create"), {"community": city.communities[0].pk, "held_on": "x"})
    assert r.status_code == 200
    assert (RoundTable.objects.unscoped("t").count(), Event.objects.unscoped("t").count()) == before
    assert AuditEvent.objects.count() == audit


def test_meeting_form_without_permission_is_403(client_for):
    assert client_for("community_worker").get(reverse("property:meeting_create")).status_code == 403
    assert client_for("grid_worker").post(reverse("property:meeting_create"), {}).status_code == 403


def test_meeting_form_estate_out_of_scope_is_a_form_error(city, client_for, estate_out, category):
    before = RoundTable.objects.unscoped("t").count()
    r = client_for("community_secretary").post(
        reverse("property:meeting_create"),
        {
            "community": city.communities[0].pk,
            "estate": estate_out.pk,
            "held_on": "2026-03-02",
            "convener": "社区党委",
            "attendees": "a\nb\nc",
            "topics": "议题",
            "category": category.pk,
        },
    )
    assert r.status_code == 200 and 'data-testid="error-estate"' in r.content.decode()
    assert estate_out.name not in r.content.decode()  # not offered either
    assert RoundTable.objects.unscoped("t").count() == before


def test_company_detail_shows_standards_estates_and_scores(city, users, client_for, estate_in):
    company = estate_in.company
    services.set_standards(SYSTEM, company, ["s01", "s03"])
    services.score_month(SYSTEM, company, month=dt.date(2026, 1, 1), scorer="party", score=88)
    html = client_for("street").get(reverse("property:company_detail", args=[company.pk])).content.decode()
    assert html.count('class="ok"') == 2 and html.count('class="missing"') == 8
    assert "东一花园" in html and "88.0" in html


def test_estate_pages_show_coverage_fee_rate_and_complaints(city, users, client_for, estate_in, category):
    services.set_fee_collection(SYSTEM, estate_in, "87.5")
    for _i in range(3):
        event_services.report_event(SYSTEM, category=category, title="漏水", area=city.unit_a)
    event_services.report_event(
        SYSTEM, category=Category.objects.get(code="dispute"), title="纠纷", area=city.unit_a
    )
    client = client_for("community_worker")
    html = client.get(reverse("property:estate_detail", args=[estate_in.pk])).content.decode()
    assert "87.5" in html and "社区引进物业企业" in html
    assert 'data-testid="complaints">3<' in html
    html = client.get(reverse("property:estate_list")).content.decode()
    assert ">3</td>" in html


def test_complaint_counts_is_one_query_for_many_estates(city, estate_in, category):
    more = [services.create_estate(SYSTEM, name=f"小区{i}", area=city.grids[i % 4]) for i in range(6)]
    event_services.report_event(SYSTEM, category=category, title="漏水", area=city.unit_a)
    estates = list(Estate.objects.unscoped("t").filter(pk__in=[estate_in.pk, *[e.pk for e in more]]))
    with CaptureQueriesContext(connection) as queries_run:
        counts = queries.complaint_counts(estates)
    assert len(queries_run) == 1
    assert counts[estate_in.pk] == 1
    on_grid_a = [e for e in more if e.area_id == city.grid_a.pk]
    assert all(counts[e.pk] == 1 for e in on_grid_a)
    assert sum(counts.values()) == 1 + len(on_grid_a)


def test_no_service_check_lists_only_estates_without_company(city, client_for, estate_in):
    bare = services.create_estate(SYSTEM, name="无主小区", area=city.grid_b)
    html = client_for("street").get(reverse("property:estate_list"), {"no_service": "1"}).content.decode()
    assert reverse("property:estate_detail", args=[bare.pk]) in html
    assert reverse("property:estate_detail", args=[estate_in.pk]) not in html
    assert "无物业服务" in html


def test_property_nav_links(client_for):
    html = client_for("street").get(reverse("property:ranking")).content.decode()
    for name in ("property:company_list", "property:estate_list", "property:meeting_list"):
        assert reverse(name) in html
