"""The evaluation's write pages and their API: the 10-standards check, each scorer's own third, quarterly
talks, yearly elimination decisions, and the member companies of the property party organisations —
scope, permission, bad input (a form error, nothing saved), audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.party import services as party_services
from gridgov.party.models import OrgKind, PartyOrg
from gridgov.property import queries, services
from gridgov.property.models import (
    STANDARD_CODES,
    Elimination,
    MonthlyScore,
    OrgMembership,
    PropertyCompany,
    Scorer,
    StandardsCheck,
    Talk,
)

from ..base import (
    Action,
    ActionAPITests,
    DetailAPITests,
    DetailPageTests,
    ListAPITests,
    ListPageTests,
    WriteAPITests,
    WritePageTests,
    redirects_to_login,
    state_of,
)
from .conftest import SYSTEM
from .test_pages import NON_VIEWERS, VIEWERS, CompanyObjects, _company

pytestmark = pytest.mark.django_db

SUPERVISORS = ("city_admin", "district", "street")  # add_standardscheck, add_talk, memberships


def _all_met(note: str = "") -> dict:
    return dict.fromkeys(STANDARD_CODES, (True, note))


def _form_error(response) -> bool:
    html = response.content.decode()
    return response.status_code == 200 and (
        'data-testid="form-errors"' in html or 'class="errorlist"' in html
    )


def _counts():
    return (
        StandardsCheck.objects.unscoped("t").count(),
        MonthlyScore.objects.unscoped("t").count(),
        Talk.objects.unscoped("t").count(),
        Elimination.objects.unscoped("t").count(),
        OrgMembership.objects.unscoped("t").count(),
        AuditEvent.objects.count(),
    )


# --- the 10-standards check ------------------------------------------------------------------------
class TestStandardsCheckPage(CompanyObjects, WritePageTests):
    detail_url_name = "property:company_detail"
    writer_roles = SUPERVISORS

    def post(self, client, obj):
        data = {"checked_on": "2026-01-10"} | {f"met_{c}": "on" for c in STANDARD_CODES[:7]}
        data |= {"note_s08": "联动巡查未落实"}
        return client.post(reverse("property:standards_check", args=[obj.pk]), data)

    def test_without_permission_is_403(self, city, users, client_for):
        company = self.in_scope(city, users["community_secretary"])
        for role in ("community_secretary", "community_worker", "property"):
            assert (
                client_for(role).get(reverse("property:standards_check", args=[company.pk])).status_code
                == 403
            )

    def test_check_is_recorded_audited_and_mirrored(self, city, users, client_for):
        client = client_for("street")
        company = self.in_scope(city, users["street"])
        response = self.post(client, company)
        assert response.status_code == 302
        check = StandardsCheck.objects.unscoped("t").get(company=company)
        assert check.met_count == 7 and check.checked_by == users["street"]
        assert {c: n for c, _l, _m, n in check.items()}["s08"] == "联动巡查未落实"
        company.refresh_from_db()
        assert company.standards_met == STANDARD_CODES[:7]
        assert (
            AuditEvent.objects.filter(action="property.standards_check", actor=users["street"]).count() == 1
        )
        html = client.get(reverse("property:company_detail", args=[company.pk])).content.decode()
        assert "联动巡查未落实" in html and "达标 7 项" in html

    def test_bad_date_is_a_form_error_and_saves_nothing(self, city, users, client_for):
        client = client_for("street")
        company = self.in_scope(city, users["street"])
        before = _counts()
        future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
        for date in (future, "AAA", ""):
            response = client.post(
                reverse("property:standards_check", args=[company.pk]),
                {"checked_on": date, "met_s01": "on", "note_s02": "在整改"},
            )
            assert _form_error(response), date
            assert 'value="在整改"' in response.content.decode()  # what was typed is kept
        assert _counts() == before

    def test_a_later_check_on_the_same_date_corrects_it(self, city, users):
        company = self.in_scope(city, users["street"])
        day = dt.date(2026, 1, 5)
        services.record_standards_check(users["street"], company, checked_on=day, results=_all_met())
        services.record_standards_check(
            users["street"], company, checked_on=day, results={c: (c == "s01", "") for c in STANDARD_CODES}
        )
        assert StandardsCheck.objects.unscoped("t").get(company=company).met_count == 1
        company.refresh_from_db()
        assert company.standards_met == ["s01"]

    def test_every_standard_must_be_answered(self, city, users):
        company = self.in_scope(city, users["street"])
        with pytest.raises(services.ServiceError, match="缺少"):
            services.record_standards_check(
                users["street"], company, checked_on=dt.date(2026, 1, 5), results={"s01": (True, "")}
            )


class StandardsCheckObjects:
    model = StandardsCheck

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def _check(self, company):
        found = StandardsCheck.objects.unscoped("t").filter(company=company).first()
        return found or StandardsCheck.objects.create(  # set the scene unaudited: the writes count audits
            company=company,
            area_path=company.area_path,
            checked_on=dt.date(2026, 1, 5),
            results=[{"code": c, "met": True, "note": ""} for c in STANDARD_CODES],
        )

    def in_scope(self, city, user):
        return self._check(_company(city, city.communities[0], "东一物业"))

    def out_of_scope(self, city, user):
        return self._check(_company(city, city.other_city[3], "外市物业"))


class TestStandardsCheckAPI(StandardsCheckObjects, ListAPITests, DetailAPITests, WriteAPITests):
    basename = "property-standards-check"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS
    writer_roles = SUPERVISORS
    reader_roles = ("community_secretary", "community_worker")
    write_ok = 201
    write_action = "property.standards_check"

    def write(self, client, obj):
        results = [
            {"code": c, "met": c != "s10", "note": "未参与应急" if c == "s10" else ""} for c in STANDARD_CODES
        ]
        return client.post(
            self.list_url(),
            {"company": obj.company_id, "checked_on": "2026-02-01", "results": results},
            format="json",
        )

    def test_write_out_of_scope_is_404_and_changes_nothing(self, city, users, api_for, writer_role):
        """The company is a related id: outside the user's scope it is "not a valid choice" (400)."""
        obj = self.out_of_scope(city, users[writer_role])
        client = api_for(writer_role)
        before = _counts()
        response = self.write(client, obj)
        assert response.status_code == 400 and "company" in response.json()
        assert _counts() == before

    def test_an_incomplete_check_is_400(self, city, users, api_for):
        obj = self.in_scope(city, users["street"])
        before = _counts()
        response = api_for("street").post(
            self.list_url(),
            {
                "company": obj.company_id,
                "checked_on": "2026-02-01",
                "results": [{"code": "s01", "met": True}],
            },
            format="json",
        )
        assert response.status_code == 400 and "缺少" in response.json()["detail"]
        assert _counts() == before


