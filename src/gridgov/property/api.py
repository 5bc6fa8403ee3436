"""Red property API: companies, estates, monthly scores (one per scorer and month), the ranking (also xlsx),
talks, elimination decisions and round-table meetings; every write goes through services.py."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gridgov.areas.filters import AreaSubtreeFilterSet
from gridgov.areas.models import Area
from gridgov.core.api import ScopedViewSetMixin
from gridgov.core.xlsx import XLSX_CONTENT_TYPE
from gridgov.events.models import Category

from . import queries, services
from .columns import ranking_sheet
from .models import (
    CoverageModel,
    Elimination,
    Estate,
    MeetingDecision,
    MonthlyScore,
    PartyOrgStatus,
    PropertyCompany,
    RoundTable,
    Talk,
)


class CompanySerializer(serializers.ModelSerializer):
    standards_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PropertyCompany
        fields = [
            "id",
            "name",
            "area",
            "area_path",
            "is_public_interest",
            "party_status",
            "party_org_name",
            "in_alliance",
            "alliance_joined_on",
            "standards_met",
            "standards_count",
            "is_active",
        ]
        read_only_fields = fields


class CompanyFilter(AreaSubtreeFilterSet):
    class Meta:
        model = PropertyCompany
        fields = ["is_public_interest", "in_alliance", "party_status", "is_active"]


class CompanyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = PropertyCompany
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter


class EstateSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.name", read_only=True, default="")

    class Meta:
        model = Estate
        fields = [
            "id",
            "name",
            "area",
            "area_path",
            "company",
            "company_name",
            "coverage_model",
            "households",
            "fee_collection_rate",
        ]
        read_only_fields = fields


class EstateFilter(AreaSubtreeFilterSet):
    class Meta:
        model = Estate
        fields = ["coverage_model", "company"]


class EstateViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Estate
    serializer_class = EstateSerializer
    filterset_class = EstateFilter

    def get_queryset(self):
        qs = self.base_queryset().select_related("company")
        if self.request.query_params.get("no_service") in ("1", "true"):
            qs = queries.estates_without_service(qs)
        return qs


class ScoreSerializer(serializers.ModelSerializer):
    company = serializers.IntegerField(source="company_id")
    score = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)
    inspection = serializers.FloatField(write_only=True, required=False, allow_null=True)

    class Meta:
        model = MonthlyScore
        fields = ["id", "company", "area_path", "month", "scorer", "score", "inspection", "detail"]
        read_only_fields = ["area_path", "detail"]

    def create(self, validated_data):
        request = self.context["request"]
        company = get_object_or_404(
            PropertyCompany.objects.unscoped("scope checked by the service"), pk=validated_data["company_id"]
        )
        return services.score_month(
            request.user,
            company,
            month=validated_data["month"],
            scorer=validated_data["scorer"],
            score=validated_data.get("score"),
            inspection=validated_data.get("inspection"),
        )


class ScoreViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """POST needs the scorer's own permission (party / professional / satisfaction), checked by the service."""

    queryset_model = MonthlyScore
    serializer_class = ScoreSerializer
    action_permissions = {"create": ["property.view_monthlyscore"]}


def parse_month(raw: str | None) -> dt.date:
    if not raw:
        today = timezone.localdate()
        return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        return dt.datetime.strptime(raw[:7], "%Y-%m").date()
    except ValueError:
        raise serializers.ValidationError({"month": _("月份格式应为 YYYY-MM")}) from None


