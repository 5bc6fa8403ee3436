from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from gridgov.core.api import ScopedReadOnlyViewSet, ServiceCreateMixin
from gridgov.core.api_fields import MAX_ID, ScopedModelSerializer, ScopedPrimaryKeyRelatedField

from . import queries, services
from .filters import AreaFilter
from .models import Area, AreaChange


class AreaSerializer(ScopedModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    # Required when creating; the city at the top has none, so the response documents it nullable.
    parent: Any = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=True, allow_null=False, output_nullable=True
    )

    class Meta:
        model = Area
        fields = [
            "id",
            "level",
            "level_display",
            "code",
            "path",
            "name",
            "name_pinyin",
            "name_initials",
            "parent",
            "x",
            "y",
            "is_active",
            "retired_at",
        ]
        read_only_fields = [
            "level",
            "code",
            "path",
            "name_pinyin",
            "name_initials",
            "is_active",
            "retired_at",
        ]


class AreaDetailSerializer(AreaSerializer):
    figures = serializers.SerializerMethodField()

    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "geometry", "figures"]

    def get_figures(self, obj: Area) -> dict[str, int]:
        return queries.area_figures(obj)


class AreaChangeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor: Any = serializers.StringRelatedField()

    class Meta:
        model = AreaChange
        fields = [
            "id",
            "kind",
            "kind_display",
            "old_code",
            "new_code",
            "old_parent",
            "new_parent",
            "old_name",
            "new_name",
            "reason",
            "actor",
            "created_at",
        ]


class MoveSerializer(serializers.Serializer):
    new_parent = serializers.IntegerField(label=gettext_lazy("新上级区域"), min_value=1, max_value=MAX_ID)
    reason = serializers.CharField(label=gettext_lazy("原因"), max_length=300)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(label=gettext_lazy("原因"), max_length=300)


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(label=gettext_lazy("名称"), max_length=100)


class AreaViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """The area tree, limited to the caller's subtree. Re-zoning actions keep history."""

    queryset = Area.objects.order_by("path")
    filterset_class = AreaFilter
    action_permissions = {
        "move": ["areas.rezone_area"],
        "retire": ["areas.rezone_area"],
        "rename": ["areas.change_area"],
        "children": ["areas.view_area"],
        "history": ["areas.view_area"],
    }

    def get_serializer_class(self):
        return AreaDetailSerializer if self.action == "retrieve" else AreaSerializer

    create_service = staticmethod(services.create_area)

    @extend_schema(
        responses=inline_serializer(
            "AreaChild", {"area": AreaSerializer(), "figures": serializers.DictField()}, many=True
        )
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def children(self, request, pk=None):
        """Direct children with their figures (grids, buildings, households, residents)."""
        area = self.get_object()
        rows = queries.children_with_figures(area)
        return Response([{"area": AreaSerializer(r.area).data, "figures": r.figures} for r in rows])

    @extend_schema(responses=AreaChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        area = self.get_object()
        changes = (
            AreaChange.objects.unscoped("history of a visible area").filter(area=area).select_related("actor")
        )
        return Response(AreaChangeSerializer(changes, many=True).data)

    @extend_schema(request=MoveSerializer, responses=AreaSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        area = self.get_object()
        body = self.body(MoveSerializer)
        new_parent = Area.objects.visible_to(request.user).filter(pk=body["new_parent"]).first()
        if new_parent is None:
            return Response({"detail": _("新上级区域不存在或不在您的管辖范围内")}, status=404)
        area = services.move_area(request.user, area, new_parent, reason=body["reason"])
        return Response(AreaSerializer(area).data)

    @extend_schema(request=ReasonSerializer, responses=AreaSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        area = services.retire_area(
            request.user, self.get_object(), reason=self.body(ReasonSerializer)["reason"]
        )
        return Response(AreaSerializer(area).data)

    @extend_schema(request=RenameSerializer, responses=AreaSerializer)
    @action(detail=True, methods=["post"])
    def rename(self, request, pk=None):
        area = services.rename_area(request.user, self.get_object(), name=self.body(RenameSerializer)["name"])
        return Response(AreaSerializer(area).data)
