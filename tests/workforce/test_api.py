"""Generic scope tests for every workforce endpoint, plus checks, figures and the salary scale."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from gridgov.workforce import services
from gridgov.workforce.models import (
    Competition,
    CompetitionRound,
    GridAssignment,
    Payroll,
    Presentation,
    Staff,
    Training,
)

from ..base import DetailAPITests, ListAPITests, WriteAPITests
from .conftest import SYSTEM

WF_VIEW_ROLES = ("city_admin", "district", "street", "community_secretary")
WF_DENIED = ("community_worker", "grid_worker", "property", "resident")


def community_outside(city, user):
    return city.unit_outside(user).parent.parent.parent


class CrewObjects:
    allowed_roles = WF_VIEW_ROLES
    denied_roles = WF_DENIED

    @pytest.fixture(autouse=True)
    def _crew(self, crew):
        self.crew = crew

    def _secretary_of(self, community):
        return self.crew.secretaries.get(community.pk) or self.crew.other


class StaffObjects(CrewObjects):
    model = Staff

    def in_scope(self, city, user):
        return self.crew.secretaries[city.communities[0].pk]

    def out_of_scope(self, city, user):
        return self._secretary_of(community_outside(city, user))


class TestStaffAPI(StaffObjects, ListAPITests, DetailAPITests):
    basename = "wf-staff"


class TestStaffChangePostAPI(CrewObjects, WriteAPITests):
    basename = "wf-staff"
    model = Staff
    writer_roles = WF_VIEW_ROLES
    reader_roles = ()
    write_action = "workforce.change_post"

    def in_scope(self, city, user):
        return self.crew.deputies[city.communities[0].pk]

    def out_of_scope(self, city, user):
        community = community_outside(city, user)
        return self.crew.deputies.get(community.pk) or self.crew.other

    def write(self, client, obj):
        return client.post(
            reverse("wf-staff-change-post", args=[obj.pk]), {"post": "party_affairs"}, format="json"
        )


class TestGridAssignmentAPI(CrewObjects, ListAPITests, DetailAPITests):
    basename = "wf-assignment"
    model = GridAssignment

    def in_scope(self, city, user):
        return GridAssignment.objects.unscoped("test").get(grid=city.grid_a)

    def out_of_scope(self, city, user):
        community = community_outside(city, user)
        return GridAssignment.objects.unscoped("test").filter(
            area_path__startswith=community.path
        ).first() or self._other(city)

    def _other(self, city):
        grid = city.other_city[4]
        worker = services.hire_staff(
            SYSTEM,
            resident=city.other_residents[1],
            community=city.other_city[3],
            post="grid_worker",
            education="bachelor",
            hired_on=dt.date(2020, 1, 1),
        )
        return services.assign_grid(SYSTEM, worker, grid)


class TestTrainingAPI(CrewObjects, ListAPITests, DetailAPITests):
    basename = "wf-training"
    model = Training

    @pytest.fixture(autouse=True)
    def _trainings(self, crew, city):
        self.trainings = {
            s.area_path: services.record_training(
                SYSTEM,
                s,
                kind="secondment",
                started_on=dt.date(2024, 3, 1),
                ended_on=dt.date(2024, 9, 1),
                host_city="上海",
            )
            for s in [*crew.secretaries.values(), crew.other]
        }

    def in_scope(self, city, user):
        return self.trainings[city.communities[0].path]

    def out_of_scope(self, city, user):
        return self.trainings[community_outside(city, user).path]


class TestPayrollAPI(CrewObjects, ListAPITests, DetailAPITests):
    basename = "wf-payroll"
    model = Payroll

    @pytest.fixture(autouse=True)
    def _payrolls(self, crew, city):
        self.payrolls = {
            c.path: services.compute_payroll(SYSTEM, c, dt.date(2025, 6, 1))
            for c in [*city.communities, city.other_city[3]]
        }

    def in_scope(self, city, user):
        return self.payrolls[city.communities[0].path]

    def out_of_scope(self, city, user):
        return self.payrolls[community_outside(city, user).path]


class DistrictCompetition(CrewObjects):
    """Competitions sit at the district: only users at district level or above see them."""

    allowed_roles = ("city_admin", "district")

    @pytest.fixture(autouse=True)
    def _competitions(self, crew, city):
        self.competitions = {}
        self.presentations = {}
        for district in [*city.districts, city.other_city[1]]:
            comp = Competition.objects.create(
                district=district, title=f"{district.name}擂台赛", year=2025, area_path=district.path
            )
            rnd = CompetitionRound.objects.create(
                competition=comp, number=1, held_on=dt.date(2025, 9, 1), area_path=district.path
            )
            self.competitions[district.pk] = comp
            for s in [*crew.secretaries.values(), crew.other]:
                if s.area_path.startswith(district.path):
                    self.presentations[district.pk] = services.add_presentation(
                        SYSTEM, rnd, s, topic="比思路"
                    )

    def district_outside(self, city, user):
        return city.unit_outside(user).parent.parent.parent.parent.parent


class TestCompetitionAPI(DistrictCompetition, ListAPITests, DetailAPITests):
    basename = "wf-competition"
    model = Competition

    def in_scope(self, city, user):
        return self.competitions[city.districts[0].pk]

    def out_of_scope(self, city, user):
        return self.competitions[self.district_outside(city, user).pk]


class TestPresentationAPI(CrewObjects, ListAPITests, DetailAPITests):
    basename = "wf-presentation"
    model = Presentation

    @pytest.fixture(autouse=True)
    def _presentations(self, crew, city):
        self.by_path = {}
        for district in [*city.districts, city.other_city[1]]:
            comp = Competition.objects.create(
                district=district, title="擂台赛", year=2025, area_path=district.path
            )
            rnd = CompetitionRound.objects.create(
                competition=comp, number=1, held_on=dt.date(2025, 9, 1), area_path=district.path
            )
            for s in [*crew.secretaries.values(), crew.other]:
                if s.area_path.startswith(district.path):
                    self.by_path[s.area_path] = services.add_presentation(SYSTEM, rnd, s)

    def in_scope(self, city, user):
        return self.by_path[city.communities[0].path]

    def out_of_scope(self, city, user):
        return self.by_path[community_outside(city, user).path]


def test_ranking_orders_by_mean_score_with_shared_ranks(city, api_for, crew):
    district = city.districts[0]
    comp = Competition.objects.create(district=district, title="擂台赛", year=2025, area_path=district.path)
    rnd = CompetitionRound.objects.create(
        competition=comp, number=1, held_on=dt.date(2025, 9, 1), area_path=district.path
    )
    a = services.add_presentation(SYSTEM, rnd, crew.secretaries[city.communities[0].pk])
    b = services.add_presentation(SYSTEM, rnd, crew.secretaries[city.communities[1].pk])
    for judge, sa, sb in [("甲", "90", "88"), ("乙", "80", "82")]:
        services.score_presentation(SYSTEM, a, judge=judge, score=sa)
        services.score_presentation(SYSTEM, b, judge=judge, score=sb)
    client = api_for("district")
    rows = client.get(reverse("wf-competition-ranking", args=[comp.pk])).json()
    assert [(r["rank"], r["presentation"], r["mean"]) for r in rows] == [
        (1, a.pk, "85.00"),
        (1, b.pk, "85.00"),
    ]
    response = client.post(
        reverse("wf-presentation-score", args=[a.pk]), {"judge": "丙", "score": "99"}, format="json"
    )
    assert response.status_code == 201
    rows = client.get(reverse("wf-competition-ranking", args=[comp.pk])).json()
    assert rows[0]["presentation"] == a.pk and rows[0]["mean"] == "89.67" and rows[1]["rank"] == 2
    again = client.post(
        reverse("wf-presentation-score", args=[a.pk]), {"judge": "丙", "score": "70"}, format="json"
    )
    assert again.status_code == 400 and "已为此登台打分" in str(again.json())
    bad = client.post(
        reverse("wf-presentation-score", args=[a.pk]), {"judge": "丁", "score": "101"}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("basename", ["wf-check", "wf-figures"])
class TestAreaParamEndpoints:
    def test_anonymous_refused(self, city, api_for, basename):
        assert api_for(None).get(reverse(f"{basename}-list")).status_code in (401, 403)

    @pytest.mark.parametrize("role", WF_DENIED)
    def test_without_permission_403(self, city, api_for, basename, role):
        assert api_for(role).get(reverse(f"{basename}-list")).status_code == 403

    @pytest.mark.parametrize("role", WF_VIEW_ROLES)
    def test_own_area_200_other_area_404(self, city, users, api_for, crew, basename, role):
        client = api_for(role)
        assert client.get(reverse(f"{basename}-list"), {"area": users[role].area_id}).status_code == 200
        response = client.get(reverse(f"{basename}-list"), {"area": city.unit_outside(users[role]).pk})
        assert response.status_code == 404
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])


def test_salary_scale_api(city, api_for, crew):
    body = api_for("community_secretary").get(reverse("wf-scale-list")).json()
    assert len(body["results"][0]["rates"]) == 54
    assert api_for("grid_worker").get(reverse("wf-scale-list")).status_code == 403
    assert api_for(None).get(reverse("wf-scale-list")).status_code in (401, 403)


def test_hire_through_the_api_is_scoped_and_audited(city, users, api_for, crew):
    from gridgov.core.models import AuditEvent

    from ..factories import ResidentFactory

    inside = ResidentFactory(household=city.household_a)
    outside = ResidentFactory(household=city.households[4])
    client = api_for("street")
    body = {
        "community": city.communities[0].pk,
        "post": "community_worker",
        "education": "bachelor",
        "hired_on": "2021-05-01",
    }
    response = client.post(reverse("wf-staff-list"), {**body, "resident": inside.pk}, format="json")
    assert response.status_code == 201, response.content
    assert (
        response.json()["category"] == "worker"
        and response.json()["positions"][0]["post"] == "community_worker"
    )
    assert AuditEvent.objects.filter(action="workforce.hire", actor=users["street"]).count() == 1
    refused = client.post(reverse("wf-staff-list"), {**body, "resident": outside.pk}, format="json")
    assert refused.status_code == 400
    assert not Staff.objects.unscoped("test").filter(resident=outside).exists()
    twice = client.post(reverse("wf-staff-list"), {**body, "resident": inside.pk}, format="json")
    assert twice.status_code == 400 and "已有社区工作人员档案" in str(twice.json())
