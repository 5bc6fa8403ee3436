"""Scope tests for the property endpoints that had none: estates, talks, elimination decisions, monthly
scores, the ranking (and its export), a company's alliance and an estate's fallback organisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from gridgov.property.models import Elimination, MonthlyScore, Scorer, Talk

from ..base import (
    Action,
    ActionAPITests,
    Call,
    DetailAPITests,
    EndpointMatrixTests,
    ListAPITests,
)
from .test_pages import NON_VIEWERS, VIEWERS, CompanyObjects, EstateObjects, _company

MONTH = dt.date(2026, 2, 1)


class TestCompanyAllianceAPI(CompanyObjects, ActionAPITests):
    basename = "property-company"
    actions = {
        "property-company-alliance": Action(
            ("property.add_orgmembership",), data=lambda t, c, u: {"joined_on": "2026-01-15"}
        )
    }


class TestEstateAPI(EstateObjects, ListAPITests, DetailAPITests):
    basename = "property-estate"
    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS


class TestEstateFallbackAPI(EstateObjects, ActionAPITests):
    """The organisation named is the in-scope estate's own company, which every permitted user may name."""

    basename = "property-estate"
    actions = {
        "property-estate-fallback": Action(
            ("property.change_estate",),
            data=lambda t, c, u: {"organisation": t.in_scope(c, u).company_id},
        )
    }


def company_in(city):
    return _company(city, city.communities[0], "东一物业")


def company_out(city):
    return _company(city, city.other_city[3], "外市物业")


class CompanyRecords:
    """One row per company — the one in 东一社区 and the one in the other city — on the company's path."""

    allowed_roles = VIEWERS
    denied_roles = NON_VIEWERS

    def make(self, company):
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _records(self, city):
        self.records = {company.pk: self.make(company) for company in (company_in(city), company_out(city))}

    def in_scope(self, city, user):
        return self.records[company_in(city).pk]

    def out_of_scope(self, city, user):
        return self.records[company_out(city).pk]


class TestTalkAPI(CompanyRecords, ListAPITests, DetailAPITests):
    basename = "property-talk"
    model = Talk

    def make(self, company):
        return Talk.objects.create(
            company=company, area_path=company.area_path, year=2025, quarter=4, held_on=MONTH, content="约谈"
        )


class TestEliminationAPI(CompanyRecords, ListAPITests, DetailAPITests):
    basename = "property-elimination"
    model = Elimination

    def make(self, company):
        return Elimination.objects.create(
            company=company,
            area_path=company.area_path,
            year=2025,
            average=Decimal("55.0"),
            decision="rectify",
        )


class TestMonthlyScoreAPI(CompanyRecords, ListAPITests, DetailAPITests):
    """Three scores per company for the month: the ranking below reads them too."""

    basename = "property-score"
    model = MonthlyScore

    def make(self, company):
        rows = [
            MonthlyScore.objects.create(
                company=company,
                area_path=company.area_path,
                month=MONTH,
                scorer=scorer,
                score=Decimal("80.0"),
            )
            for scorer in Scorer.values
        ]
        return rows[0]


class TestRankingAPI(CompanyRecords, EndpointMatrixTests):
    """The ranking lists the companies in the user's scope only; its export needs its own permission."""

    calls = {
        "property-ranking-list": Call(
            ("property.view_monthlyscore",), data=lambda t, c: {"month": "2026-02"}
        ),
        "property-ranking-export": Call(("property.export_ranking",), data=lambda t, c: {"month": "2026-02"}),
    }

    def make(self, company):
        return TestMonthlyScoreAPI.make(self, company)

    def test_ranking_lists_only_companies_in_scope(self, city, users, api_for):
        inside = company_in(city)
        for role in VIEWERS:
            body = api_for(role).get(reverse("property-ranking-list"), {"month": "2026-02"}).json()
            assert [row["company"] for row in body["results"]] == [inside.pk], role