# --- each scorer's own third ----------------------------------------------------------------------
@pytest.fixture
def scored(city, users, estate_in):
    """东一物业 (community 东一) serving 东一花园, with one survey in March 2025 so the community can score."""
    company = estate_in.company
    services.record_survey(SYSTEM, estate_in, month=dt.date(2025, 3, 1), respondents=10, satisfied=8)
    return company


def test_each_login_is_one_scorer(users):
    assert services.scorer_of(users["street"]) == Scorer.PARTY
    assert services.scorer_of(users["district"]) == Scorer.PROFESSIONAL
    assert services.scorer_of(users["community_secretary"]) == Scorer.SATISFACTION
    for role in ("city_admin", "community_worker", "grid_worker", "property", "resident"):
        assert services.scorer_of(users[role]) is None, role


def test_logins_that_score_nothing_get_403(client_for):
    for role in ("city_admin", "community_worker", "grid_worker", "property", "resident"):
        assert client_for(role).get(reverse("property:score_entry")).status_code == 403, role
    assert redirects_to_login(client_for(None).get(reverse("property:score_entry")))


def test_the_street_enters_its_third_and_sees_only_it(city, users, client_for, scored):
    client = client_for("street")
    services.score_month(
        users["district"], scored, month=dt.date(2025, 3, 1), scorer=Scorer.PROFESSIONAL, inspection=77
    )
    page = client.get(reverse("property:score_entry"), {"month": "2025-03"}).content.decode()
    assert "党建覆盖" in page and 'name="score"' in page and 'name="inspection"' not in page
    response = client.post(
        reverse("property:score_entry"), {"company": scored.pk, "month": "2025-03", "score": "88.5"}
    )
    assert response.status_code == 302
    row = MonthlyScore.objects.unscoped("t").get(company=scored, scorer=Scorer.PARTY)
    assert row.score == Decimal("88.5") and row.scored_by == users["street"]
    page = client.get(response["Location"]).content.decode()
    table = page.split('data-testid="my-third"')[1]
    assert "88.5" in table and "77" not in table  # the professional third is not the street's


