"""GET /api/reports/indicators/?area=<id>&period=YYYY-MM — the indicator table of an area in the caller's
scope (default: the caller's own area), from snapshots when complete, else live (docs/reports.md)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from gridgov.areas.checks import check_root
from gridgov.areas.models import Area
from gridgov.core.api import query_value
from gridgov.core.indicators import PERIOD_RE

from . import queries

MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A figure as a JSON number: whole for counts and sums, fractional for shares and ratios, null where a
    ratio has no denominator."""

    def to_representation(self, value):
        return value


class IndicatorValueSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label", as in the payload
    label_en = serializers.CharField()
    unit = serializers.CharField()
    chapter = serializers.CharField()
    value = NumberField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)


class ReportIndicatorViewSet(viewsets.ViewSet):
    action_permissions = {"list": ["reports.view_indicatorsnapshot"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT, description="区域 id(默认:本人所在区域)"),
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="期间 YYYY-MM(默认:当前)", pattern=PERIOD_RE.pattern
            ),
        ],
        responses=IndicatorValueSerializer(many=True),
    )
    def list(self, request):
        area_id = query_value(request, "area", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        period = query_value(
            request,
            "period",
            serializers.RegexField(PERIOD_RE, error_messages={"invalid": _("期间格式应为 YYYY-MM")}),
            default="",
        )
        if area_id is None:
            area = check_root(request)
        else:
            area = get_object_or_404(Area.objects.visible_to(request.user), pk=area_id)
        rows = queries.table(area, period, with_children=False).figures()
        return Response(IndicatorValueSerializer(rows, many=True).data)
