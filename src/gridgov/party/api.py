"""Party network API: organisations (with reorganisation actions and history), members, central
households, leaders, the coverage checks and the figures. Everything starts from visible_to(user)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.checks import CheckViewSetBase, FiguresViewSetBase
from gridgov.areas.models import Area, Level
from gridgov.core.api import ScopedViewSetMixin
from gridgov.core.services import ImportRejected
from gridgov.core.xlsx import XLSX_CONTENT_TYPE
from gridgov.people.models import Household, Resident

from . import queries, services
from .filters import BuildingLeaderFilter, CentralHouseholdFilter, PartyMemberFilter, PartyOrgFilter
from .indicators import CODES
from .models import BuildingLeader, CentralHousehold, LeaderKind, OrgChange, OrgKind, PartyMember, PartyOrg


def _visible(request, model):
    return model.objects.visible_to(request.user)


class OrgChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgChange
        fields = ["id", "kind", "other", "detail", "reason", "created_at"]


class PartyOrgSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=PartyOrg.objects.none(), required=False, allow_null=True
    )
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), required=False, allow_null=True)
    covers = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.none(), many=True, required=False, write_only=True
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["parent"].queryset = PartyOrg.objects.visible_to(request.user).filter(is_active=True)  # type: ignore[attr-defined]
            self.fields["area"].queryset = Area.objects.visible_to(request.user)  # type: ignore[attr-defined]
            self.fields["covers"].child_relation.queryset = Area.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def get_coverage(self, obj: PartyOrg) -> list[str]:
        return [c.area_path for c in obj.coverage.all() if c.ended_at is None]

    def create(self, validated_data):
        return services.create_org(
            self.context["request"].user,
            kind=validated_data["kind"],
            name=validated_data["name"],
            parent=validated_data.get("parent"),
            area=validated_data.get("area"),
            covers=validated_data.get("covers", []),
            established_on=validated_data.get("established_on"),
        )


class OrgReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class OrgTargetSerializer(OrgReasonSerializer):
    target = serializers.PrimaryKeyRelatedField(queryset=PartyOrg.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["target"].queryset = PartyOrg.objects.visible_to(request.user)  # type: ignore[attr-defined]


class SplitSerializer(OrgReasonSerializer):
    name = serializers.CharField(max_length=100)
    areas = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), many=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["areas"].child_relation.queryset = Area.objects.visible_to(request.user)  # type: ignore[attr-defined]


class CoverageSerializer(serializers.Serializer):
    areas = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), many=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["areas"].child_relation.queryset = Area.objects.visible_to(request.user)  # type: ignore[attr-defined]


class PartyOrgViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """党组织: the five-level tree; reorganisation (merge, split, re-parent, coverage, dissolve) keeps history."""

    queryset_model = PartyOrg
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

    def get_queryset(self):
        return (
            self.base_queryset()
            .select_related("area")
            .prefetch_related("coverage")
            .order_by("area_path", "kind", "id")
        )

    def _run(self, serializer_class, func):
        org = self.get_object()
        data = serializer_class(data=self.request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        result = func(org, data.validated_data)
        return Response(PartyOrgSerializer(result, context=self.get_serializer_context()).data)

    @extend_schema(request=CoverageSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def coverage(self, request, pk=None):
        """Replace the grids (branch) or buildings (group) covered."""
        return self._run(
            CoverageSerializer,
            lambda org, d: services.set_coverage(request.user, org, d["areas"], reason=d.get("reason", "")),
        )

    @extend_schema(request=OrgTargetSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this organisation into `target`."""
        return self._run(
            OrgTargetSerializer,
            lambda org, d: services.merge_orgs(request.user, org, d["target"], reason=d["reason"]),
        )

    @extend_schema(request=SplitSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split the listed covered areas off into a new organisation (returned)."""
        return self._run(
            SplitSerializer,
            lambda org, d: services.split_org(
                request.user, org, name=d["name"], areas=d["areas"], reason=d["reason"]
            ),
        )

    @extend_schema(request=OrgTargetSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def reparent(self, request, pk=None):
        """Hang this organisation under `target`."""
        return self._run(
            OrgTargetSerializer,
            lambda org, d: services.reparent_org(request.user, org, d["target"], reason=d["reason"]),
        )

    @extend_schema(request=OrgReasonSerializer, responses=PartyOrgSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        return self._run(
            OrgReasonSerializer, lambda org, d: services.dissolve_org(request.user, org, reason=d["reason"])
        )

    @extend_schema(responses=OrgChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        org = self.get_object()
        return Response(OrgChangeSerializer(org.changes.all(), many=True).data)


class PartyMemberSerializer(serializers.ModelSerializer):
    resident = serializers.PrimaryKeyRelatedField(queryset=Resident.objects.none())
    org = serializers.PrimaryKeyRelatedField(
        queryset=PartyOrg.objects.none(), required=False, allow_null=True
    )
    dual_community = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.none(), required=False, allow_null=True
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
        validators: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["resident"].queryset = Resident.objects.visible_to(user)  # type: ignore[attr-defined]
            self.fields["org"].queryset = PartyOrg.objects.visible_to(user)  # type: ignore[attr-defined]
            self.fields["dual_community"].queryset = Area.objects.visible_to(user).filter(
                level=Level.COMMUNITY
            )  # type: ignore[attr-defined]

    def create(self, validated_data):
        return services.register_member(self.context["request"].user, **validated_data)


def import_response(func, request, ok):
    upload = request.FILES.get("file")
    if upload is None:
        return Response({"detail": _("请上传 xlsx 文件(字段名 file)"), "errors": []}, status=400)
    try:
        result = func(request.user, upload)
    except ImportRejected as exc:
        return Response(
            {
                "detail": _("导入失败,共 %(n)d 处错误,未导入任何数据") % {"n": len(exc.errors)},
                "errors": [e.as_dict() for e in exc.errors],
            },
            status=400,
        )
    return Response(ok(result), status=201)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


UPLOAD = {"multipart/form-data": inline_serializer("PartyImportUpload", {"file": serializers.FileField()})}


class PartyMemberViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = PartyMember
    serializer_class = PartyMemberSerializer
    filterset_class = PartyMemberFilter
    action_permissions = {
        "import_xlsx": ["party.add_partymember", "party.import_partymember"],
        "export_xlsx": ["party.view_partymember", "party.export_partymember"],
    }

    def get_queryset(self):
        return self.base_queryset().select_related("resident").order_by("area_path", "id")

    @extend_schema(request=UPLOAD, responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """Import members (all rows or nothing; every bad row listed)."""
        return import_response(services.import_members, request, lambda r: {"members": r.members})

    @extend_schema(
        parameters=[OpenApiParameter("unmasked", bool, description=gettext_lazy("完整证件号(需相应权限)"))],
        responses={200: OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        """Members as xlsx; `?unmasked=1` gives full ID numbers (re-importable) to users who may unmask."""
        qs = self.filter_queryset(self.get_queryset())
        unmasked = request.query_params.get("unmasked") in {"1", "true"}
        return xlsx_response(
            services.export_members(request.user, qs, unmasked=unmasked), "party-members.xlsx"
        )


class CentralHouseholdSerializer(serializers.ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=PartyMember.objects.none())
    group = serializers.PrimaryKeyRelatedField(
        queryset=PartyOrg.objects.none(), required=False, allow_null=True
    )
    serves = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.none(), many=True, required=False, write_only=True
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["member"].queryset = PartyMember.objects.visible_to(user)  # type: ignore[attr-defined]
            self.fields["group"].queryset = PartyOrg.objects.visible_to(user).filter(
                kind=OrgKind.BUILDING_GROUP
            )  # type: ignore[attr-defined]
            self.fields["serves"].child_relation.queryset = Household.objects.visible_to(user)  # type: ignore[attr-defined]

    def get_served_count(self, obj) -> int:
        return obj.served.count()

    def create(self, validated_data):
        return services.designate_central_household(
            self.context["request"].user,
            member=validated_data["member"],
            group=validated_data.get("group"),
            serves=validated_data.get("serves", []),
        )


class ServesSerializer(serializers.Serializer):
    households = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none(), many=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["households"].child_relation.queryset = Household.objects.visible_to(request.user)  # type: ignore[attr-defined]


class CentralHouseholdViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = CentralHousehold
    serializer_class = CentralHouseholdSerializer
    filterset_class = CentralHouseholdFilter
    action_permissions = {"serve": ["party.change_centralhousehold"]}

    def get_queryset(self):
        return self.base_queryset().order_by("area_path", "id")

    @extend_schema(request=ServesSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def serve(self, request, pk=None):
        """Add households to the ones this central household serves."""
        central = self.get_object()
        data = ServesSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return Response(
            {"added": services.assign_served(request.user, central, data.validated_data["households"])}
        )


class BuildingLeaderSerializer(serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    resident = serializers.PrimaryKeyRelatedField(queryset=Resident.objects.none())
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
        validators: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["area"].queryset = Area.objects.visible_to(request.user)  # type: ignore[attr-defined]
            self.fields["resident"].queryset = Resident.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def create(self, validated_data):
        return services.appoint_leader(
            self.context["request"].user,
            area=validated_data["area"],
            resident=validated_data["resident"],
            kind=validated_data.get("kind", LeaderKind.BUILDING),
            appointed_on=validated_data.get("appointed_on"),
        )


class BuildingLeaderViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = BuildingLeader
    serializer_class = BuildingLeaderSerializer
    filterset_class = BuildingLeaderFilter

    def get_queryset(self):
        return self.base_queryset().select_related("resident").order_by("area_path", "kind", "id")


class PartyCheckViewSet(CheckViewSetBase):
    checks = queries.CHECKS
    view_permission = "party.view_partyorg"


class PartyFiguresViewSet(FiguresViewSetBase):
    codes = CODES
    view_permission = "party.view_partyorg"