class RankingViewSet(viewsets.ViewSet):
    """GET ?month=YYYY-MM: the month's ranking of the companies in the user's scope (the first is the star)."""

    action_permissions = {"list": ["property.view_monthlyscore"], "export": ["property.export_ranking"]}
    _ignore_model_permissions = True

    def list(self, request):
        month = parse_month(request.query_params.get("month"))
        rows = queries.monthly_ranking(PropertyCompany.objects.visible_to(request.user), month)
        return Response(
            {
                "month": f"{month:%Y-%m}",
                "results": [
                    {
                        "rank": r.rank,
                        "company": r.company.pk,
                        "name": r.company.name,
                        "party": r.party,
                        "professional": r.professional,
                        "satisfaction": r.satisfaction,
                        "total": r.total,
                        "star": r.star,
                    }
                    for r in rows
                ],
            }
        )

    @action(detail=False, methods=["get"])
    def export(self, request):
        month = parse_month(request.query_params.get("month"))
        rows = queries.monthly_ranking(PropertyCompany.objects.visible_to(request.user), month)
        response = HttpResponse(ranking_sheet(month, rows), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="ranking-{month:%Y-%m}.xlsx"'
        return response


# --- writes: companies, estates, talks, elimination decisions, round-table meetings ------------------
def _area(pk) -> Area:
    return get_object_or_404(Area.objects.unscoped("checked by the service"), pk=pk or 0)


def _company(pk) -> PropertyCompany:
    return get_object_or_404(PropertyCompany.objects.unscoped("checked by the service"), pk=pk or 0)


class CompanyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    area = serializers.IntegerField()
    is_public_interest = serializers.BooleanField(required=False, default=False)
    party_status = serializers.ChoiceField(choices=PartyOrgStatus.choices, default=PartyOrgStatus.NONE)
    party_org_name = serializers.CharField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="")


class StandardsSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField(max_length=8), allow_empty=True)


class AllianceSerializer(serializers.Serializer):
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


class CompanyWriteViewSet(CompanyViewSet, mixins.CreateModelMixin):
    """POST creates a company (registered at a district, street or community in the user's area);
    POST …/standards/ sets the standards checklist; POST …/alliance/ records joining the alliance."""

    action_permissions = {
        "standards": ["property.change_propertycompany"],
        "alliance": ["property.change_propertycompany"],
    }

    def create(self, request, *args, **kwargs):
        s = CompanyCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        company = services.create_company(
            request.user,
            name=v["name"],
            area=_area(v["area"]),
            is_public_interest=v["is_public_interest"],
            party_status=v["party_status"],
            party_org_name=v["party_org_name"],
            contact_phone=v["contact_phone"],
        )
        return Response(CompanySerializer(company).data, status=201)

    @action(detail=True, methods=["post"])
    def standards(self, request, pk=None):
        s = StandardsSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        company = services.set_standards(request.user, self.get_object(), s.validated_data["codes"])
        return Response(CompanySerializer(company).data)

    @action(detail=True, methods=["post"])
    def alliance(self, request, pk=None):
        s = AllianceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        company = services.join_alliance(
            request.user, self.get_object(), joined_on=s.validated_data["joined_on"]
        )
        return Response(CompanySerializer(company).data)


class EstateCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    area = serializers.IntegerField()
    company = serializers.IntegerField(required=False, allow_null=True, default=None)
    coverage_model = serializers.ChoiceField(
        choices=CoverageModel.choices, required=False, allow_null=True, default=None
    )
    households = serializers.IntegerField(required=False, min_value=0, default=0)
    buildings = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class FeeRateSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=1)


class FallbackSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()


class EstateWriteViewSet(EstateViewSet, mixins.CreateModelMixin):
    """POST creates an estate on a community or grid of the user's area; POST …/fee_rate/ sets the
    fee-collection rate; POST …/fallback/ hands an estate with no company to a public-interest organisation."""

    action_permissions = {
        "fee_rate": ["property.change_estate"],
        "fallback": ["property.change_estate"],
    }

    def create(self, request, *args, **kwargs):
        s = EstateCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        buildings = list(Area.objects.unscoped("checked by the service").filter(pk__in=v["buildings"]))
        if len(buildings) != len(set(v["buildings"])):
            raise serializers.ValidationError({"buildings": _("楼院不存在")})
        estate = services.create_estate(
            request.user,
            name=v["name"],
            area=_area(v["area"]),
            company=_company(v["company"]) if v["company"] else None,
            coverage_model=v["coverage_model"],
            households=v["households"],
            buildings=buildings,
        )
        return Response(EstateSerializer(estate).data, status=201)

    @action(detail=True, methods=["post"])
    def fee_rate(self, request, pk=None):
        s = FeeRateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        estate = services.set_fee_collection(request.user, self.get_object(), s.validated_data["rate"])
        return Response(EstateSerializer(estate).data)

    @action(detail=True, methods=["post"])
    def fallback(self, request, pk=None):
        s = FallbackSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        estate = services.assign_fallback(
            request.user, self.get_object(), _company(s.validated_data["organisation"])
        )
        return Response(EstateSerializer(estate).data)


