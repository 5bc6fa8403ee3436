"""GET /api/reports/cockpit/?area=<id>&period=YYYY-MM&code=<indicator> — everything the 数据大屏 page draws
for an area in the caller's scope (default: the caller's own area): the headline tiles, the children's map
(GeoJSON) and ranking by one indicator, the month-by-month trends and the red/yellow list (docs/reports.md).
Malformed area, period or an unknown indicator → 400; an area outside the scope → 404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from gridgov.areas.checks import check_root
from gridgov.areas.models import Area
from gridgov.core import indicators
from gridgov.core.api import query_value
from gridgov.core.indicators import PERIOD_RE

from . import cockpit
from .api import MAX_ID


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A figure as it is: an integer (counts, sums) or a float (shares, ratios); null where a ratio has none."""

    def to_representation(self, value: Any) -> Any:
        return value


class CockpitFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label", as in the payload
    unit = serializers.CharField()
    value = NumberField(allow_null=True)
    text = serializers.CharField(help_text="core.indicators.format_value")


class CockpitTileSerializer(CockpitFigureSerializer):
    note = serializers.CharField(help_text="期间指标:所示期间,或“累计”")
    breaks_down = serializers.BooleanField()


class CockpitAreaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    level = serializers.IntegerField()
    level_label = serializers.CharField()


class CockpitCrumbSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CockpitIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    unit = serializers.CharField()
    additive = serializers.BooleanField()


class CockpitTotalSerializer(CockpitFigureSerializer):
    additive = serializers.BooleanField()
    counts_by = serializers.CharField()
    parts_sum = NumberField(allow_null=True)
    parts_text = serializers.CharField()


class CockpitChildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    value = NumberField(allow_null=True)
    text = serializers.CharField()
    drill = serializers.BooleanField()
    has_geometry = serializers.BooleanField()


class CockpitSeriesSerializer(CockpitFigureSerializer):
    values = serializers.ListField(child=NumberField(allow_null=True))
    texts = serializers.ListField(child=serializers.CharField())


class CockpitTrendsSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField())
    series = CockpitSeriesSerializer(many=True)


class CockpitWhereSerializer(CockpitFigureSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CockpitAlertSerializer(CockpitFigureSerializer):
    target = serializers.FloatField(allow_null=True)
    where = CockpitWhereSerializer(many=True)


class CockpitRedSerializer(CockpitAlertSerializer):
    target_text = serializers.CharField()
    higher_is_better = serializers.BooleanField(allow_null=True)


class CockpitAlertsSerializer(serializers.Serializer):
    red = CockpitRedSerializer(many=True)
    yellow = CockpitAlertSerializer(many=True)


class CockpitSerializer(serializers.Serializer):
    area = CockpitAreaSerializer()
    crumbs = CockpitCrumbSerializer(many=True)
    period = serializers.CharField(allow_blank=True)
    computed_at = serializers.DateTimeField(allow_null=True, help_text="null:实时计算(无完整快照)")
    stale = serializers.BooleanField(help_text="快照之后区域内有新的写入")
    tiles = CockpitTileSerializer(many=True)
    code = serializers.CharField(allow_blank=True, help_text="地图与排名所示指标")
    indicators = CockpitIndicatorSerializer(many=True)
    child_level_label = serializers.CharField(allow_blank=True)
    total = CockpitTotalSerializer(allow_null=True)
    children = CockpitChildSerializer(many=True)
    geojson = serializers.JSONField(help_text="GeoJSON FeatureCollection(平面坐标,米)")
    trends = CockpitTrendsSerializer()
    alerts = CockpitAlertsSerializer()


class IndicatorCodeField(serializers.CharField):
    """A registered indicator code (the registry is read at request time: indicators are added as apps land)."""

    def to_internal_value(self, data: Any) -> str:
        code = super().to_internal_value(data)
        if code not in indicators.REGISTRY:
            raise serializers.ValidationError(_("未知的指标"))
        return code


class PeriodField(serializers.CharField):
    """ "YYYY-MM" as `indicators.parse_period` reads it (so "0000-01" is refused too)."""

    def to_internal_value(self, data: Any) -> str:
        period = super().to_internal_value(data)
        try:
            indicators.parse_period(period)
        except ValueError:
            raise serializers.ValidationError(_("期间格式应为 YYYY-MM")) from None
        return period


class OneObjectSchema(AutoSchema):
    """The cockpit's `list` route answers one object (the area's whole dashboard), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class CockpitViewSet(viewsets.ViewSet):
    action_permissions = {"list": ["reports.view_indicatorsnapshot"]}
    schema = OneObjectSchema()

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT, description="区域 id(默认:本人所在区域)"),
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="期间 YYYY-MM(默认:当前)", pattern=PERIOD_RE.pattern
            ),
            OpenApiParameter("code", OpenApiTypes.STR, description="地图与排名所示指标(默认:居民数)"),
        ],
        responses=CockpitSerializer,
    )
    def list(self, request):
        area_id = query_value(request, "area", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        period = query_value(request, "period", PeriodField(max_length=7, trim_whitespace=False), default="")
        code = query_value(request, "code", IndicatorCodeField(max_length=64), default="")
        if area_id is None:
            area = check_root(request)
        else:
            area = get_object_or_404(Area.objects.visible_to(request.user), pk=area_id)
        return Response(CockpitSerializer(cockpit.payload(request.user, area, period, code)).data)
