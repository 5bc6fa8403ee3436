"""The emergency API on the generic layer (core/api.py): scoped reads, writes through the services."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.models import Area, Level
from gridgov.core.api import (
    XLSX_DOWNLOAD,
    ScopedGenericViewSet,
    ScopedReadOnlyViewSet,
    ServiceCreateMixin,
    uploaded_file,
)
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField, id_in_range
from gridgov.core.xlsx import XLSX_CONTENT_TYPE
from gridgov.events.models import Category, Event

from . import services
from .models import Activation, EmployerUnit, Mode, Post, Readiness, Responder, Skill, WorkGroup

COMMUNITY = Area.objects.filter(level=Level.COMMUNITY, is_active=True)
SKILL_CHOICES = Skill.choices


class EmployerSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level__lte=Level.STREET))

    class Meta:
        model = EmployerUnit
        fields = ["id", "name", "code", "area"]
        validators: list = []


class EmployerViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = EmployerUnit.objects.order_by("code")
    serializer_class = EmployerSerializer
    create_service = staticmethod(services.create_employer)
    action_permissions = {"register_staff": ["emergency.import_responder"]}

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    )
    @action(detail=True, methods=["post"], url_path="register-staff", parser_classes=[MultiPartParser])
    def register_staff(self, request, pk=None):
        """The unit registers its own staff (xlsx; every row gets this unit)."""
        result = services.import_responders(request.user, uploaded_file(request), employer=self.get_object())
        return Response({"imported": result.responders}, status=status.HTTP_201_CREATED)


class ResponderSerializer(ScopedModelSerializer):
    community = ScopedPrimaryKeyRelatedField(queryset=COMMUNITY)
    employer = serializers.PrimaryKeyRelatedField(queryset=EmployerUnit.objects.all())
    id_number = serializers.CharField(write_only=True, label=gettext_lazy("身份证号"))
    phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True, label=gettext_lazy("手机号")
    )
    skills = serializers.ListField(child=serializers.ChoiceField(choices=SKILL_CHOICES), source="skill_list")
    restricted = serializers.ListField(
        child=serializers.ChoiceField(choices=SKILL_CHOICES), required=False, write_only=True
    )
    home_x = serializers.FloatField(min_value=-1e7, max_value=1e7)
    home_y = serializers.FloatField(min_value=-1e7, max_value=1e7)

    class Meta:
        model = Responder
        fields = [
            "id",
            "kind",
            "name",
            "id_number",
            "id_masked",
            "phone",
            "phone_masked",
            "employer",
            "community",
            "home_x",
            "home_y",
            "skills",
            "restricted",
            "restricted_skills",
            "health_note",
            "on_leave_until",
            "available_days",
            "available_from",
            "available_until",
            "is_active",
        ]
        read_only_fields = ["id_masked", "phone_masked", "restricted_skills", "is_active"]


class AvailabilityBody(serializers.Serializer):
    on_leave_until = serializers.DateField(required=False, allow_null=True, default=None)
    available_days = serializers.IntegerField(min_value=0, max_value=127, required=False)
    available_from = serializers.TimeField(required=False, allow_null=True, default=None)
    available_until = serializers.TimeField(required=False, allow_null=True, default=None)
    restricted_skills = serializers.ListField(
        child=serializers.ChoiceField(choices=SKILL_CHOICES), required=False
    )
    health_note = serializers.CharField(required=False, allow_blank=True, max_length=100)


class CommunityBody(serializers.Serializer):
    community = ScopedPrimaryKeyRelatedField(queryset=COMMUNITY)


class ResponderViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = Responder.objects.select_related("employer").order_by("area_path", "id")
    serializer_class = ResponderSerializer
    filterset_fields = ["community", "kind", "employer"]
    action_permissions = {
        "import_xlsx": ["emergency.add_responder", "emergency.import_responder"],
        "export_xlsx": ["emergency.export_responder"],
        "availability": ["emergency.change_responder"],
        "import_party": ["emergency.add_responder"],
    }

    def create_service(self, actor, *, skill_list, restricted=(), **data):
        return services.register_responder(
            actor, skills=skill_list, restricted_skills=list(restricted), **data
        )

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        result = services.import_responders(request.user, uploaded_file(request))
        return Response({"imported": result.responders}, status=status.HTTP_201_CREATED)

    @extend_schema(responses=XLSX_DOWNLOAD)
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        data = services.export_responders(request.user, self.filter_queryset(self.get_queryset()))
        response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="responders.xlsx"'
        return response

    @extend_schema(request=CommunityBody, responses=dict)
    @action(detail=False, methods=["post"], url_path="import-party")
    def import_party(self, request):
        """双报到 in-service members of the community into its volunteer pool (idempotent)."""
        result = services.import_party_members(request.user, self.body(CommunityBody)["community"])
        return Response(
            {"created": result.created, "already": result.already, "members": result.members},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=AvailabilityBody, responses=ResponderSerializer)
    @action(detail=True, methods=["post"])
    def availability(self, request, pk=None):
        body = self.body(AvailabilityBody)
        obj = services.update_availability(request.user, self.get_object(), **body)
        return Response(ResponderSerializer(obj, context={"request": request}).data)


# --- groups and readiness ---------------------------------------------------------------------------
class GroupSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    is_formed = serializers.BooleanField(read_only=True)

    class Meta:
        model = WorkGroup
        fields = [
            "id",
            "community",
            "community_name",
            "mode",
            "code",
            "name",
            "leader",
            "leader_name",
            "required",
            "shortfall",
            "is_formed",
            "formed_at",
        ]
        read_only_fields = fields


class FormSerializer(serializers.Serializer):
    communities = ScopedPrimaryKeyRelatedField(queryset=COMMUNITY, many=True, allow_empty=False)


class WorkGroupViewSet(ScopedReadOnlyViewSet):
    queryset = WorkGroup.objects.select_related("community", "leader").order_by("area_path", "mode", "sort")
    serializer_class = GroupSerializer
    filterset_fields = ["community", "mode"]
    action_permissions = {"form": ["emergency.form_workgroup"]}

    @extend_schema(request=FormSerializer)
    @action(detail=False, methods=["post"])
    def form(self, request):
        body = self.body(FormSerializer)
        result = services.form_groups(request.user, body["communities"])
        return Response(result.__dict__)


class ReadinessSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    ready = serializers.BooleanField(read_only=True)

    class Meta:
        model = Readiness
        fields = [
            "id",
            "community",
            "community_name",
            "required",
            "staffed",
            "ready",
            "shortfall",
            "computed_at",
        ]
        read_only_fields = fields


class AreaBody(serializers.Serializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level__lte=Level.GRID))


class ReadinessViewSet(ScopedReadOnlyViewSet):
    queryset = Readiness.objects.select_related("community").order_by("area_path")
    serializer_class = ReadinessSerializer
    filterset_fields = ["community"]
    action_permissions = {"refresh": ["emergency.view_readiness"]}

    @extend_schema(request=AreaBody)
    @action(detail=False, methods=["post"])
    def refresh(self, request):
        body = self.body(AreaBody)
        return Response({"communities": services.compute_readiness(request.user, body["area"])})


# --- activations ------------------------------------------------------------------------------------
class ActivationSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    communities = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Activation
        fields = [
            "id",
            "area",
            "area_name",
            "communities",
            "level",
            "reason",
            "is_drill",
            "state",
            "max_distance_m",
            "ack_deadline",
            "started_at",
            "ended_at",
            "posted",
            "total_distance_m",
            "shortfall",
            "timeline",
            "record",
        ]
        read_only_fields = fields


class ActivateSerializer(serializers.Serializer):
    area = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.filter(level__lte=Level.COMMUNITY), required=False
    )
    communities = ScopedPrimaryKeyRelatedField(queryset=COMMUNITY, many=True, required=False)
    level = serializers.ChoiceField(choices=Activation.Level.choices)
    reason = serializers.CharField(max_length=200)
    is_drill = serializers.BooleanField(default=False)
    max_distance_m = serializers.IntegerField(
        min_value=100, max_value=50_000, default=services.DEFAULT_MAX_DISTANCE
    )

    def validate(self, attrs):
        if not attrs.get("area") and not attrs.get("communities"):
            raise serializers.ValidationError({"area": gettext_lazy("请选择启动区域或社区")})
        return attrs


class ConfirmSerializer(ActivateSerializer):
    ack_minutes = serializers.IntegerField(min_value=1, max_value=1440, default=services.DEFAULT_ACK_MINUTES)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class TaskSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "number",
            "title",
            "description",
            "state",
            "state_label",
            "assignee_id",
            "assignee_name",
            "created_at",
            "finish_due",
        ]
        read_only_fields = fields


class TaskBody(serializers.Serializer):
    group = ScopedPrimaryKeyRelatedField(
        queryset=WorkGroup.objects.filter(mode=Mode.EMERGENCY), label=gettext_lazy("战时工作组")
    )
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )


class ActivationViewSet(ScopedReadOnlyViewSet):
    queryset = (
        Activation.objects.select_related("area").prefetch_related("communities").order_by("-started_at")
    )
    serializer_class = ActivationSerializer
    filterset_fields = ["state", "is_drill"]
    action_permissions = {
        "preview": ["emergency.activate_emergency"],
        "activate": ["emergency.activate_emergency"],
        "deactivate": ["emergency.activate_emergency"],
        "reassign": ["emergency.activate_emergency", "emergency.reassign_post"],
        "board": ["emergency.view_activation"],
        "tasks": ["emergency.view_activation"],
    }

    @extend_schema(request=ActivateSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        body = self.body(ActivateSerializer)
        return Response(services.preview(request.user, **body).summary())

    @extend_schema(request=ConfirmSerializer, responses=ActivationSerializer)
    @action(detail=False, methods=["post"])
    def activate(self, request):
        act = services.activate(request.user, **self.body(ConfirmSerializer))
        return Response(ActivationSerializer(act).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NoteSerializer, responses=ActivationSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        act = services.deactivate(request.user, self.get_object(), **self.body(NoteSerializer))
        return Response(ActivationSerializer(act).data)

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        result = services.reassign_no_shows(request.user, self.get_object())
        return Response(
            {"no_shows": result.no_shows, "reposted": result.reposted, "shortfall": result.shortfall}
        )

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def board(self, request, pk=None):
        act = self.get_object()
        return Response({"state": act.state, "groups": services.live_counts(act)})

    @extend_schema(methods=["GET"], responses=TaskSerializer(many=True))
    @extend_schema(methods=["POST"], request=TaskBody, responses={201: TaskSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def tasks(self, request, pk=None):
        """The activation's tasks (work orders to its groups); POST issues one to an emergency group."""
        act = self.get_object()
        if request.method == "POST":
            event = services.issue_task(request.user, act, **self.body(TaskBody))
            return Response(TaskSerializer(event).data, status=status.HTTP_201_CREATED)
        return Response(TaskSerializer(services.activation_tasks(request.user, act)[:200], many=True).data)