class TalkSerializer(serializers.ModelSerializer):
    company = serializers.IntegerField(source="company_id")

    class Meta:
        model = Talk
        fields = ["id", "company", "area_path", "year", "quarter", "held_on", "content", "rectification"]
        read_only_fields = ["area_path"]

    def create(self, validated_data):
        company = get_object_or_404(
            PropertyCompany.objects.visible_to(self.context["request"].user), pk=validated_data["company_id"]
        )
        return services.record_talk(
            self.context["request"].user,
            company,
            year=validated_data["year"],
            quarter=validated_data["quarter"],
            held_on=validated_data["held_on"],
            content=validated_data["content"],
            rectification=validated_data.get("rectification", ""),
        )


class TalkViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """约谈: only for a company on the quarter's bottom list (checked by the service)."""

    queryset_model = Talk
    serializer_class = TalkSerializer


class EliminationSerializer(serializers.ModelSerializer):
    company = serializers.IntegerField(source="company_id")

    class Meta:
        model = Elimination
        fields = ["id", "company", "area_path", "year", "average", "decision", "note"]
        read_only_fields = ["area_path", "average"]

    def create(self, validated_data):
        company = get_object_or_404(
            PropertyCompany.objects.visible_to(self.context["request"].user), pk=validated_data["company_id"]
        )
        return services.decide_elimination(
            self.context["request"].user,
            company,
            year=validated_data["year"],
            decision=validated_data["decision"],
            note=validated_data.get("note", ""),
        )


class EliminationViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The yearly decision on a company on the elimination list (eliminate deactivates the company)."""

    queryset_model = Elimination
    serializer_class = EliminationSerializer
    action_permissions = {"create": ["property.decide_elimination"]}


class MeetingDecisionSerializer(serializers.ModelSerializer):
    event_number = serializers.CharField(source="event.number", read_only=True, default="")

    class Meta:
        model = MeetingDecision
        fields = ["id", "content", "event", "event_number"]


class RoundTableSerializer(serializers.ModelSerializer):
    decisions = MeetingDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = RoundTable
        fields = [
            "id",
            "area",
            "area_path",
            "estate",
            "company",
            "held_on",
            "convener",
            "attendees",
            "topics",
            "decisions",
        ]
        read_only_fields = fields


class RoundTableCreateSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    estate = serializers.IntegerField(required=False, allow_null=True, default=None)
    held_on = serializers.DateField()
    convener = serializers.CharField(max_length=100)
    attendees = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1)
    topics = serializers.CharField()
    decisions = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())


class RoundTableViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Round-table meetings; POST records one, and each decision becomes a work order (origin roundtable:<id>)."""

    queryset_model = RoundTable
    serializer_class = RoundTableSerializer

    def get_queryset(self):
        return self.base_queryset().prefetch_related("decisions__event")

    def create(self, request, *args, **kwargs):
        s = RoundTableCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        estate = (
            get_object_or_404(Estate.objects.visible_to(request.user), pk=v["estate"])
            if v["estate"]
            else None
        )
        meeting = services.record_round_table(
            request.user,
            community=_area(v["community"]),
            held_on=v["held_on"],
            convener=v["convener"],
            attendees=v["attendees"],
            topics=v["topics"],
            decisions=v["decisions"],
            category=v["category"],
            estate=estate,
        )
        return Response(RoundTableSerializer(meeting).data, status=201)
