"""Party network API on the generic layer (core/api.py): organisations (with reorganisation actions and
history), members, central households, leaders, the coverage checks and the figures. Querysets are
narrowed to the requester, related ids resolved in the requester's scope, every write is a service."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.checks import CheckViewSetBase, FiguresViewSetBase
from gridgov.areas.models import Area, Level
from gridgov.core.api import XLSX_DOWNLOAD, ScopedReadOnlyViewSet, ServiceCreateMixin, uploaded_file
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from gridgov.core.views import xlsx_response
from gridgov.people.models import Household, Resident

from . import queries, services
from .filters import (
    BuildingLeaderFilter,
    CentralHouseholdFilter,
    DualServiceFilter,
    GridFundFilter,
    MutualAidFilter,
    PartyMemberFilter,
    PartyOrgFilter,
)
from .indicators import CODES
from .models import (
    BuildingLeader,
    CentralHousehold,
    DualReportService,
    FundSpending,
    GridFund,
    LeaderKind,
    MutualAidGroup,
    OrgChange,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServiceCategory,
)


class OrgChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgChange
        fields = ["id", "kind", "other", "detail", "reason", "created_at"]
        read_only_fields = fields


class PartyOrgSerializer(ScopedModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=PartyOrg.objects.filter(is_active=True), required=False, allow_null=True
    )
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), required=False, allow_null=True)
    covers = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.all(), many=True, required=False, write_only=True
    )
    coverage = serializers.SerializerMethodField()
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = PartyOrg
        fields = [
            "id",
            "name",
            "kind",
            "parent",
            "area",
            "area_name",
            "area_path",
            "established_on",
            "is_active",
            "covers",
            "coverage",
        ]
        read_only_fields = ["area_path", "is_active"]

    def get_coverage(self, obj: PartyOrg) -> list[str]:
        return [c.area_path for c in obj.coverage.all() if c.ended_at is None]


class OrgReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class OrgTargetSerializer(OrgReasonSerializer):
    target = ScopedPrimaryKeyRelatedField(queryset=PartyOrg.objects.all())


class SplitSerializer(OrgReasonSerializer):
    name = serializers.CharField(max_length=100)
    areas = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), many=True)


class CoverageSerializer(serializers.Serializer):
    areas = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), many=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PartyOrgViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """党组织: the five-level tree; reorganisation (merge, split, re-parent, coverage, dissolve) keeps history."""

    queryset = (
        PartyOrg.objects.select_related("area")
        .prefetch_related("coverage")
        .order_by("area_path", "kind", "id")
    )
    serializer_class = PartyOrgSerializer
    filterset_class = PartyOrgFilter
    action_permissions = {
        "coverage": ["party.change_partyorg"],
        "merge": ["party.change_partyorg", "party.reorganise_partyorg"],
        "split": ["party.change_partyorg", "party.reorganise_partyorg"],
        "reparent": ["party.change_partyorg", "party.reorganise_partyorg"],
        "dissolve": ["party.change_partyorg", "party.reorganise_partyorg"],
        "history": ["party.view_partyorg"],
    }
    create_service = staticmethod(services.create_org)

    def _answer(self, org: PartyOrg) -> Response:
        return Response(self.get_serializer(org).data)

    @extend_schema(request=CoverageSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def coverage(self, request, pk=None):
        """Replace the grids (branch) or buildings (group) covered."""
        d = self.body(CoverageSerializer)
        return self._answer(
            services.set_coverage(request.user, self.get_object(), d["areas"], reason=d["reason"])
        )

    @extend_schema(request=OrgTargetSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this organisation into `target`."""
        d = self.body(OrgTargetSerializer)
        return self._answer(
            services.merge_orgs(request.user, self.get_object(), d["target"], reason=d["reason"])
        )

    @extend_schema(request=SplitSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split the listed covered areas off into a new organisation (returned)."""
        d = self.body(SplitSerializer)
        return self._answer(
            services.split_org(
                request.user, self.get_object(), name=d["name"], areas=d["areas"], reason=d["reason"]
            )
        )

    @extend_schema(request=OrgTargetSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def reparent(self, request, pk=None):
        """Hang this organisation under `target`."""
        d = self.body(OrgTargetSerializer)
        return self._answer(
            services.reparent_org(request.user, self.get_object(), d["target"], reason=d["reason"])
        )

    @extend_schema(request=OrgReasonSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        reason = self.body(OrgReasonSerializer)["reason"]
        return self._answer(services.dissolve_org(request.user, self.get_object(), reason=reason))

    @extend_schema(responses=OrgChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every change of the organisation, oldest first (a plain list)."""
        return Response(OrgChangeSerializer(self.get_object().changes.all(), many=True).data)


class PartyMemberSerializer(ScopedModelSerializer):
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())
    org = ScopedPrimaryKeyRelatedField(queryset=PartyOrg.objects.all(), required=False, allow_null=True)
    dual_community = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.filter(level=Level.COMMUNITY), required=False, allow_null=True
    )
    name = serializers.CharField(source="resident.name", read_only=True)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "resident",
            "name",
            "org",
            "in_service",
            "workplace",
            "dual_community",
            "dual_registered_on",
            "joined_on",
            "area_path",
            "is_active",
        ]
        read_only_fields = ["dual_registered_on", "area_path", "is_active"]
        validators: list = []  # one membership per resident: services.register_member says so


