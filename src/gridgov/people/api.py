from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.models import Area, Level
from gridgov.core.api import (
    XLSX_DOWNLOAD,
    ScopedReadOnlyViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    uploaded_file,
)
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from gridgov.core.models import Job
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import services
from .filters import HouseholdFilter, ResidentFilter
from .models import CorrectionField, CorrectionRequest, Household, Relation, Resident, Tag
from .queries import member_counts
from .tasks import resident_filter


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["code", "name", "category"]


class HouseholdSerializer(ScopedModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.UNIT))
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "unit", "unit_code", "unit_name", "number", "area_path", "is_active", "member_count"]
        read_only_fields = ["area_path", "is_active"]
        # No generated UniqueTogetherValidator: it would query the scoped default manager (ScopeError);
        # services.create_household checks the (unit, number) rule inside its transaction.
        validators: list = []

    def get_member_count(self, obj: Household) -> int:
        counts = self.context.get("member_counts")
        if counts is None:
            counts = member_counts([obj.pk])
        return counts.get(obj.pk, 0)


class ResidentSerializer(ScopedModelSerializer):
    """ID-card and phone numbers are always masked here; the unmask action returns them, audited.

    The birth date is left out too: it is the hidden middle of the masked ID number. Age is enough.
    """

    household = ScopedPrimaryKeyRelatedField(queryset=Household.objects.all())
    id_number = serializers.CharField(write_only=True, required=True, label=gettext_lazy("身份证号"))
    phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True, label=gettext_lazy("手机号")
    )
    tags = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Tag.objects.all(), required=False
    )
    age = serializers.SerializerMethodField()
    relation = serializers.ChoiceField(choices=Relation.choices, required=False)

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "relation",
            "name",
            "name_pinyin",
            "name_initials",
            "sex",
            "age",
            "id_masked",
            "phone_masked",
            "id_number",
            "phone",
            "tags",
            "area_path",
            "is_active",
        ]
        read_only_fields = [
            "name_pinyin",
            "name_initials",
            "sex",
            "id_masked",
            "phone_masked",
            "area_path",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["id_number"].required = False
            self.fields["id_number"].read_only = True

    def get_age(self, obj: Resident) -> int:
        return obj.age()


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Tag.objects.all()
    serializer_class = TagSerializer
    pagination_class = None


class HouseholdViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = Household.objects.select_related("unit").order_by("area_path", "number")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    create_service = staticmethod(services.create_household)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        context = {**self.get_serializer_context(), "member_counts": member_counts(h.pk for h in page)}
        return self.get_paginated_response(HouseholdSerializer(page, many=True, context=context).data)


class ResidentViewSet(ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    queryset = Resident.objects.prefetch_related("tags").order_by("area_path", "id")
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    action_permissions = {
        "unmask": ["people.view_resident", "people.unmask_resident"],
        "search": ["people.view_resident"],
        "import_xlsx": ["people.add_resident", "people.import_resident"],
        "export_xlsx": ["people.view_resident", "people.export_resident"],
    }
    create_service = staticmethod(services.register_resident)
    update_service = staticmethod(services.update_resident)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "Unmasked",
            {
                "id_number": serializers.CharField(),
                "phone": serializers.CharField(),
                "birth_date": serializers.DateField(),
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def unmask(self, request, pk=None):
        """Full ID-card and phone numbers; each call leaves an audit row."""
        return Response(services.unmask_resident(request.user, self.get_object()))

    @extend_schema(
        request=inline_serializer(
            "ResidentSearch",
            {
                "q": serializers.CharField(max_length=50, required=False),
                "area": serializers.IntegerField(required=False),
                "tag": serializers.ListField(child=serializers.CharField(), required=False),
                "sex": serializers.CharField(required=False),
                "relation": serializers.CharField(required=False),
                "min_age": serializers.IntegerField(required=False),
                "max_age": serializers.IntegerField(required=False),
                "household": serializers.IntegerField(required=False),
            },
        ),
        responses={200: ResidentSerializer(many=True), 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="search")
    def search(self, request):
        """The list's search and filters in the body rather than the address: the way to search by a whole ID
        or phone number, which the list refuses in its query string (docs/hardening.md)."""
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"detail": gettext_lazy("请求体应为 JSON 对象")})
        data = QueryDict(mutable=True)
        for key, value in request.data.items():
            if key not in ResidentFilter.base_filters:
                continue
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
                raise serializers.ValidationError({key: [gettext_lazy("应为文字或整数")]})
            data.setlist(key, [str(v) for v in values])
        filterset = ResidentFilter(data, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": inline_serializer("ImportUpload", {"file": serializers.FileField()})},
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """Import an xlsx in the template's columns: all rows or nothing; every bad row is listed."""
        result = services.import_residents(request.user, uploaded_file(request))
        return Response({"residents": result.residents, "households": result.households}, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("unmasked", bool, description=gettext_lazy("完整证件号(需相应权限)"))],
        responses={**XLSX_DOWNLOAD, 202: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        """xlsx of the filtered list; large lists become a background job (202 with its URL)."""
        # The list's own filters only: an unknown parameter is ignored (as the list ignores it), and never
        # reaches the job's params or the audit row.
        params = {
            k: request.query_params.getlist(k)
            for k in request.query_params
            if k in ResidentFilter.base_filters
        }
        unmasked = request.query_params.get("unmasked") in {"1", "true"}
        filterset = resident_filter(request.user, params)
        if not filterset.is_valid():
            return Response(filterset.errors, status=status.HTTP_400_BAD_REQUEST)
        if filterset.qs.count() > settings.GRIDGOV_SYNC_EXPORT_LIMIT:
            job = services.start_export_job(request.user, params, unmasked=unmasked)
            return Response({"job": job.pk, "url": f"/api/jobs/{job.pk}/"}, status=status.HTTP_202_ACCEPTED)
        content, _rows = services.export_residents_now(request.user, params, unmasked=unmasked)
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="residents.xlsx"'
        return response


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "total",
            "done",
            "percent",
            "error",
            "attempts",
            "created_at",
            "finished_at",
            "download",
        ]

    def get_download(self, obj: Job) -> str | None:
        return f"/jobs/{obj.pk}/download/" if obj.result_file else None


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """A user's own background jobs."""

    serializer_class = JobSerializer
    _ignore_model_permissions = True

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Job.objects.none()
        return Job.objects.filter(owner_id=self.request.user.pk)


# --- corrections (更正申请) ------------------------------------------------------------------------------
class CorrectionSerializer(ScopedModelSerializer):
    """A correction request. The requested value is written in full and read back masked (`value_display`)."""

    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    field = serializers.ChoiceField(choices=CorrectionField.choices)
    value = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=50, label=gettext_lazy("正确的内容")
    )
    reason = serializers.CharField(max_length=500)

    class Meta:
        model = CorrectionRequest
        fields = [
            "id",
            "resident",
            "resident_name",
            "field",
            "value",
            "value_display",
            "current_display",
            "reason",
            "origin",
            "origin_ref",
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = [
            "value_display",
            "current_display",
            "origin",
            "origin_ref",
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class DecisionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RejectionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class CorrectionViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Correction requests of the user's area; POST files one for a resident (staff), approve applies it
    through the people services, reject needs a note."""

    queryset = CorrectionRequest.objects.select_related("resident").order_by("-id")
    serializer_class = CorrectionSerializer
    filterset_fields = ["status", "field", "origin"]
    action_permissions = {
        "create": ["people.view_correctionrequest", "people.change_resident"],
        "approve": ["people.view_correctionrequest", "people.decide_correctionrequest"],
        "reject": ["people.view_correctionrequest", "people.decide_correctionrequest"],
    }

    def create_service(self, actor, *, resident, field, reason, value=""):
        return services.request_correction(actor, resident, changes={field: value}, reason=reason)[0]

    @extend_schema(request=DecisionNoteSerializer, responses=CorrectionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        note = self.body(DecisionNoteSerializer).get("note", "")
        return Response(
            self.get_serializer(services.approve_correction(request.user, self.get_object(), note=note)).data
        )

    @extend_schema(request=RejectionNoteSerializer, responses=CorrectionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        note = self.body(RejectionNoteSerializer)["note"]
        return Response(
            self.get_serializer(services.reject_correction(request.user, self.get_object(), note=note)).data
        )
