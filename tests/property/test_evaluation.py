"""The three-100% evaluation on a known fixture: scores, ranking and star, quarterly bottom, yearly elimination."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.events import services as event_services
from gridgov.events.models import Category
from gridgov.property import queries, services
from gridgov.property.models import Elimination, MonthlyScore, PropertyCompany, Scorer

from ..base import DetailAPITests, ListAPITests
from ..helpers import read_xlsx
from .conftest import SYSTEM

pytestmark = pytest.mark.django_db

# company -> (party, professional inspection, satisfaction survey %) for every month of 2025
PLAN = {"甲物业": (95, 90, 95), "乙物业": (80, 80, 80), "丙物业": (50, 50, 50), "丁物业": (70, 40, 40)}


@pytest.fixture
def companies(city):
    result = {}
    for name, (party, professional, satisfied) in PLAN.items():
        company = services.create_company(SYSTEM, name=name, area=city.streets[0])
        estate = services.create_estate(SYSTEM, name=f"{name}小区", area=city.communities[0], company=company)
        for month in range(1, 13):
            first = dt.date(2025, month, 1)
            services.score_month(SYSTEM, company, month=first, scorer=Scorer.PARTY, score=party)
            services.score_month(
                SYSTEM, company, month=first, scorer=Scorer.PROFESSIONAL, inspection=professional
            )
            services.record_survey(SYSTEM, estate, month=first, respondents=100, satisfied=satisfied)
            services.score_month(SYSTEM, company, month=first, scorer=Scorer.SATISFACTION)
        result[name] = company
    return result


def test_monthly_ranking_and_star(companies):
    rows = queries.monthly_ranking(None, dt.date(2025, 3, 1))
    assert [r.company.name for r in rows] == ["甲物业", "乙物业", "丁物业", "丙物业"]
    assert [r.total for r in rows] == [pytest.approx(93.3), 80.0, 50.0, 50.0]
    assert rows[0].star and not any(r.star for r in rows[1:])
    assert rows[2].rank == rows[3].rank == 3  # ties share the rank


def test_quarter_bottom_and_talk(companies, users, settings):
    settings.GRIDGOV_PROPERTY_BOTTOM_N = 2
    bottom = queries.quarter_bottom(None, 2025, 1)
    assert {r.company.name for r in bottom} == {"丙物业", "丁物业"}
    talk = services.record_talk(
        users["street"],
        companies["丙物业"],
        year=2025,
        quarter=1,
        held_on=dt.date(2025, 4, 10),
        content="服务差",
    )
    assert AuditEvent.objects.filter(action="property.talk", object_id=str(talk.pk)).exists()
    with pytest.raises(ServiceError, match="末位"):
        services.record_talk(
            users["street"],
            companies["甲物业"],
            year=2025,
            quarter=1,
            held_on=dt.date(2025, 4, 10),
            content="x",
        )


def test_elimination_list_and_decision(companies, users, settings):
    settings.GRIDGOV_PROPERTY_ELIMINATION_STANDARD = 60
    assert [r.company.name for r in queries.elimination_list(None, 2025)] == ["丙物业", "丁物业"]
    decision = services.decide_elimination(
        users["street"], companies["丙物业"], year=2025, decision="eliminate", note="连续不达标"
    )
    assert decision.average == pytest.approx(50)
    assert PropertyCompany.objects.unscoped("t").get(pk=companies["丙物业"].pk).is_active is False
    with pytest.raises(ServiceError, match="已有"):
        services.decide_elimination(users["street"], companies["丙物业"], year=2025, decision="rectify")
    with pytest.raises(ServiceError, match="不在淘汰名单"):
        services.decide_elimination(users["street"], companies["甲物业"], year=2025, decision="eliminate")
    with pytest.raises(ServiceError, match="无权"):
        services.decide_elimination(
            users["community_worker"], companies["丁物业"], year=2025, decision="eliminate"
        )
    assert Elimination.objects.unscoped("t").count() == 1


def test_scoring_twice_is_refused_and_changes_nothing(companies, users):
    company = companies["甲物业"]
    rows, audit_rows = MonthlyScore.objects.unscoped("t").count(), AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="不能重复评分"):
        services.score_month(
            users["street"], company, month=dt.date(2025, 3, 15), scorer=Scorer.PARTY, score=90
        )
    with pytest.raises(ServiceError, match="无权"):
        services.score_month(
            users["community_worker"], company, month=dt.date(2024, 3, 1), scorer=Scorer.PARTY, score=90
        )
    with pytest.raises(ServiceError, match="0 到 100"):
        services.score_month(
            users["street"], company, month=dt.date(2024, 3, 1), scorer=Scorer.PARTY, score=120
        )
    assert MonthlyScore.objects.unscoped("t").count() == rows and AuditEvent.objects.count() == audit_rows


def test_professional_score_from_work_orders(city, users):
    company = services.create_company(SYSTEM, name="戊物业", area=city.streets[0])
    services.create_estate(SYSTEM, name="戊小区", area=city.communities[0], company=company)
    services.link_account(SYSTEM, users["property"], company)
    category = Category.objects.get(code="property.repair")  # finish within 16 working hours
    start = timezone.make_aware(dt.datetime(2025, 6, 2, 9, 0))  # Monday
    for i, late in enumerate([False, False, False, True]):
        event = event_services.report_event(
            users["resident"], category=category, title=f"报修{i}", area=city.unit_a, now=start
        )
        event_services.accept(users["community_worker"], event, now=start)
        event_services.dispatch(
            users["community_worker"], event, assignee_kind="property", assignee_id=company.pk, now=start
        )
        event_services.start(users["property"], event, now=start + dt.timedelta(hours=2))
        done = start + dt.timedelta(days=7 if late else 0, hours=4)
        event_services.finish(users["property"], event, result="好了", now=done)
        event_services.verify(users["community_worker"], event, now=done)
        event_services.close(users["community_worker"], event, now=done)
        event_services.rate(users["resident"], event, rating=5 if not late else 1, now=done)
    stats = services.work_order_stats(company, dt.date(2025, 6, 1))
    assert stats["orders"] == 4 and stats["on_time_rate"] == 0.75 and stats["response_hours"] == 2
    assert stats["reopen_rate"] == 0 and stats["rating_mean"] == 4
    row = services.score_month(  # the property management centre: the district's login
        users["district"], company, month=dt.date(2025, 6, 1), scorer=Scorer.PROFESSIONAL, inspection=100
    )
    # 0.6 × (40 × 0.75 + 30 × (1 − 2/8) + 30 × 1) + 0.4 × 100 = 0.6 × 82.5 + 40 = 89.5
    assert float(row.score) == 89.5
    sat = services.score_month(
        users["community_secretary"], company, month=dt.date(2025, 6, 1), scorer=Scorer.SATISFACTION
    )
    assert float(sat.score) == 75.0  # (4 − 1) / 4 × 100, no surveys


def test_ranking_api_and_export(companies, api_for):
    r = api_for("street").get(reverse("property-ranking-list"), {"month": "2025-03"})
    assert r.status_code == 200 and r.json()["results"][0]["star"] is True
    assert api_for("grid_worker").get(reverse("property-ranking-list")).status_code == 403
    r = api_for("street").get(reverse("property-ranking-export"), {"month": "2025-03"})
    assert r.status_code == 200
    rows = read_xlsx(r.content)
    assert rows[0]["物业企业"] == "甲物业" and rows[0]["服务之星"] == "是"
    # the other city's administrator sees none of these companies
    assert api_for("district").get(reverse("property-ranking-list"), {"month": "2025-03"}).json()["results"]


class CompanyObjects:
    model = PropertyCompany

    @pytest.fixture(autouse=True)
    def _companies(self, city):
        self.in_scope(city, None)
        self.out_of_scope(city, None)

    def in_scope(self, city, user):
        return PropertyCompany.objects.unscoped("t").filter(
            area_path=city.communities[0].path
        ).first() or services.create_company(SYSTEM, name="社区物业", area=city.communities[0])

    def out_of_scope(self, city, user):
        return PropertyCompany.objects.unscoped("t").filter(
            area_path=city.other_city[3].path
        ).first() or services.create_company(SYSTEM, name="外市物业", area=city.other_city[3])


class TestCompanyAPI(CompanyObjects, ListAPITests, DetailAPITests):
    basename = "property-company"
    allowed_roles = ("city_admin", "district", "street", "community_secretary", "community_worker")
    denied_roles = ("grid_worker", "property", "resident")
