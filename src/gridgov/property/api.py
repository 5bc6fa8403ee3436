"""Red property API: companies, estates, monthly scores (one per scorer and month), the ranking (also xlsx),
talks, elimination decisions and round-table meetings; every write goes through services.py."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from gridgov.areas.models import Area, Level
from gridgov.core.api import ScopedReadOnlyViewSet, ServiceCreateMixin, query_value
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from gridgov.core.xlsx import XLSX_CONTENT_TYPE
from gridgov.events.models import Category
from gridgov.party.models import PartyOrg

from . import queries, services
from .columns import ranking_sheet
from .filters import CompanyFilter, EstateFilter, nameable_companies
from .forms import MONTH_FORMAT, last_month
from .models import (
    MEMBERSHIP_KINDS,
    STANDARDS,
    Elimination,
    Estate,
    MeetingDecision,
    MonthlyScore,
    OrgMembership,
    PropertyCompany,
    RoundTable,
    StandardsCheck,
    Talk,
)


class NameableCompanyField(ScopedPrimaryKeyRelatedField):
    """A company the requester may name (filters.nameable_companies): registered in or above the user's
    area, or serving an estate the user sees; the service checks its exact rule."""

    def __init__(self, **kwargs):
        super().__init__(queryset=PropertyCompany.objects.all(), **kwargs)

    def get_queryset(self):
        return nameable_companies(getattr(self.context.get("request"), "user", None))


# --- companies ---------------------------------------------------------------------------------------
class CompanySerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), help_text=_("登记区域:区县、街道或社区"))
    standards_count = serializers.IntegerField(read_only=True)
    # Computed from the memberships (queries.with_memberships), no longer flags on the company.
    in_alliance = serializers.BooleanField(read_only=True, default=False)
    alliance_joined_on = serializers.DateField(read_only=True, default=None, allow_null=True)

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
            "contact_phone",
            "in_alliance",
            "alliance_joined_on",
            "standards_met",
            "standards_count",
            "is_active",
        ]
        read_only_fields = ["area_path", "standards_met", "is_active"]
        extra_kwargs = {"contact_phone": {"write_only": True}}


class CompanyStandardsSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.ChoiceField(choices=STANDARDS), allow_empty=True)


class CompanyAllianceSerializer(serializers.Serializer):
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


class CompanyWriteViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Companies in the user's area. POST creates one (registered at a district, street or community);
    POST …/standards/ records today's 10-standards check (the codes met); POST …/alliance/ joins the
    company to its street's red-property party alliance (a membership, see /api/property/memberships/)."""

    queryset = queries.with_memberships(PropertyCompany.objects.select_related("area"))
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter
    action_permissions = {
        "standards": ["property.add_standardscheck"],
        "alliance": ["property.add_orgmembership"],
    }
    create_service = staticmethod(services.create_company)

    def _fresh(self, company):
        return self.get_queryset().get(pk=company.pk)

    @extend_schema(request=CompanyStandardsSerializer)
    @action(detail=True, methods=["post"])
    def standards(self, request, pk=None):
        company = services.set_standards(
            request.user, self.get_object(), **self.body(CompanyStandardsSerializer)
        )
        return Response(self.get_serializer(self._fresh(company)).data)

    @extend_schema(request=CompanyAllianceSerializer)
    @action(detail=True, methods=["post"])
    def alliance(self, request, pk=None):
        company = services.join_alliance(
            request.user, self.get_object(), **self.body(CompanyAllianceSerializer)
        )
        return Response(self.get_serializer(self._fresh(company)).data)


# --- estates -----------------------------------------------------------------------------------------
class EstateSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), help_text=_("所在社区或网格"))
    company = NameableCompanyField(required=False, allow_null=True)
    company_name = serializers.CharField(source="company.name", read_only=True, default="")
    buildings = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.filter(level=Level.BUILDING), many=True, required=False, write_only=True
    )

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
            "buildings",
            "fee_collection_rate",
        ]
        read_only_fields = ["area_path", "fee_collection_rate"]


class EstateFeeRateSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=1, help_text=_("0 到 100"))


class EstateFallbackSerializer(serializers.Serializer):
    organisation = NameableCompanyField(help_text=_("公益性物业组织"))


class EstateWriteViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Estates in the user's area (`?no_service=true`: those without a company). POST creates one on a
    community or grid; POST …/fee_rate/ sets the fee-collection rate; POST …/fallback/ hands an estate
    with no company to a public-interest organisation."""

    queryset = Estate.objects.select_related("company")
    serializer_class = EstateSerializer
    filterset_class = EstateFilter
    action_permissions = {
        "fee_rate": ["property.change_estate"],
        "fallback": ["property.change_estate"],
    }
    create_service = staticmethod(services.create_estate)

    @extend_schema(request=EstateFeeRateSerializer)
    @action(detail=True, methods=["post"])
    def fee_rate(self, request, pk=None):
        estate = services.set_fee_collection(
            request.user, self.get_object(), **self.body(EstateFeeRateSerializer)
        )
        return Response(self.get_serializer(estate).data)

    @extend_schema(request=EstateFallbackSerializer)
    @action(detail=True, methods=["post"])
    def fallback(self, request, pk=None):
        estate = services.assign_fallback(
            request.user, self.get_object(), **self.body(EstateFallbackSerializer)
        )
        return Response(self.get_serializer(estate).data)


# --- the three-100% evaluation: scores, the ranking, talks, eliminations ------------------------------
class ScoreSerializer(ScopedModelSerializer):
    company = NameableCompanyField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)
    inspection = serializers.FloatField(
        write_only=True, required=False, allow_null=True, help_text=_("专业服务:检查考核得分")
    )

    class Meta:
        model = MonthlyScore
        fields = ["id", "company", "area_path", "month", "scorer", "score", "inspection", "detail"]
        read_only_fields = ["area_path", "detail"]
        validators: list = []  # once per company, month and scorer: score_month's rule (it names the month)


class ScoreViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """POST needs the scorer's own permission (party / professional / satisfaction), checked by the service."""

    queryset = MonthlyScore.objects.all()
    serializer_class = ScoreSerializer
    action_permissions = {"create": ["property.view_monthlyscore"]}
    create_service = staticmethod(services.score_month)


class RankRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    company = serializers.IntegerField(source="company.pk")
    name = serializers.CharField(source="company.name")
    party = serializers.FloatField(allow_null=True)
    professional = serializers.FloatField(allow_null=True)
    satisfaction = serializers.FloatField(allow_null=True)
    total = serializers.FloatField()
    star = serializers.BooleanField()


@extend_schema_serializer(many=False)  # the list action answers one object (the month and its rows)
class RankingSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    results = RankRowSerializer(many=True)


MONTH_PARAM = OpenApiParameter("month", str, description=_("月份 YYYY-MM(默认上月)"))


