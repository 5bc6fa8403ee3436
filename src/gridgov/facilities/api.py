from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from gridgov.areas.models import Area, Level, ancestor_path
from gridgov.core.api import (
    XLSX_DOWNLOAD,
    ScopedReadOnlyViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    uploaded_file,
)
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from gridgov.core.xlsx import XLSX_CONTENT_TYPE, write_sheet

from . import queries, services
from .columns import EXPORT_EXTRA_COLUMNS, EXPORT_TITLE, FACILITY_COLUMNS
from .filters import BuildingAccessFilter, CandidateSiteFilter, FacilityFilter
from .models import BuildingAccess, CandidateSite, Facility, FacilityKind, HostType, Service, WalkNetwork


def _area_param(request, required: bool = False) -> Area:
    """`?area=<id>` inside the user's scope (404 otherwise), or the user's own area."""
    raw = request.query_params.get("area") or (request.data.get("area") if request.method == "POST" else None)
    qs = Area.objects.visible_to(request.user)
    if raw:
        try:
            return get_object_or_404(qs, pk=int(raw))
        except (TypeError, ValueError):
            raise serializers.ValidationError({"area": _("区域编号无效")}) from None
    if request.user.area_id:
        return request.user.area
    root = qs.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise serializers.ValidationError({"area": _("请指定区域")})
    return root


class FacilitySerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), required=False)
    area_name = serializers.CharField(source="area.name", read_only=True)
    kind = serializers.ChoiceField(choices=FacilityKind.choices)
    host_type = serializers.ChoiceField(choices=HostType.choices, required=False)
    services = serializers.ListField(child=serializers.ChoiceField(choices=Service.choices), required=False)
    x = serializers.FloatField(required=False)
    y = serializers.FloatField(required=False)
    floor_area = serializers.DecimalField(max_digits=9, decimal_places=1, required=False, allow_null=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Facility
        fields = [
            "id",
            "kind",
            "area",
            "area_name",
            "area_path",
            "x",
            "y",
            *services.EDITABLE,  # what the registry service lets a caller set (name first), named once there
            "is_active",
            "closed_on",
            "close_reason",
            "photos",
        ]
        read_only_fields = ["area_path", "is_active", "closed_on", "close_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["kind"].read_only = True

    def get_photos(self, obj: Facility) -> list[str]:
        return [p.image.url for p in obj.photos.all()]


class CloseReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class FacilityViewSet(ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    """Positions: party–mass service centres, red stations, outdoor-worker stations, squares.

    There is no DELETE (405): a position is closed (`close`, with a reason) and stays registered with its
    history; `reopen` puts it back into use."""

    queryset = Facility.objects.select_related("area").prefetch_related("photos").order_by("area_path", "id")
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilter
    action_permissions = {
        "close": ["facilities.change_facility"],
        "reopen": ["facilities.change_facility"],
        "add_photo": ["facilities.change_facility"],
        "export_xlsx": ["facilities.view_facility", "facilities.export_facility"],
        "import_xlsx": ["facilities.add_facility", "facilities.import_facility"],
    }
    create_service = staticmethod(services.create_facility)
    update_service = staticmethod(services.update_facility)

    @extend_schema(request=CloseReasonSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a position: kept in the registry with the date and reason, left out of the circle."""
        reason = self.body(CloseReasonSerializer)["reason"]
        facility = services.close_facility(request.user, self.get_object(), reason)
        return Response(self.get_serializer(facility).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        facility = services.reopen_facility(request.user, self.get_object())
        return Response(self.get_serializer(facility).data)

    @extend_schema(
        request={"multipart/form-data": inline_serializer("PhotoUpload", {"file": serializers.FileField()})},
        responses={
            201: inline_serializer(
                "PhotoAdded", {"id": serializers.IntegerField(), "url": serializers.CharField()}
            )
        },
    )
    @action(detail=True, methods=["post"], url_path="photos", parser_classes=[MultiPartParser])
    def add_photo(self, request, pk=None):
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"detail": _("请上传照片(字段名 file)")}, status=400)
        photo = services.add_photo(request.user, self.get_object(), upload, request.data.get("caption", ""))
        return Response({"id": photo.pk, "url": photo.image.url}, status=201)

    @extend_schema(responses=XLSX_DOWNLOAD)
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        """xlsx of the filtered registry, in the import template's columns."""
        qs = self.filter_queryset(self.get_queryset())
        content = write_sheet(
            str(EXPORT_TITLE), FACILITY_COLUMNS + EXPORT_EXTRA_COLUMNS, queries.export_rows(qs)
        )
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="facilities.xlsx"'
        return response

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("FacilityImport", {"file": serializers.FileField()})
        },
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """All rows or nothing; every bad row (negative area, outside every area, …) is listed."""
        count = services.import_facilities(request.user, uploaded_file(request))
        return Response({"facilities": count}, status=201)


class CandidateSiteSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), required=False)
    room_type = serializers.ChoiceField(choices=HostType.choices, required=False)
    x = serializers.FloatField(required=False)
    y = serializers.FloatField(required=False)

    class Meta:
        model = CandidateSite
        fields = [
            "id",
            "name",
            "room_type",
            "area",
            "area_path",
            "x",
            "y",
            "floor_area",
            "host_name",
            "address",
            "is_available",
        ]
        read_only_fields = ["area_path", "is_available"]


class CandidateSiteViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Idle, property and merchant rooms that could host a new station."""

    queryset = CandidateSite.objects.order_by("area_path", "id")
    serializer_class = CandidateSiteSerializer
    filterset_class = CandidateSiteFilter
    action_permissions = {"withdraw": ["facilities.change_candidatesite"]}
    create_service = staticmethod(services.create_candidate)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """No longer available for a station."""
        site = services.set_candidate_available(request.user, self.get_object(), False)
        return Response(self.get_serializer(site).data)


class WalkNetworkSerializer(ScopedModelSerializer):
    class Meta:
        model = WalkNetwork
        fields = [
            "id",
            "name",
            "area",
            "area_path",
            "segments",
            "nodes",
            "edges",
            "length_km",
            "dropped_fragments",
            "warnings",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class WalkNetworkViewSet(ScopedReadOnlyViewSet):
    """Walking networks (GeoJSON LineStrings in plane metres; docs/facilities.md)."""

    queryset = WalkNetwork.objects.order_by("-created_at", "-id")
    serializer_class = WalkNetworkSerializer
    action_permissions = {"import_geojson": ["facilities.import_walknetwork"]}

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "NetworkUpload",
                {
                    "file": serializers.FileField(),
                    "area": serializers.IntegerField(required=False),
                    "name": serializers.CharField(required=False),
                    "drop_fragments": serializers.BooleanField(required=False),
                },
            )
        },
        responses={201: WalkNetworkSerializer, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, JSONParser])
    def import_geojson(self, request):
        """Replace the city's network. A bad file (not lines, fragments, wrong extent) imports nothing."""
        upload = uploaded_file(request, _("请上传 GeoJSON 文件(字段名 file)"))
        network = services.import_network(
            request.user,
            area=_area_param(request),
            data=upload.read(),
            name=request.data.get("name", "") or upload.name,
            drop_fragments=str(request.data.get("drop_fragments", "")).lower() in {"1", "true", "on"},
        )
        return Response(WalkNetworkSerializer(network).data, status=201)


class BuildingAccessSerializer(ScopedModelSerializer):
    building_name = serializers.CharField(source="building.name", read_only=True)
    building_code = serializers.CharField(source="building.code", read_only=True)

    class Meta:
        model = BuildingAccess
        fields = [
            "id",
            "building",
            "building_name",
            "building_code",
            "area_path",
            "x",
            "y",
            "households",
            "residents",
            "snap_m",
            "minutes_centre",
            "minutes_red_station",
            "minutes_outdoor_station",
            "minutes_square",
            "minutes_any",
            "nearest",
        ]
        read_only_fields = fields


class BuildingAccessViewSet(ScopedReadOnlyViewSet):
    """Walking minutes per building (楼院) to the nearest position of each kind (a recomputed cache)."""

    queryset = BuildingAccess.objects.select_related("building").order_by("area_path")
    serializer_class = BuildingAccessSerializer
    filterset_class = BuildingAccessFilter


AREA_PARAM = OpenApiParameter("area", int, description="区域编号(默认本人所属区域)")


class CircleViewSet(viewsets.ViewSet):
    """The 10-minute circle: coverage, map, standards, siting, recompute, and nearby positions."""

    action_permissions = {
        "coverage": ["facilities.view_buildingaccess"],
        "map": ["facilities.view_buildingaccess"],
        "standards": ["facilities.view_facility"],
        "siting": ["facilities.view_facility", "facilities.view_candidatesite"],
        "recompute": ["facilities.recompute_coverage"],
        "nearby": ["facilities.view_nearby"],
    }

    @extend_schema(parameters=[AREA_PARAM], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        """Share of buildings, households and residents within the circle, overall and per kind."""
        return Response(queries.coverage_summary(request.user, _area_param(request)))

    @extend_schema(parameters=[AREA_PARAM], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def map(self, request):
        return Response(queries.map_data(request.user, _area_param(request)))

    @extend_schema(parameters=[AREA_PARAM], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def standards(self, request):
        """Centre area per 100 households per community; communities without a centre; counts."""
        result = queries.standards(request.user, _area_param(request))
        return Response(
            {
                "m2_per_100_households": result.per_100,
                "counts": result.counts,
                "report_figures": {str(k): v for k, v in queries.REPORT_FIGURES.items()},
                "communities": len(result.communities),
                "meeting_standard": result.meeting,
                "compounds": result.compounds,
                "compounds_without_red_station": result.compounds_without_station,
                "communities_without_red_station": [
                    {"id": a.pk, "name": a.name, "path": a.path}
                    for a in result.communities_without_red_station
                ],
                "failing": [
                    {
                        "id": c.area.pk,
                        "name": c.area.name,
                        "path": c.area.path,
                        "status": c.status,
                        "households": c.households,
                        "centres": c.centres,
                        "centre_area": float(c.centre_area),
                        "required": float(c.required),
                        "shortfall": float(c.shortfall),
                    }
                    for c in result.communities
                    if c.status != "ok"
                ],
            }
        )

    @extend_schema(
        parameters=[
            AREA_PARAM,
            OpenApiParameter("k", int, description="新设驿站数量"),
            OpenApiParameter("kind", str, description="按哪类阵地计算未覆盖(默认任一阵地)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def siting(self, request):
        """Greedy maximum coverage: the k candidate rooms covering the most uncovered households."""
        try:
            k = int(request.query_params.get("k", "5"))
        except ValueError:
            return Response({"detail": _("选址数量应为整数")}, status=400)
        kind = request.query_params.get("kind") or None
        result = queries.suggest_sites(request.user, _area_param(request), k, kind)
        return Response(
            {
                "method": result.method,
                "kind": result.kind,
                "candidates": result.candidates,
                "uncovered_households": result.uncovered_households,
                "uncovered_buildings": result.uncovered_buildings,
                "picks": [
                    {
                        "id": p.site.pk,
                        "name": p.site.name,
                        "room_type": p.site.room_type,
                        "x": p.site.x,
                        "y": p.site.y,
                        "households": p.households,
                        "residents": p.residents,
                        "buildings": p.buildings,
                        "cumulative_households": p.cumulative_households,
                    }
                    for p in result.picks
                ],
            }
        )

    @extend_schema(parameters=[AREA_PARAM], request=None, responses={202: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def recompute(self, request):
        job = services.start_recompute_job(request.user, _area_param(request))
        return Response({"job": job.pk, "url": f"/api/jobs/{job.pk}/"}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[OpenApiParameter("building", int, description="楼院编号(居民默认本人所在楼院)")],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def nearby(self, request):
        """The nearest positions to a building, by walking time, and what they offer."""
        origin = nearby_origin(request.user, request.query_params.get("building"))
        if origin is None:
            return Response({"detail": _("请指定楼院")}, status=400)
        found, method = queries.nearby(origin)
        return Response(
            {
                "building": {"id": origin.pk, "name": origin.name},
                "method": method,
                "positions": [
                    {
                        "id": n.facility.pk,
                        "kind": n.facility.kind,
                        "name": n.facility.name,
                        "address": n.facility.address,
                        "opening_hours": n.facility.opening_hours,
                        "services": n.facility.service_labels(),
                        "minutes": n.minutes,
                        "metres": n.metres,
                        "within_circle": n.within,
                    }
                    for n in found
                ],
            }
        )


def nearby_origin(user, building_id) -> Area | None:
    """The building to start from: one the user may see (404 otherwise), or the user's own building."""
    visible = Area.objects.visible_to(user)
    if building_id:
        try:
            return get_object_or_404(visible, pk=int(building_id), level=Level.BUILDING)
        except (TypeError, ValueError):
            return None
    area = getattr(user, "area", None)
    if area is None:
        return None
    if area.level == Level.BUILDING:
        return area
    if area.level == Level.UNIT:
        return (
            Area.objects.unscoped("the building of the user's own unit")
            .filter(path=ancestor_path(area.path, Level.BUILDING))
            .first()
        )
    # A user bound to a grid or above starts from the first building of their area.
    return visible.filter(level=Level.BUILDING, is_active=True).order_by("path").first()
