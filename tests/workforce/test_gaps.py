"""Competitions, rounds, studios and salons created from the API and the pages; the staff page forms
for successors, trainings, evaluations and replacements. Every write: happy path, bad input changes
nothing, out of scope is 404, without the permission 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.workforce import services
from gridgov.workforce.models import (
    Competition,
    CompetitionRound,
    Evaluation,
    Post,
    Replacement,
    Salon,
    Staff,
    Studio,
    Successor,
    Training,
)

from ..base import DetailAPITests, ListAPITests, WriteAPITests, WritePageTests, redirects_to_login
from .conftest import SYSTEM
from .test_api import WF_DENIED, WF_VIEW_ROLES, CrewObjects, DistrictCompetition, community_outside

EDITORS = ("city_admin", "district")  # competitions and studios
SALON_EDITORS = ("city_admin", "district", "street")


def counts():
    return (
        Competition.objects.unscoped("test").count(),
        CompetitionRound.objects.unscoped("test").count(),
        Studio.objects.unscoped("test").count(),
        Salon.objects.unscoped("test").count(),
        AuditEvent.objects.count(),
    )


# --- competitions -------------------------------------------------------------------------------------
class TestCompetitionUpdateAPI(DistrictCompetition, WriteAPITests):
    basename = "wf-competition"
    model = Competition
    writer_roles = EDITORS
    reader_roles = ("street", "community_secretary")
    write_action = "workforce.update_competition"

    def in_scope(self, city, user):
        return self.competitions[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.competitions[self.district_outside(city, user).pk]

    def write(self, client, obj):
        return client.patch(self.detail_url(obj.pk), {"title": "改名后的擂台赛"}, format="json")


class TestRoundAddAPI(DistrictCompetition, WriteAPITests):
    basename = "wf-competition"
    model = Competition
    writer_roles = EDITORS
    reader_roles = ("street", "community_secretary")
    write_action = "workforce.add_round"
    write_ok = 201

    def in_scope(self, city, user):
        return self.competitions[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.competitions[self.district_outside(city, user).pk]

    def write(self, client, obj):
        return client.post(
            reverse("wf-competition-add-round", args=[obj.pk]), {"held_on": "2025-10-01"}, format="json"
        )


def test_competition_create_api(city, users, api_for, crew):
    client = api_for("district")
    body = {"district": city.districts[0].pk, "title": "2026年东城区书记擂台赛", "year": 2026}
    response = client.post(reverse("wf-competition-list"), body, format="json")
    assert response.status_code == 201, response.content
    competition = Competition.objects.unscoped("test").get(pk=response.json()["id"])
    assert competition.area_path == city.districts[0].path
    assert (
        AuditEvent.objects.filter(action="workforce.create_competition", actor=users["district"]).count() == 1
    )
    before = counts()
    twice = client.post(reverse("wf-competition-list"), body, format="json")
    assert twice.status_code == 400 and "请勿重复创建" in str(twice.json())
    for bad in (
        {**body, "year": 1800},
        {**body, "title": "   "},
        {**body, "district": city.districts[1].pk},  # outside the user's district
        {**body, "district": city.streets[0].pk},  # not a district
    ):
        assert client.post(reverse("wf-competition-list"), bad, format="json").status_code == 400
    assert counts() == before
    assert api_for("street").post(reverse("wf-competition-list"), body, format="json").status_code == 403
    assert (
        api_for("community_secretary").post(reverse("wf-competition-list"), body, format="json").status_code
        == 403
    )
    assert counts() == before


def test_rounds_number_in_sequence_and_refuse_duplicates(city, api_for, crew):
    competition = services.create_competition(SYSTEM, city.districts[0], title="擂台赛", year=2025)
    client = api_for("district")
    url = reverse("wf-competition-add-round", args=[competition.pk])
    first = client.post(url, {"held_on": "2025-05-01"}, format="json")
    second = client.post(url, {"held_on": "2025-06-01"}, format="json")
    assert (first.json()["number"], second.json()["number"]) == (1, 2)
    before = counts()
    again = client.post(url, {"held_on": "2025-07-01", "number": 2}, format="json")
    assert again.status_code == 400 and "第2场已存在" in str(again.json())
    wrong_year = client.post(url, {"held_on": "2024-07-01"}, format="json")
    assert wrong_year.status_code == 400 and "2025" in str(wrong_year.json())
    assert client.post(url, {"held_on": "not a date"}, format="json").status_code == 400
    assert counts() == before


def test_competition_services_refuse_out_of_scope(city, users, crew):
    with pytest.raises(Exception):  # noqa: B017 - OutOfScope
        services.create_competition(users["district"], city.districts[1], title="x", year=2025)
    with pytest.raises(ServiceError):
        services.create_competition(users["district"], city.streets[0], title="x", year=2025)
    assert Competition.objects.unscoped("test").count() == 0


# --- studios ------------------------------------------------------------------------------------------
class StudioObjects(CrewObjects):
    model = Studio

    @pytest.fixture(autouse=True)
    def _studios(self, crew, city):
        self.studios = {
            c.path: services.create_studio(
                SYSTEM, c, name=f"{c.name}书记工作室", training_base=f"{c.name}基地"
            )
            for c in [*city.communities, city.other_city[3]]
        }

    def in_scope(self, city, user):
        return self.studios[city.communities[0].path]

    def out_of_scope(self, city, user):
        return self.studios[community_outside(city, user).path]


class TestStudioAPI(StudioObjects, ListAPITests, DetailAPITests):
    basename = "wf-studio"


class TestStudioUpdateAPI(StudioObjects, WriteAPITests):
    basename = "wf-studio"
    writer_roles = EDITORS
    reader_roles = ("street", "community_secretary")
    write_action = "workforce.update_studio"

    def write(self, client, obj):
        return client.patch(self.detail_url(obj.pk), {"training_base": "新基地"}, format="json")


def test_studio_create_api(city, users, api_for, crew):
    client = api_for("district")
    community = city.communities[0]
    secretary = crew.secretaries[community.pk]
    body = {
        "community": community.pk,
        "name": "东一书记工作室",
        "lead": secretary.pk,
        "training_base": "东一基地",
    }
    response = client.post(reverse("wf-studio-list"), body, format="json")
    assert response.status_code == 201, response.content
    studio = Studio.objects.unscoped("test").get(pk=response.json()["id"])
    assert (studio.area_path, studio.lead_id) == (community.path, secretary.pk)
    assert AuditEvent.objects.filter(action="workforce.create_studio").count() == 1
    before = counts()
    twice = client.post(reverse("wf-studio-list"), body, format="json")
    assert twice.status_code == 400 and "请勿重复创建" in str(twice.json())
    deputy = crew.deputies[community.pk]
    not_secretary = client.post(
        reverse("wf-studio-list"), {**body, "name": "另一个", "lead": deputy.pk}, format="json"
    )
    assert not_secretary.status_code == 400 and "领衔书记须为在任社区书记" in str(not_secretary.json())
    future = client.post(
        reverse("wf-studio-list"), {**body, "name": "未来", "established_on": "2999-01-01"}, format="json"
    )
    assert future.status_code == 400
    outside = client.post(
        reverse("wf-studio-list"),
        {**body, "name": "西一", "community": city.communities[2].pk},
        format="json",
    )
    assert outside.status_code == 400
    assert (
        api_for("street").post(reverse("wf-studio-list"), {**body, "name": "街道"}, format="json").status_code
        == 403
    )
    assert counts() == before


# --- salons -------------------------------------------------------------------------------------------
class TestSalonAPI(CrewObjects, ListAPITests, DetailAPITests):
    basename = "wf-salon"
    model = Salon
    allowed_roles = SALON_EDITORS  # salons sit at street level or above

    @pytest.fixture(autouse=True)
    def _salons(self, crew, city):
        self.salons = {
            s.path: services.create_salon(SYSTEM, s, title=f"{s.name}书记沙龙", held_on=dt.date(2025, 4, 1))
            for s in [*city.streets, city.other_city[2]]
        }

    def in_scope(self, city, user):
        return self.salons[city.streets[0].path]

    def out_of_scope(self, city, user):
        return self.salons[community_outside(city, user).parent.path]


def test_salon_create_api(city, users, api_for, crew):
    client = api_for("street")
    body = {"area": city.streets[0].pk, "title": "第1期书记沙龙", "held_on": "2025-05-20"}
    response = client.post(reverse("wf-salon-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert AuditEvent.objects.filter(action="workforce.create_salon", actor=users["street"]).count() == 1
    before = counts()
    twice = client.post(reverse("wf-salon-list"), body, format="json")
    assert twice.status_code == 400 and "请勿重复提交" in str(twice.json())
    community = client.post(reverse("wf-salon-list"), {**body, "area": city.communities[0].pk}, format="json")
    assert community.status_code == 400 and "市、区县或街道" in str(community.json())
    outside = client.post(reverse("wf-salon-list"), {**body, "area": city.streets[1].pk}, format="json")
    assert outside.status_code == 400
    assert client.post(reverse("wf-salon-list"), {**body, "title": ""}, format="json").status_code == 400
    denied = api_for("community_secretary").post(reverse("wf-salon-list"), body, format="json")
    assert denied.status_code == 403
    assert api_for("grid_worker").get(reverse("wf-salon-list")).status_code == 403
    assert counts() == before


# --- pages: competitions, studios, salons -------------------------------------------------------------
def test_competition_create_page(city, users, client_for, crew):
    url = reverse("workforce:competition_create")
    assert redirects_to_login(client_for(None).get(url))
    street = client_for("street")  # logging in writes an audit row: before the counts
    assert street.get(url).status_code == 403
    client = client_for("district")
    assert f'href="{url}"' in client.get(reverse("workforce:dashboard")).content.decode()
    html = client.get(url).content.decode()
    assert city.districts[0].name in html and city.districts[1].name not in html
    body = {"district": city.districts[0].pk, "title": "东城区擂台赛", "year": 2026}
    response = client.post(url, body)
    assert response.status_code == 302
    competition = Competition.objects.unscoped("test").get(title="东城区擂台赛")
    assert response["Location"] == reverse("workforce:competition", args=[competition.pk])
    before = counts()
    assert "请勿重复创建" in client.post(url, body).content.decode()
    assert client.post(url, {**body, "year": ""}).status_code == 200
    assert client.post(url, {**body, "district": city.districts[1].pk}).status_code == 200
    assert street.post(url, body).status_code == 403
    assert counts() == before


class TestRoundPage(DistrictCompetition, WritePageTests):
    model = Competition
    detail_url_name = "workforce:competition"
    writer_roles = EDITORS

    def in_scope(self, city, user):
        return self.competitions[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.competitions[self.district_outside(city, user).pk]

    def post(self, client, obj):
        return client.post(
            reverse("workforce:competition_add_round", args=[obj.pk]), {"held_on": "2025-10-01"}
        )

    def test_add_round_from_the_page(self, city, client_for):
        competition = self.in_scope(city, None)
        client, street = client_for("district"), client_for("street")
        page = client.get(reverse("workforce:competition", args=[competition.pk])).content.decode()
        assert reverse("workforce:competition_add_round", args=[competition.pk]) in page
        response = self.post(client, competition)
        assert response.status_code == 302
        assert competition.rounds.count() == 2
        before = counts()
        again = client.post(
            reverse("workforce:competition_add_round", args=[competition.pk]),
            {"held_on": "2025-11-01", "number": 2},
            follow=True,
        )
        assert "第2场已存在" in again.content.decode()
        bad = client.post(reverse("workforce:competition_add_round", args=[competition.pk]), {}, follow=True)
        assert bad.status_code == 200
        assert counts() == before
        assert self.post(street, competition).status_code == 403
        assert counts() == before


def test_studio_page(city, client_for, crew):
    url = reverse("workforce:studios")
    assert redirects_to_login(client_for(None).get(url))
    assert client_for("grid_worker").get(url).status_code == 403
    street = client_for("street")
    html = street.get(url).content.decode()
    assert 'data-testid="studios"' in html and 'data-testid="studio-form"' not in html
    client = client_for("district")
    assert 'data-testid="studio-form"' in client.get(url).content.decode()
    secretary = crew.secretaries[city.communities[0].pk]
    body = {
        "community": city.communities[0].pk,
        "name": "东一书记工作室",
        "lead": secretary.pk,
        "training_base": "基地",
    }
    assert street.post(url, body).status_code == 403
    assert client.post(url, body).status_code == 302
    listed = client.get(url).content.decode()
    assert "东一书记工作室" in listed and secretary.resident.name in listed
    before = counts()
    assert "请勿重复创建" in client.post(url, body).content.decode()
    assert client.post(url, {**body, "name": "其他", "community": city.communities[2].pk}).status_code == 200
    assert counts() == before


def test_salon_page(city, client_for, crew):
    url = reverse("workforce:salons")
    assert redirects_to_login(client_for(None).get(url))
    assert client_for("grid_worker").get(url).status_code == 403
    secretary = client_for("community_secretary")
    assert 'data-testid="salon-form"' not in secretary.get(url).content.decode()
    body = {"area": city.streets[0].pk, "title": "书记沙龙", "held_on": "2025-05-20"}
    assert secretary.post(url, body).status_code == 403
    client = client_for("street")
    assert client.post(url, body).status_code == 302
    assert "书记沙龙" in client.get(url).content.decode()
    before = counts()
    assert "请勿重复提交" in client.post(url, body).content.decode()
    assert client.post(url, {**body, "area": city.streets[1].pk}).status_code == 200
    assert client.post(url, {**body, "held_on": "x"}).status_code == 200
    assert counts() == before


# --- staff page forms ---------------------------------------------------------------------------------
def _table_counts():
    return (
        Successor.objects.unscoped("test").count(),
        Training.objects.unscoped("test").count(),
        Evaluation.objects.unscoped("test").count(),
        Replacement.objects.unscoped("test").count(),
        Staff.objects.unscoped("test").filter(is_active=True).count(),
        AuditEvent.objects.count(),
    )


class StaffFormPage(CrewObjects, WritePageTests):
    model = Staff
    detail_url_name = "workforce:staff_detail"
    writer_roles = WF_VIEW_ROLES
    url_name = ""
    data: dict = {}

    def out_of_scope(self, city, user):
        return self._secretary_of(community_outside(city, user))

    def post(self, client, obj):
        return client.post(reverse(self.url_name, args=[obj.pk]), self.data)

    @pytest.mark.parametrize("role", WF_DENIED)
    def test_without_permission_403_changes_nothing(self, city, client_for, role):
        client = client_for(role)
        before = _table_counts()
        assert self.post(client, self.in_scope(city, None)).status_code == 403
        assert _table_counts() == before


class TestSuccessorPage(StaffFormPage):
    url_name = "workforce:staff_successor"

    def in_scope(self, city, user):
        return self.crew.grid_workers[city.grid_a.pk]

    def test_name_a_successor(self, city, client_for):
        worker = self.in_scope(city, None)
        client = client_for("community_secretary")
        detail = client.get(reverse("workforce:staff_detail", args=[worker.pk])).content.decode()
        assert reverse(self.url_name, args=[worker.pk]) in detail
        response = self.post(client, worker)
        assert response.status_code == 302
        assert Successor.objects.unscoped("test").filter(staff=worker, ended_on__isnull=True).count() == 1
        assert 'data-testid="is-successor"' in client.get(response["Location"]).content.decode()
        before = _table_counts()
        again = client.post(reverse(self.url_name, args=[worker.pk]), follow=True)
        assert "已是后备人才" in again.content.decode()
        secretary = self.crew.secretaries[city.communities[0].pk]
        refused = client.post(reverse(self.url_name, args=[secretary.pk]), follow=True)
        assert "现任书记不能作为本社区的后备人才" in refused.content.decode()
        assert _table_counts() == before


class TestTrainingPage(StaffFormPage):
    url_name = "workforce:staff_training"
    data = {"kind": "secondment", "started_on": "2024-03-01", "ended_on": "2024-09-01", "host_city": "上海"}

    def in_scope(self, city, user):
        return self.crew.secretaries[city.communities[0].pk]

    def test_record_trainings(self, city, client_for):
        staff = self.in_scope(city, None)
        client = client_for("street")
        assert self.post(client, staff).status_code == 302
        studio = services.create_studio(SYSTEM, city.communities[2], name="西一书记工作室")
        salon = services.create_salon(SYSTEM, city.districts[1], title="沙龙", held_on=dt.date(2025, 3, 1))
        url = reverse(self.url_name, args=[staff.pk])
        client.post(url, {"kind": "studio", "started_on": "2025-01-01", "studio": studio.pk})
        client.post(url, {"kind": "salon", "started_on": "2025-03-01", "salon": salon.pk})
        kinds = sorted(Training.objects.unscoped("test").filter(staff=staff).values_list("kind", flat=True))
        assert kinds == ["salon", "secondment", "studio"]
        page = client.get(reverse("workforce:staff_detail", args=[staff.pk])).content.decode()
        assert "上海" in page and "西一书记工作室" in page
        before = _table_counts()
        twice = client.post(
            url, {"kind": "salon", "started_on": "2025-03-01", "salon": salon.pk}, follow=True
        )
        assert "已登记参加本场沙龙" in twice.content.decode()
        no_city = client.post(url, {"kind": "secondment", "started_on": "2024-03-01"}, follow=True)
        assert "挂职城市" in no_city.content.decode()
        backwards = client.post(
            url,
            {"kind": "other", "started_on": "2024-03-01", "ended_on": "2024-01-01"},
            follow=True,
        )
        assert "结束日期不能早于开始日期" in backwards.content.decode()
        assert client.post(url, {"kind": "nonsense", "started_on": "2024-03-01"}).status_code == 302
        assert _table_counts() == before


class TestEvaluationPage(StaffFormPage):
    url_name = "workforce:staff_evaluate"
    data = {"year": 2025, "fit_score": "92.5", "satisfaction": "95", "outcome": "excellent"}

    def in_scope(self, city, user):
        return self.crew.secretaries[city.communities[0].pk]

    def test_record_an_evaluation(self, city, client_for):
        staff = self.in_scope(city, None)
        client = client_for("community_secretary")
        assert self.post(client, staff).status_code == 302
        evaluation = Evaluation.objects.unscoped("test").get(staff=staff)
        assert (evaluation.year, str(evaluation.fit_score), evaluation.outcome) == (
            2025,
            "92.50",
            "excellent",
        )
        assert AuditEvent.objects.filter(action="workforce.evaluate").count() == 1
        before = _table_counts()
        url = reverse(self.url_name, args=[staff.pk])
        assert "2025 年度已评估" in client.post(url, self.data, follow=True).content.decode()
        too_high = client.post(url, {**self.data, "year": 2024, "fit_score": "120"}, follow=True)
        assert "0 到 100" in too_high.content.decode()
        assert client.post(url, {**self.data, "year": "x"}).status_code == 302
        assert _table_counts() == before


class TestReplacementPage(StaffFormPage):
    url_name = "workforce:staff_replace"
    writer_roles = ("city_admin", "district", "street")
    data = {"reason": "poor_performance"}

    def in_scope(self, city, user):
        return self.crew.secretaries[city.communities[0].pk]

    def test_secretary_without_replace_permission_403(self, city, client_for):
        client = client_for("community_secretary")
        before = _table_counts()
        assert self.post(client, self.in_scope(city, None)).status_code == 403
        assert _table_counts() == before

    def test_replace_a_secretary(self, city, client_for):
        secretary = self.in_scope(city, None)
        deputy = self.crew.deputies[city.communities[0].pk]
        client = client_for("street")
        detail = client.get(reverse("workforce:staff_detail", args=[secretary.pk])).content.decode()
        assert reverse(self.url_name, args=[secretary.pk]) in detail
        assert (
            reverse(self.url_name, args=[deputy.pk])
            not in client.get(reverse("workforce:staff_detail", args=[deputy.pk])).content.decode()
        )
        url = reverse(self.url_name, args=[secretary.pk])
        before = _table_counts()
        no_note = client.post(url, {"reason": "other"}, follow=True)
        assert "请说明调整原因" in no_note.content.decode()
        other_community = self.crew.deputies[city.communities[1].pk]
        assert (
            client.post(url, {"reason": "poor_performance", "incoming": other_community.pk}).status_code
            == 302
        )
        assert _table_counts() == before
        response = client.post(url, {"reason": "low_satisfaction", "incoming": deputy.pk, "note": "满意度低"})
        assert response.status_code == 302
        replacement = Replacement.objects.unscoped("test").get(outgoing=secretary)
        assert replacement.incoming_id == deputy.pk
        assert Staff.objects.unscoped("test").get(pk=deputy.pk).post == Post.SECRETARY
        assert not Staff.objects.unscoped("test").get(pk=secretary.pk).is_active


def test_studio_update_keeps_a_replaced_lead_and_refuses_a_taken_name(city, api_for, crew):
    community = city.communities[0]
    secretary = crew.secretaries[community.pk]
    studio = services.create_studio(SYSTEM, community, name="东一书记工作室", lead=secretary)
    services.create_studio(SYSTEM, city.communities[1], name="东二书记工作室")
    services.replace_secretary(SYSTEM, secretary, reason="other", note="退休")
    client = api_for("district")
    url = reverse("wf-studio-detail", args=[studio.pk])
    response = client.patch(url, {"training_base": "新基地"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["lead"] == secretary.pk
    before = counts()
    taken = client.patch(url, {"name": "东二书记工作室"}, format="json")
    assert taken.status_code == 400 and "东二书记工作室" in str(taken.json())
    deputy = client.patch(url, {"lead": crew.deputies[community.pk].pk}, format="json")
    assert deputy.status_code == 400 and "领衔书记须为在任社区书记" in str(deputy.json())
    assert counts() == before