def test_the_district_enters_the_inspection_and_the_rest_is_computed(city, users, client_for, scored):
    response = client_for("district").post(
        reverse("property:score_entry"), {"company": scored.pk, "month": "2025-03", "inspection": "90"}
    )
    assert response.status_code == 302
    row = MonthlyScore.objects.unscoped("t").get(company=scored, scorer=Scorer.PROFESSIONAL)
    assert row.score == Decimal("90.0") and row.detail["inspection"] == 90  # no work orders: inspection alone


def test_the_community_confirms_the_computed_satisfaction(city, users, client_for, scored):
    response = client_for("community_secretary").post(
        reverse("property:score_entry"), {"company": scored.pk, "month": "2025-03"}
    )
    assert response.status_code == 302
    row = MonthlyScore.objects.unscoped("t").get(company=scored, scorer=Scorer.SATISFACTION)
    assert row.score == Decimal("80.0")  # the survey alone: 8 of 10


@pytest.mark.parametrize(
    "data",
    [
        {"month": "2025-03", "score": "120"},
        {"month": "2025-03", "score": "abc"},
        {"month": "2025-03", "score": ""},
        {"month": "AAAA", "score": "80"},
        {"month": "2099-01", "score": "80"},
    ],
)
def test_bad_score_input_is_a_form_error_and_saves_nothing(city, users, client_for, scored, data):
    client = client_for("street")
    before = _counts()
    response = client.post(reverse("property:score_entry"), {"company": scored.pk} | data)
    assert _form_error(response)
    assert _counts() == before


def test_a_second_score_for_the_month_is_a_form_error(city, users, client_for, scored):
    client = client_for("street")
    client.post(reverse("property:score_entry"), {"company": scored.pk, "month": "2025-03", "score": "80"})
    before = _counts()
    response = client.post(
        reverse("property:score_entry"), {"company": scored.pk, "month": "2025-03", "score": "81"}
    )
    assert _form_error(response) and "已评分" in response.content.decode()
    assert _counts() == before


def test_a_company_outside_the_scorers_reach_is_not_a_choice(city, users, client_for, estate_out):
    client = client_for("street")  # logging in writes its own audit row
    before = _counts()
    response = client.post(
        reverse("property:score_entry"), {"company": estate_out.company_id, "month": "2025-03", "score": "80"}
    )
    assert response.status_code == 200 and 'data-testid="error-company"' in response.content.decode()
    assert _counts() == before


def test_the_community_scores_the_streets_company_serving_its_estate(city, users, client_for):
    street_company = services.create_company(SYSTEM, name="街道物业", area=city.streets[0])
    services.create_estate(SYSTEM, name="街道小区", area=city.grid_a, company=street_company)
    page = client_for("community_secretary").get(reverse("property:score_entry")).content.decode()
    assert "街道物业" in page


# --- quarterly talks and the yearly elimination decision --------------------------------------------
def _scores(company, months, party, professional, satisfaction):
    for month in months:
        for scorer, value in (
            (Scorer.PARTY, party),
            (Scorer.PROFESSIONAL, professional),
            (Scorer.SATISFACTION, satisfaction),
        ):
            MonthlyScore.objects.create(
                company=company, area_path=company.area_path, month=month, scorer=scorer, score=Decimal(value)
            )


@pytest.fixture
def ranked(city):
    """Four companies of 东华街道 scored for 2025; 丁 and 丙 are the bottom of Q1 and below 60 for the year."""
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    out = {}
    for name, value in (("甲物业", 90), ("乙物业", 80), ("丙物业", 58), ("丁物业", 40)):
        company = services.create_company(SYSTEM, name=name, area=city.streets[0])
        _scores(company, months, value, value, value)
        out[name] = company
    return out