# --- a responder's own posts -------------------------------------------------------------------------
class MyPostSerializer(serializers.ModelSerializer):
    group_name = serializers.CharField(source="group.name", read_only=True)
    community_name = serializers.CharField(source="group.community.name", read_only=True)
    leader_name = serializers.CharField(source="group.leader.name", read_only=True, default=None)
    activation_reason = serializers.CharField(source="activation.reason", read_only=True, default=None)

    class Meta:
        model = Post
        fields = [
            "id",
            "group",
            "group_name",
            "community_name",
            "leader_name",
            "skill",
            "state",
            "distance_m",
            "activation",
            "activation_reason",
            "assigned_at",
        ]
        read_only_fields = fields


class MyPostViewSet(ScopedGenericViewSet):
    """The posts of the responders linked to the signed-in user (any role): list and acknowledge."""

    serializer_class = MyPostSerializer
    _ignore_model_permissions = True

    queryset = Post.objects.unscoped(
        "empty: the schema"
    ).none()  # the schema's model; get_queryset narrows to the user's own posts

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Post.objects.unscoped("empty: the schema").none()
        return (
            Post.objects.unscoped("a responder's own posts")
            .filter(responder__user=self.request.user)
            .select_related("group__community", "group__leader", "activation")
            .order_by("-assigned_at", "-id")
        )

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MyPostSerializer(page, many=True).data)

    @extend_schema(request=None, responses=MyPostSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        number = int(pk) if str(pk).isdigit() and id_in_range(pk) else 0
        post = services.acknowledge(request.user, number, channel="api")
        return Response(MyPostSerializer(post).data)


__all__ = [
    "ActivationViewSet",
    "EmployerViewSet",
    "MyPostViewSet",
    "ReadinessViewSet",
    "ResponderViewSet",
    "WorkGroupViewSet",
]