UPLOAD = {"multipart/form-data": inline_serializer("PartyImportUpload", {"file": serializers.FileField()})}


class PartyMemberViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = PartyMember.objects.select_related("resident").order_by("area_path", "id")
    serializer_class = PartyMemberSerializer
    filterset_class = PartyMemberFilter
    action_permissions = {
        "import_xlsx": ["party.add_partymember", "party.import_partymember"],
        "export_xlsx": ["party.view_partymember", "party.export_partymember"],
    }
    create_service = staticmethod(services.register_member)

    @extend_schema(request=UPLOAD, responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """Import members (all rows or nothing; every bad row listed)."""
        result = services.import_members(request.user, uploaded_file(request))
        return Response({"members": result.members}, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("unmasked", bool, description=gettext_lazy("完整证件号(需相应权限)"))],
        responses=XLSX_DOWNLOAD,
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        """Members as xlsx; `?unmasked=1` gives full ID numbers (re-importable) to users who may unmask."""
        qs = self.filter_queryset(self.get_queryset())
        unmasked = bool(self.query_value("unmasked", serializers.BooleanField(), default=False))
        return xlsx_response(
            services.export_members(request.user, qs, unmasked=unmasked), "party-members.xlsx"
        )


class CentralHouseholdSerializer(ScopedModelSerializer):
    member = ScopedPrimaryKeyRelatedField(queryset=PartyMember.objects.all())
    group = ScopedPrimaryKeyRelatedField(
        queryset=PartyOrg.objects.filter(kind=OrgKind.BUILDING_GROUP), allow_null=True, default=None
    )
    serves = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), many=True, required=False, write_only=True
    )
    served_count = serializers.SerializerMethodField()

    class Meta:
        model = CentralHousehold
        fields = [
            "id",
            "household",
            "member",
            "group",
            "area_path",
            "designated_on",
            "is_active",
            "serves",
            "served_count",
        ]
        read_only_fields = ["household", "area_path", "designated_on", "is_active"]

    def get_served_count(self, obj) -> int:
        return obj.served.count()


class ServesSerializer(serializers.Serializer):
    households = ScopedPrimaryKeyRelatedField(queryset=Household.objects.all(), many=True)


class AddedSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text=gettext_lazy("新增联系户数"))


class CentralHouseholdViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = CentralHousehold.objects.order_by("area_path", "id")
    serializer_class = CentralHouseholdSerializer
    filterset_class = CentralHouseholdFilter
    action_permissions = {"serve": ["party.change_centralhousehold"]}
    create_service = staticmethod(services.designate_central_household)

    @extend_schema(request=ServesSerializer, responses=AddedSerializer)
    @action(detail=True, methods=["post"])
    def serve(self, request, pk=None):
        """Add households to the ones this central household serves."""
        households = self.body(ServesSerializer)["households"]
        return Response({"added": services.assign_served(request.user, self.get_object(), households)})


class BuildingLeaderSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())
    name = serializers.CharField(source="resident.name", read_only=True)
    kind = serializers.ChoiceField(choices=LeaderKind.choices, required=False)

    class Meta:
        model = BuildingLeader
        fields = [
            "id",
            "kind",
            "area",
            "resident",
            "name",
            "area_path",
            "appointed_on",
            "ended_on",
            "is_active",
        ]
        read_only_fields = ["area_path", "ended_on", "is_active"]
        validators: list = []  # one leader per area at a time: services.appoint_leader ends the previous term


class BuildingLeaderViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = BuildingLeader.objects.select_related("resident").order_by("area_path", "kind", "id")
    serializer_class = BuildingLeaderSerializer
    filterset_class = BuildingLeaderFilter
    create_service = staticmethod(services.appoint_leader)


# --- 双报到 service records -------------------------------------------------------------------------
class DualServiceSerializer(ScopedModelSerializer):
    member = ScopedPrimaryKeyRelatedField(queryset=PartyMember.objects.filter(in_service=True))
    community = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.COMMUNITY))
    name = serializers.CharField(source="member.resident.name", read_only=True)
    category = serializers.ChoiceField(choices=ServiceCategory.choices)
    # The service checks the range (0 < hours ≤ 24, one decimal) with a Chinese message.
    hours = serializers.DecimalField(max_digits=4, decimal_places=1)

    class Meta:
        model = DualReportService
        fields = [
            "id",
            "member",
            "name",
            "community",
            "served_on",
            "hours",
            "category",
            "content",
            "area_path",
        ]
        read_only_fields = ["area_path"]
        validators: list = []  # once per member, day and category: services.record_dual_service says so


class DualSummarySerializer(serializers.Serializer):
    services = serializers.IntegerField()
    members = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=1)


class DualServiceViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """双报到: services in-service members did in the community they registered with."""

    queryset = DualReportService.objects.select_related("member__resident").order_by("-served_on", "-id")
    serializer_class = DualServiceSerializer
    filterset_class = DualServiceFilter
    action_permissions = {
        "import_xlsx": ["party.add_dualreportservice", "party.import_dualreportservice"],
        "export_xlsx": ["party.view_dualreportservice"],
        "summary": ["party.view_dualreportservice"],
    }
    create_service = staticmethod(services.record_dual_service)

    @extend_schema(request=UPLOAD, responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """Import records (all rows or nothing; every bad row listed)."""
        result = services.import_dual_services(request.user, uploaded_file(request))
        return Response({"records": result.records}, status=201)

    @extend_schema(responses=XLSX_DOWNLOAD)
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        qs = self.filter_queryset(self.get_queryset())
        return xlsx_response(services.export_dual_services(request.user, qs), "party-dual-services.xlsx")

    @extend_schema(responses=DualSummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """Services, members who served and hours of the filtered records."""
        from django.db.models import Count, Sum

        totals = self.filter_queryset(self.get_queryset()).aggregate(
            services=Count("id"), members=Count("member", distinct=True), hours=Sum("hours")
        )
        totals["hours"] = totals["hours"] or 0
        return Response(DualSummarySerializer(totals).data)


# --- grid resources ---------------------------------------------------------------------------------
class MutualAidGroupSerializer(ScopedModelSerializer):
    grid = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.GRID))
    leader = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())
    members = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), many=True, required=False, write_only=True
    )
    member_ids = serializers.SerializerMethodField()

    class Meta:
        model = MutualAidGroup
        fields = [
            "id",
            "grid",
            "name",
            "leader",
            "purpose",
            "formed_on",
            "members",
            "member_ids",
            "is_active",
            "dissolved_on",
            "dissolve_reason",
            "area_path",
        ]
        read_only_fields = ["is_active", "dissolved_on", "dissolve_reason", "area_path"]
        extra_kwargs = {"formed_on": {"required": False}}
        validators: list = []  # one active group of a name per grid: the service says so

    def get_member_ids(self, obj) -> list[int]:
        return [m.resident_id for m in obj.members.all() if m.is_current]