class TalkObjects:
    model = Talk

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def _talk(self, where, name, content):
        found = Talk.objects.unscoped("t").filter(content=content).first()
        if found:
            return found
        company = _company(None, where, name)
        return Talk.objects.create(
            company=company,
            area_path=company.area_path,
            year=2025,
            quarter=1,
            held_on=dt.date(2025, 4, 10),
            content=content,
        )

    def in_scope(self, city, user):
        return self._talk(city.communities[0], "东一物业", "东一约谈内容")

    def out_of_scope(self, city, user):
        return self._talk(city.other_city[3], "外市物业", "外市约谈内容")

    def marker(self, obj):
        return obj.content


class TestTalkListPage(TalkObjects, ListPageTests):
    list_url_name = "property:talk_list"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS


def test_talk_form_records_a_bottom_company(city, users, client_for, ranked):
    client = client_for("street")
    ranking = client.get(reverse("property:ranking"), {"month": "2025-02"}).content.decode()
    assert f"company={ranked['丁物业'].pk}&amp;year=2025&amp;quarter=1" in ranking  # the "记录约谈" link
    form = client.get(
        reverse("property:talk_create"), {"company": ranked["丁物业"].pk, "year": 2025, "quarter": 1}
    )
    assert f'value="{ranked["丁物业"].pk}" selected' in form.content.decode()
    response = client.post(
        reverse("property:talk_create"),
        {
            "company": ranked["丁物业"].pk,
            "year": 2025,
            "quarter": 1,
            "held_on": "2025-04-08",
            "content": "通报一季度得分",
            "rectification": "一个月内整改",
        },
    )
    assert response.status_code == 302
    talk = Talk.objects.unscoped("t").get(company=ranked["丁物业"])
    assert talk.recorded_by == users["street"] and talk.rectification == "一个月内整改"
    assert AuditEvent.objects.filter(action="property.talk", actor=users["street"]).count() == 1
    assert "通报一季度得分" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "change",
    [
        {"company": "甲物业"},  # not on the bottom list
        {"quarter": 5},
        {"year": "AAA"},
        {"content": ""},
        {"held_on": "2025-13-40"},
    ],
)
def test_bad_talk_input_is_a_form_error_and_saves_nothing(city, users, client_for, ranked, change):
    data = {
        "company": "丁物业",
        "year": 2025,
        "quarter": 1,
        "held_on": "2025-04-08",
        "content": "约谈",
    } | change
    data["company"] = ranked[data["company"]].pk
    client = client_for("street")
    before = _counts()
    response = client.post(reverse("property:talk_create"), data)
    assert _form_error(response)
    assert 'value="2025-04-08"' in response.content.decode() or change.get("held_on")
    assert _counts() == before


def test_talk_pages_need_the_permission(client_for, city):
    for role in ("community_secretary", "community_worker", "property"):
        assert client_for(role).get(reverse("property:talk_create")).status_code == 403
    assert redirects_to_login(client_for(None).post(reverse("property:talk_create"), {}))


class EliminationObjects:
    model = Elimination

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def _decision(self, where, name, note):
        found = Elimination.objects.unscoped("t").filter(note=note).first()
        if found:
            return found
        company = _company(None, where, name)
        return Elimination.objects.create(
            company=company,
            area_path=company.area_path,
            year=2025,
            average=Decimal("50"),
            decision="rectify",
            note=note,
        )

    def in_scope(self, city, user):
        return self._decision(city.communities[0], "东一物业", "东一淘汰说明")

    def out_of_scope(self, city, user):
        return self._decision(city.other_city[3], "外市物业", "外市淘汰说明")

    def marker(self, obj):
        return obj.note


class TestEliminationListPage(EliminationObjects, ListPageTests):
    list_url_name = "property:elimination_list"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS


def test_elimination_form_decides_and_deactivates(city, users, client_for, ranked):
    client = client_for("street")
    response = client.post(
        reverse("property:elimination_create"),
        {"company": ranked["丁物业"].pk, "year": 2025, "decision": "eliminate", "note": "连续末位"},
    )
    assert response.status_code == 302
    decision = Elimination.objects.unscoped("t").get(company=ranked["丁物业"])
    assert decision.average == Decimal("40.0") and decision.decided_by == users["street"]
    company = PropertyCompany.objects.unscoped("t").get(pk=ranked["丁物业"].pk)
    assert company.is_active is False
    assert "连续末位" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "change", [{"company": "甲物业"}, {"decision": "maybe"}, {"year": ""}, {"year": "99999"}]
)
def test_bad_elimination_input_is_a_form_error_and_saves_nothing(city, users, client_for, ranked, change):
    data = {"company": "丙物业", "year": 2025, "decision": "rectify", "note": "限期整改"} | change
    data["company"] = ranked[data["company"]].pk
    client = client_for("street")
    before = _counts()
    response = client.post(reverse("property:elimination_create"), data)
    assert _form_error(response) and "限期整改" in response.content.decode()
    assert _counts() == before
    assert PropertyCompany.objects.unscoped("t").get(pk=ranked["丙物业"].pk).is_active


