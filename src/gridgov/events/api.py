"""Events API: list/detail within scope, report (with attachments), one POST per transition, the trail."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.models import Area
from gridgov.core.api import ScopedReadOnlyViewSet, ServiceCreateMixin
from gridgov.core.api_fields import MAX_ID, ScopedModelSerializer, ScopedPrimaryKeyRelatedField

from . import machine, services
from .filters import EventFilter, PatrolFilter
from .models import AssigneeKind, Category, Event, EventTransition, GridCouncil, PatrolKind, PatrolLog


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventTransition
        fields = ["action", "from_state", "to_state", "actor_label", "note", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    # "" until the event is dispatched: the schema says so (a blank choice besides the kinds)
    assignee_kind = serializers.ChoiceField(choices=AssigneeKind.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "number",
            "category",
            "category_name",
            "title",
            "description",
            "area",
            "area_name",
            "area_path",
            "x",
            "y",
            "address",
            "source",
            "state",
            "state_label",
            "reported_at",
            "accept_due",
            "accepted_at",
            "dispatched_at",
            "finish_due",
            "handled_at",
            "closed_at",
            "assignee_kind",
            "assignee_name",
            "assignee_id",
            "overdue",
            "escalation_level",
            "reopen_count",
            "duplicate_of",
            "rating",
            "rating_comment",
            "result",
        ]
        read_only_fields = fields


class EventAttachmentSerializer(serializers.Serializer):
    url = serializers.CharField(source="file.url")
    type = serializers.CharField(source="content_type")
    size = serializers.IntegerField()


class EventDetailSerializer(EventSerializer):
    transitions = TransitionSerializer(many=True, read_only=True)
    attachments = EventAttachmentSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "transitions", "attachments", "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, obj: Event) -> list[str]:
        return services.allowed_actions(self.context["request"].user, obj)


class ReportAreaField(ScopedPrimaryKeyRelatedField):
    """Where one may report is wider than what one lists (a resident: anywhere in their community; a
    company: in its estates): any existing area is accepted here, and report_event checks the place
    inside its transaction (OutOfScope → 404)."""

    def get_queryset(self):
        return Area.objects.unscoped("where one may report is report_event's rule")


class ReportSerializer(serializers.Serializer):
    """The report (JSON, or multipart with `attachments` files); the answer is the new event in full."""

    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    area = ReportAreaField(queryset=Area.objects.all())
    x = serializers.FloatField(required=False, allow_null=True)
    y = serializers.FloatField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)

    def to_representation(self, instance):
        return EventDetailSerializer(instance, context=self.context).data


class EventNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class EventReasonSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, help_text=_("理由(必填)"))


class EventMergeSerializer(serializers.Serializer):
    into = ScopedPrimaryKeyRelatedField(queryset=Event.objects.all(), help_text=_("合并到的事件编号(id)"))


class EventDispatchSerializer(EventNoteSerializer):
    assignee_kind = serializers.ChoiceField(choices=AssigneeKind.choices)
    # the target of any kind: an area for community/grid/department, a property company's id, … (the
    # kind's validate checks it inside the service); `assignee_area` is the older name for an area
    assignee_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    assignee_area = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, write_only=True
    )
    assignee_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)

    def validate(self, data):
        area = data.pop("assignee_area", None)
        return {**data, "assignee_id": data.get("assignee_id") or area}


class EventFinishSerializer(serializers.Serializer):
    result = serializers.CharField(max_length=2000)


class EventRateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class EventDuplicatesQuerySerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())


class EventDuplicateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "number", "title", "state"]


def transition(name: str, service, body: type[serializers.Serializer] = EventNoteSerializer, url: str = ""):
    """A POST action on one event that runs one transition service with the checked body, and answers the
    event in full. `name` is the viewset attribute (`dispatch_` where the URL is `dispatch/`)."""

    def act(self, request, pk=None):
        return self.detail_response(service(request.user, self.get_object(), **self.body(body)))

    act.__name__ = act.__qualname__ = name
    act.__doc__ = str(machine.ACTION_LABELS[url or name])
    decorated = action(detail=True, methods=["post"], url_path=url or name, url_name=url or name)(act)
    return extend_schema(request=body, responses=EventDetailSerializer)(decorated)


DISPATCH_ACTIONS = ["accept", "reject", "merge", "dispatch_", "verify", "reopen", "close", "escalate"]
HANDLE_ACTIONS = ["start", "return_", "finish"]


@extend_schema_view(
    create=extend_schema(
        request={"application/json": ReportSerializer, "multipart/form-data": ReportSerializer},
        responses={201: EventDetailSerializer},
    )
)
class EventViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Events visible to the user (residents: their own; property users: their subtree and their company's)."""

    queryset = Event.objects.select_related("category", "area", "assignee_area")
    filterset_class = EventFilter
    action_permissions = {
        **{name: ["events.dispatch_event"] for name in DISPATCH_ACTIONS},
        **{name: ["events.handle_event"] for name in HANDLE_ACTIONS},
        "rate": ["events.rate_event"],
        "attach": ["events.view_event"],
        "duplicates": ["events.add_event"],
        "create": ["events.add_event"],
    }
    create_service = staticmethod(services.report_event)

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.prefetch_related("transitions", "attachments") if self.action == "retrieve" else qs

    def get_serializer_class(self):
        return {"retrieve": EventDetailSerializer, "create": ReportSerializer}.get(
            self.action, EventSerializer
        )

    def detail_response(self, event: Event) -> Response:
        return Response(EventDetailSerializer(event, context=self.get_serializer_context()).data)

    accept = transition("accept", services.accept)
    reject = transition("reject", services.reject, EventReasonSerializer)
    merge = transition("merge", services.merge, EventMergeSerializer)
    dispatch_ = transition("dispatch_", services.dispatch, EventDispatchSerializer, url="dispatch")
    start = transition("start", services.start)
    return_ = transition("return_", services.return_event, EventReasonSerializer, url="return")
    finish = transition("finish", services.finish, EventFinishSerializer)
    verify = transition("verify", services.verify)
    reopen = transition("reopen", services.reopen, EventReasonSerializer)
    close = transition("close", services.close)
    escalate = transition("escalate", services.escalate)
    rate = transition("rate", services.rate, EventRateSerializer)

    @extend_schema(
        parameters=[EventDuplicatesQuerySerializer],
        responses=EventDuplicateSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def duplicates(self, request):
        """Open events of the category reported nearby lately (suggestions before reporting)."""
        query = EventDuplicatesQuerySerializer(
            data=request.query_params, context=self.get_serializer_context()
        )
        query.is_valid(raise_exception=True)
        rows = services.duplicate_candidates(query.validated_data["category"], query.validated_data["area"])
        return Response(EventDuplicateSerializer(rows, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "EventAttachmentUpload", {"file": serializers.FileField()}
            )
        },
        responses=EventDetailSerializer,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attach(self, request, pk=None):
        """Add a photo or PDF (JPG, PNG, PDF; checked by content)."""
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": _("请选择文件")})
        event = self.get_object()
        services.add_attachment(request.user, event, upload)
        return self.detail_response(event)


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "accept_hours",
            "finish_hours",
            "default_assignee",
            "is_complaint",
        ]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    pagination_class = None


class PatrolLogSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())
    kind = serializers.ChoiceField(choices=PatrolKind.choices)
    started_at = serializers.DateTimeField(required=False, help_text=_("默认为提交时间"))
    report_category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
        help_text=_("填写则发现情况同时生成该分类的工单"),
    )

    class Meta:
        model = PatrolLog
        fields = [
            "id",
            "kind",
            "area",
            "area_path",
            "started_at",
            "place",
            "findings",
            "visited",
            "event",
            "report_category",
        ]
        read_only_fields = ["area_path", "event"]


class PatrolLogViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = PatrolLog.objects.all()
    serializer_class = PatrolLogSerializer
    filterset_class = PatrolFilter
    create_service = staticmethod(services.log_patrol)


class GridCouncilSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), help_text=_("网格"))

    class Meta:
        model = GridCouncil
        fields = ["id", "area", "area_path", "held_on", "topic", "decisions", "attendees"]
        read_only_fields = ["area_path"]


class GridCouncilViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = GridCouncil.objects.select_related("area")
    serializer_class = GridCouncilSerializer
    create_service = staticmethod(services.record_council)