class AidResidentsSerializer(serializers.Serializer):
    residents = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all(), many=True)


class AidResidentSerializer(serializers.Serializer):
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())


class MutualAidGroupViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """网格互助组: formed in a grid, residents join and leave, dissolved with a reason (history kept)."""

    queryset = MutualAidGroup.objects.prefetch_related("members").order_by("area_path", "id")
    serializer_class = MutualAidGroupSerializer
    filterset_class = MutualAidFilter
    action_permissions = {
        "join": ["party.change_mutualaidgroup"],
        "leave": ["party.change_mutualaidgroup"],
        "dissolve": ["party.change_mutualaidgroup"],
    }
    create_service = staticmethod(services.form_mutual_aid_group)

    @extend_schema(request=AidResidentsSerializer, responses=AddedSerializer)
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        residents = self.body(AidResidentsSerializer)["residents"]
        return Response({"added": services.join_mutual_aid(request.user, self.get_object(), residents)})

    @extend_schema(request=AidResidentSerializer, responses=MutualAidGroupSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        group = self.get_object()
        services.leave_mutual_aid(request.user, group, self.body(AidResidentSerializer)["resident"])
        return Response(self.get_serializer(self.get_queryset().get(pk=group.pk)).data)

    @extend_schema(request=OrgReasonSerializer, responses=MutualAidGroupSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        reason = self.body(OrgReasonSerializer)["reason"]
        group = services.dissolve_mutual_aid(request.user, self.get_object(), reason=reason)
        return Response(self.get_serializer(self.get_queryset().get(pk=group.pk)).data)


class FundSpendingSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundSpending
        fields = ["id", "spent_on", "amount", "purpose", "created_at"]
        read_only_fields = ["created_at"]


class GridFundSerializer(ScopedModelSerializer):
    grid = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.GRID))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = GridFund
        fields = ["id", "grid", "year", "amount", "source", "spent", "balance", "area_path"]
        read_only_fields = ["spent", "area_path"]
        validators: list = []  # once per grid, year and source: services.allocate_grid_fund says so


class GridFundViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """专项经费进网格: a grid's fund for a year and what was spent from it (the balance never below zero)."""

    queryset = GridFund.objects.order_by("-year", "area_path", "id")
    serializer_class = GridFundSerializer
    filterset_class = GridFundFilter
    action_permissions = {"spend": ["party.add_fundspending"], "spendings": ["party.view_gridfund"]}
    create_service = staticmethod(services.allocate_grid_fund)

    @extend_schema(request=FundSpendingSerializer, responses={201: FundSpendingSerializer})
    @action(detail=True, methods=["post"])
    def spend(self, request, pk=None):
        d = self.body(FundSpendingSerializer)
        spending = services.record_fund_spending(
            request.user, self.get_object(), spent_on=d["spent_on"], amount=d["amount"], purpose=d["purpose"]
        )
        return Response(FundSpendingSerializer(spending).data, status=201)

    @extend_schema(responses=FundSpendingSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def spendings(self, request, pk=None):
        """Every spending of the fund, newest first (a plain list)."""
        return Response(FundSpendingSerializer(self.get_object().spendings.all(), many=True).data)


# The list of checks and one check's rows are two operations (a ViewSet without a serializer reads both as
# "retrieve" otherwise).
@extend_schema_view(
    list=extend_schema(operation_id="party_checks_list"),
    retrieve=extend_schema(operation_id="party_checks_retrieve"),
)
class PartyCheckViewSet(CheckViewSetBase):
    checks = queries.CHECKS
    view_permission = "party.view_partyorg"


class PartyFiguresViewSet(FiguresViewSetBase):
    codes = CODES
    view_permission = "party.view_partyorg"