def test_elimination_page_needs_the_permission(client_for, city):
    for role in ("community_secretary", "community_worker", "property", "grid_worker"):
        assert client_for(role).get(reverse("property:elimination_create")).status_code == 403


# --- the property party organisations and their member companies ------------------------------------
def _orgs(city):
    """东华街道's alliance and the other city's street alliance (each under its street committee)."""
    out = {}
    for key, street in (("in", city.streets[0]), ("out", city.other_city[2])):
        org = PartyOrg.objects.unscoped("t").filter(kind=OrgKind.PROPERTY_ALLIANCE, area=street).first()
        if org is None:
            committee = party_services.create_org(
                SYSTEM, kind=OrgKind.STREET_COMMITTEE, name=f"{street.name}党工委", area=street
            )
            org = party_services.create_org(
                SYSTEM,
                kind=OrgKind.PROPERTY_ALLIANCE,
                name=f"{street.name}党建联盟",
                parent=committee,
                area=street,
            )
        out[key] = org
    return out


class MembershipObjects:
    model = OrgMembership

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        self.in_scope(city, users["city_admin"])
        self.out_of_scope(city, users["city_admin"])

    def _membership(self, org, company):
        found = OrgMembership.objects.unscoped("t").filter(org=org, company=company).first()
        return found or OrgMembership.objects.create(  # unaudited scene: the writes count audit rows
            org=org, company=company, area_path=org.area_path, joined_on=dt.date(2025, 1, 1)
        )

    def in_scope(self, city, user):
        return self._membership(_orgs(city)["in"], _company(city, city.communities[0], "东一物业"))

    def out_of_scope(self, city, user):
        return self._membership(_orgs(city)["out"], _company(city, city.other_city[3], "外市物业"))


class TestMembershipAPI(MembershipObjects, ListAPITests, DetailAPITests, ActionAPITests):
    basename = "property-membership"
    allowed_roles = SUPERVISORS  # the organisation sits at the street: the community sees none
    denied_roles = NON_VIEWERS
    actions = {
        "property-membership-leave": Action(("property.change_orgmembership",), data=lambda t, c, u: {})
    }


class TestMembershipCreateAPI(MembershipObjects, WriteAPITests):
    basename = "property-membership"
    writer_roles = SUPERVISORS
    reader_roles = ("community_secretary", "community_worker")
    write_ok = 201
    write_action = "property.join_org"

    @pytest.fixture(autouse=True)
    def _joining(self, city):
        self.joining = {
            "in": _company(city, city.communities[0], "新入盟物业"),
            "out": _company(city, city.other_city[3], "外市新物业"),
        }

    def write(self, client, obj):
        company = self.joining["in" if obj.company.name == "东一物业" else "out"]
        return client.post(self.list_url(), {"org": obj.org_id, "company": company.pk}, format="json")

    def test_write_out_of_scope_is_404_and_changes_nothing(self, city, users, api_for, writer_role):
        """Another city's organisation is "not a valid choice": 400, nothing written."""
        obj = self.out_of_scope(city, users[writer_role])
        client = api_for(writer_role)
        before = _counts()
        response = self.write(client, obj)
        assert response.status_code == 400 and "org" in response.json()
        assert _counts() == before


class OrgObjects:
    model = PartyOrg

    @pytest.fixture(autouse=True)
    def _objects(self, city, users):
        _orgs(city)

    def in_scope(self, city, user):
        return _orgs(city)["in"]

    def out_of_scope(self, city, user):
        return _orgs(city)["out"]

    def title_of(self, obj):
        return obj.name


class TestOrgPages(OrgObjects, ListPageTests, DetailPageTests):
    list_url_name = "property:org_list"
    detail_url_name = "property:org_detail"
    allowed_roles = SUPERVISORS
    denied_roles = NON_VIEWERS


