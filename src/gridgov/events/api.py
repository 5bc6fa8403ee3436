"""Events API: list/detail within scope, report (with attachments), one POST per transition, the trail."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from gridgov.areas.filters import AreaSubtreeFilterSet
from gridgov.areas.models import Area
from gridgov.core.api import ScopedViewSetMixin

from . import services
from .models import AssigneeKind, Category, Event, EventTransition, GridCouncil, PatrolKind, PatrolLog


class EventFilter(AreaSubtreeFilterSet):
    class Meta:
        model = Event
        fields = ["state", "category", "source", "overdue", "assignee_kind", "assignee_id"]


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventTransition
        fields = ["action", "from_state", "to_state", "actor_label", "note", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

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


class EventDetailSerializer(EventSerializer):
    transitions = TransitionSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "transitions", "attachments", "allowed_actions"]
        read_only_fields = fields

    def get_attachments(self, obj: Event) -> list[dict]:
        return [{"url": a.file.url, "type": a.content_type, "size": a.size} for a in obj.attachments.all()]

    def get_allowed_actions(self, obj: Event) -> list[str]:
        return services.allowed_actions(self.context["request"].user, obj)


class ReportSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    area = serializers.IntegerField()
    x = serializers.FloatField(required=False, allow_null=True, default=None)
    y = serializers.FloatField(required=False, allow_null=True, default=None)
    address = serializers.CharField(required=False, allow_blank=True, default="")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DispatchSerializer(NoteSerializer):
    assignee_kind = serializers.ChoiceField(choices=AssigneeKind.choices)
    assignee_area = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
    # the target of any kind (an area for community/grid/department, a property company's id, ...)
    assignee_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
    assignee_name = serializers.CharField(required=False, allow_blank=True, default="")


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


DISPATCH_ACTIONS = ["accept", "reject", "merge", "dispatch_", "verify", "reopen", "close", "escalate"]
HANDLE_ACTIONS = ["start", "return_", "finish"]


class EventViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Events visible to the user (residents: their own; property users: their subtree and their company's)."""

    queryset_model = Event
    filterset_class = EventFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_permissions = {
        **{name: ["events.dispatch_event"] for name in DISPATCH_ACTIONS},
        **{name: ["events.handle_event"] for name in HANDLE_ACTIONS},
        "rate": ["events.rate_event"],
        "attach": ["events.view_event"],
        "duplicates": ["events.add_event"],
        "create": ["events.add_event"],
    }

    def get_queryset(self):
        qs = self.base_queryset().select_related("category", "area", "assignee_area")
        if self.action == "retrieve":
            qs = qs.prefetch_related("transitions", "attachments")
        return qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return EventDetailSerializer
        if self.action == "create":
            return ReportSerializer
        return EventSerializer

    def create(self, request, *args, **kwargs):
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        area = get_object_or_404(Area.objects.unscoped("checked by the service"), pk=v["area"])
        files = request.FILES.getlist("attachments") if hasattr(request, "FILES") else []
        event = services.report_event(
            request.user,
            category=v["category"],
            title=v["title"],
            description=v["description"],
            area=area,
            x=v["x"],
            y=v["y"],
            address=v["address"],
            attachments=files,
        )
        return Response(EventDetailSerializer(event, context={"request": request}).data, status=201)

    @action(detail=False, methods=["get"])
    def duplicates(self, request):
        category = get_object_or_404(Category.objects.all(), pk=request.query_params.get("category") or 0)
        area = get_object_or_404(
            Area.objects.visible_to(request.user), pk=request.query_params.get("area") or 0
        )
        rows = services.duplicate_candidates(category, area)
        return Response([{"id": e.pk, "number": e.number, "title": e.title, "state": e.state} for e in rows])

    def _done(self, request, event):
        event = Event.objects.unscoped("re-read after a service").get(pk=event.pk)
        return Response(EventDetailSerializer(event, context={"request": request}).data)

    def _note(self, request) -> str:
        s = NoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return s.validated_data["note"]

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._done(request, services.accept(request.user, self.get_object(), note=self._note(request)))

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._done(request, services.reject(request.user, self.get_object(), note=self._note(request)))

    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        into = get_object_or_404(self.base_queryset(), pk=request.data.get("into") or 0)
        return self._done(request, services.merge(request.user, self.get_object(), into=into))

    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_(self, request, pk=None):
        event = self.get_object()
        s = DispatchSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        return self._done(
            request,
            services.dispatch(
                request.user,
                event,
                assignee_kind=v["assignee_kind"],
                assignee_id=v["assignee_id"] or v["assignee_area"],  # checked by the kind's validate
                assignee_name=v["assignee_name"],
                note=v["note"],
            ),
        )

    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._done(request, services.start(request.user, self.get_object(), note=self._note(request)))

    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._done(
            request, services.return_event(request.user, self.get_object(), note=self._note(request))
        )

    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        return self._done(
            request, services.finish(request.user, self.get_object(), result=request.data.get("result", ""))
        )

    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._done(request, services.verify(request.user, self.get_object(), note=self._note(request)))

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._done(request, services.reopen(request.user, self.get_object(), note=self._note(request)))

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._done(request, services.close(request.user, self.get_object(), note=self._note(request)))

    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._done(
            request, services.escalate(request.user, self.get_object(), note=self._note(request))
        )

    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        s = RateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._done(
            request,
            services.rate(
                request.user,
                self.get_object(),
                rating=s.validated_data["rating"],
                comment=s.validated_data["comment"],
            ),
        )

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attach(self, request, pk=None):
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": "请选择文件"})
        services.add_attachment(request.user, self.get_object(), upload)
        return self._done(request, self.get_object())


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


class PatrolLogSerializer(serializers.ModelSerializer):
    area = serializers.IntegerField(source="area_id")
    kind = serializers.ChoiceField(choices=PatrolKind.choices)
    report_category = serializers.IntegerField(write_only=True, required=False, allow_null=True)

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

    def create(self, validated_data):
        area = get_object_or_404(
            Area.objects.unscoped("checked by the service"), pk=validated_data["area_id"]
        )
        category = (
            get_object_or_404(Category.objects.all(), pk=validated_data["report_category"])
            if validated_data.get("report_category")
            else None
        )
        return services.log_patrol(
            self.context["request"].user,
            area=area,
            kind=validated_data["kind"],
            place=validated_data["place"],
            findings=validated_data.get("findings", ""),
            visited=validated_data.get("visited", ""),
            started_at=validated_data.get("started_at"),
            report_category=category,
        )


class PatrolLogViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = PatrolLog
    serializer_class = PatrolLogSerializer
    filterset_class = type(
        "PatrolFilter",
        (AreaSubtreeFilterSet,),
        {"Meta": type("Meta", (), {"model": PatrolLog, "fields": ["kind"]})},
    )


class GridCouncilSerializer(serializers.ModelSerializer):
    area = serializers.IntegerField(source="area_id")

    class Meta:
        model = GridCouncil
        fields = ["id", "area", "area_path", "held_on", "topic", "decisions", "attendees"]
        read_only_fields = ["area_path"]

    def create(self, validated_data):
        area = get_object_or_404(
            Area.objects.unscoped("checked by the service"), pk=validated_data["area_id"]
        )
        return services.record_council(
            self.context["request"].user,
            area=area,
            held_on=validated_data["held_on"],
            topic=validated_data["topic"],
            decisions=validated_data.get("decisions", ""),
            attendees=validated_data.get("attendees", 0),
        )


class GridCouncilViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = GridCouncil
    serializer_class = GridCouncilSerializer