class RankingViewSet(viewsets.ViewSet):
    """GET ?month=YYYY-MM: the month's ranking of the companies in the user's scope (the first is the star)."""

    action_permissions = {"list": ["property.view_monthlyscore"], "export": ["property.export_ranking"]}
    _ignore_model_permissions = True

    def _rows(self, request):
        field = serializers.DateField(input_formats=[MONTH_FORMAT])
        month = query_value(request, "month", field) or last_month()
        return month, queries.monthly_ranking(PropertyCompany.objects.visible_to(request.user), month)

    @extend_schema(parameters=[MONTH_PARAM], responses=RankingSerializer)
    def list(self, request):
        month, rows = self._rows(request)
        return Response({"month": f"{month:%Y-%m}", "results": RankRowSerializer(rows, many=True).data})

    @extend_schema(parameters=[MONTH_PARAM], responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"])
    def export(self, request):
        month, rows = self._rows(request)
        response = HttpResponse(ranking_sheet(month, rows), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="ranking-{month:%Y-%m}.xlsx"'
        return response


class TalkSerializer(ScopedModelSerializer):
    company = ScopedPrimaryKeyRelatedField(queryset=PropertyCompany.objects.all())

    class Meta:
        model = Talk
        fields = ["id", "company", "area_path", "year", "quarter", "held_on", "content", "rectification"]
        read_only_fields = ["area_path"]
        validators: list = []  # once per company and quarter: record_talk's rule


class TalkViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """约谈: only for a company on the quarter's bottom list (checked by the service)."""

    queryset = Talk.objects.all()
    serializer_class = TalkSerializer
    create_service = staticmethod(services.record_talk)


class EliminationSerializer(ScopedModelSerializer):
    company = ScopedPrimaryKeyRelatedField(queryset=PropertyCompany.objects.all())

    class Meta:
        model = Elimination
        fields = ["id", "company", "area_path", "year", "average", "decision", "note"]
        read_only_fields = ["area_path", "average"]
        validators: list = []  # once per company and year: decide_elimination's rule


class EliminationViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """The yearly decision on a company on the elimination list (eliminate deactivates the company)."""

    queryset = Elimination.objects.all()
    serializer_class = EliminationSerializer
    action_permissions = {"create": ["property.decide_elimination"]}
    create_service = staticmethod(services.decide_elimination)


# --- the 10-standards checks and the member companies of the property party organisations -------------
class StandardsItemSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=STANDARDS)
    met = serializers.BooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StandardsCheckSerializer(ScopedModelSerializer):
    company = ScopedPrimaryKeyRelatedField(queryset=PropertyCompany.objects.all())
    results = StandardsItemSerializer(many=True, help_text=_("十项标准逐项:达标与否及说明"))
    met_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = StandardsCheck
        fields = ["id", "company", "area_path", "checked_on", "results", "met_count"]
        read_only_fields = ["area_path"]
        validators: list = []  # one per company and date: a second corrects the first (the service)


class StandardsCheckViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """红色物业十项标准检查: POST records a company's check on a date (each standard met or not, a note)."""

    queryset = StandardsCheck.objects.select_related("company").order_by("-checked_on", "-id")
    serializer_class = StandardsCheckSerializer
    filterset_fields = ["company"]

    def create_service(self, actor, *, company, checked_on, results):
        return services.record_standards_check(actor, company, checked_on=checked_on, results=results)


class MembershipSerializer(ScopedModelSerializer):
    org = ScopedPrimaryKeyRelatedField(
        queryset=PartyOrg.objects.filter(kind__in=MEMBERSHIP_KINDS),
        help_text=_("物业服务行业党组织或红色物业党建联盟"),
    )
    company = NameableCompanyField()
    org_name = serializers.CharField(source="org.name", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)

    class Meta:
        model = OrgMembership
        fields = [
            "id",
            "org",
            "org_name",
            "company",
            "company_name",
            "area_path",
            "joined_on",
            "left_on",
            "note",
        ]
        read_only_fields = ["area_path", "left_on"]
        extra_kwargs = {"joined_on": {"required": False, "help_text": _("默认今天")}}
        validators: list = []  # one open membership per organisation and company: join_org's rule


class MembershipLeaveSerializer(serializers.Serializer):
    left_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MembershipViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Member companies of the property party organisations in the user's area (the street's alliance,
    the district's or city's industry organisation). POST joins a company; POST …/leave/ ends one."""

    queryset = OrgMembership.objects.select_related("org", "company").order_by(
        "area_path", "-joined_on", "id"
    )
    serializer_class = MembershipSerializer
    filterset_fields = ["org", "company"]
    action_permissions = {"leave": ["property.change_orgmembership"]}
    create_service = staticmethod(services.join_org)

    @extend_schema(request=MembershipLeaveSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        row = services.leave_org(request.user, self.get_object(), **self.body(MembershipLeaveSerializer))
        return Response(self.get_serializer(row).data)


# --- round-table meetings ----------------------------------------------------------------------------
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
    """The meeting as recorded; the answer is the meeting with the work order of each decision."""

    community = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())
    estate = ScopedPrimaryKeyRelatedField(
        queryset=Estate.objects.all(), required=False, allow_null=True, default=None
    )
    held_on = serializers.DateField()
    convener = serializers.CharField(max_length=100)
    attendees = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1)
    topics = serializers.CharField(max_length=4000)
    decisions = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())

    def to_representation(self, instance):
        return RoundTableSerializer(instance, context=self.context).data


@extend_schema_view(
    create=extend_schema(request=RoundTableCreateSerializer, responses={201: RoundTableSerializer})
)
class RoundTableViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Round-table meetings; POST records one, and each decision becomes a work order (origin roundtable:<id>)."""

    queryset = RoundTable.objects.prefetch_related("decisions__event")
    create_service = staticmethod(services.record_round_table)

    def get_serializer_class(self):
        return RoundTableCreateSerializer if self.action == "create" else RoundTableSerializer