class TestMembershipLeavePage(MembershipObjects, WritePageTests):
    detail_url_name = "property:org_detail"
    writer_roles = SUPERVISORS

    def post(self, client, obj):
        return client.post(reverse("property:membership_leave", args=[obj.pk]), {"left_on": "2026-01-01"})


def test_join_and_leave_through_the_pages(city, users, client_for):
    orgs = _orgs(city)
    company = _company(city, city.communities[1], "东二物业")
    client = client_for("street")
    page = client.get(reverse("property:org_detail", args=[orgs["in"].pk])).content.decode()
    assert 'data-testid="join-form"' in page
    response = client.post(
        reverse("property:org_detail", args=[orgs["in"].pk]),
        {"company": company.pk, "joined_on": "2025-06-01"},
    )
    assert response.status_code == 302
    membership = OrgMembership.objects.unscoped("t").get(company=company, org=orgs["in"])
    assert queries.with_memberships(PropertyCompany.objects.unscoped("t")).get(pk=company.pk).in_alliance
    response = client.post(
        reverse("property:membership_leave", args=[membership.pk]), {"left_on": "2025-12-31"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.left_on == dt.date(2025, 12, 31)
    assert not queries.with_memberships(PropertyCompany.objects.unscoped("t")).get(pk=company.pk).in_alliance
    assert AuditEvent.objects.filter(action__in=["property.join_org", "property.leave_org"]).count() == 2
    assert "已退出" in client.get(reverse("property:org_detail", args=[orgs["in"].pk])).content.decode()


@pytest.mark.parametrize("case", ["elsewhere", "twice", "bad_date", "future"])
def test_bad_join_is_a_form_error_and_saves_nothing(city, users, client_for, case):
    orgs = _orgs(city)
    company = _company(city, city.communities[1], "东二物业")
    if case == "twice":
        services.join_org(SYSTEM, org=orgs["in"], company=company)
    if case == "elsewhere":  # registered at the district, serving no estate in 东华街道
        company = _company(city, city.districts[0], "区属物业")
    joined_on = {"bad_date": "2025-02-30", "future": "2099-01-01"}.get(case, "2025-06-01")
    client = client_for("street")
    before = _counts()
    response = client.post(
        reverse("property:org_detail", args=[orgs["in"].pk]), {"company": company.pk, "joined_on": joined_on}
    )
    assert _form_error(response), case
    if case == "elsewhere":
        assert "既未在本组织所在区域登记" in response.content.decode()
    assert _counts() == before
    outside = client.post(  # another city's company is not a choice at all
        reverse("property:org_detail", args=[orgs["in"].pk]),
        {"company": _company(city, city.other_city[3], "外市物业").pk, "joined_on": "2025-06-01"},
    )
    assert 'data-testid="error-company"' in outside.content.decode()


def test_leaving_twice_is_a_form_error(city, users, client_for):
    membership = MembershipObjects().in_scope(city, users["street"])
    services.leave_org(SYSTEM, membership, left_on=dt.date(2025, 6, 1))
    client = client_for("street")
    before = state_of(membership), _counts()
    response = client.post(
        reverse("property:membership_leave", args=[membership.pk]), {"left_on": "2025-07-01"}
    )
    assert _form_error(response) and "已于" in response.content.decode()
    assert (state_of(membership), _counts()) == before


def test_only_the_alliance_kinds_take_members(city, users):
    committee = _orgs(city)["in"].parent
    with pytest.raises(services.ServiceError, match="只有"):
        services.join_org(
            users["street"], org=committee, company=_company(city, city.communities[0], "东一物业")
        )


def test_the_company_page_shows_memberships_and_the_list_counts_them(city, users, client_for):
    membership = MembershipObjects().in_scope(city, users["street"])
    html = (
        client_for("community_secretary")
        .get(reverse("property:company_detail", args=[membership.company_id]))
        .content.decode()
    )
    assert membership.org.name in html
    rows = client_for("street").get(reverse("property:company_list"), {"q": "东一物业"}).content.decode()
    assert "已加入" in rows
    api = client_for("street").get(reverse("property-company-list"), {"in_alliance": "true"}).json()
    assert {r["id"] for r in api["results"]} == {membership.company_id}
