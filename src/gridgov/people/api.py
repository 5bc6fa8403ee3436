from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.models import Area, Level
from gridgov.core.api import ScopedViewSetMixin
from gridgov.core.models import Job
from gridgov.core.services import ImportRejected
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import services
from .filters import HouseholdFilter, ResidentFilter
from .models import Household, Relation, Resident, Tag
from .queries import member_counts
from .tasks import resident_filter


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["code", "name", "category"]


class HouseholdSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["unit"].queryset = Area.objects.visible_to(request.user).filter(level=Level.UNIT)  # type: ignore[attr-defined]


class ResidentSerializer(serializers.ModelSerializer):
    """ID-card and phone numbers are always masked here; the unmask action returns them, audited.

    The birth date is left out too: it is the hidden middle of the masked ID number. Age is enough.
    """

    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
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
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.visible_to(request.user)  # type: ignore[attr-defined]
        if self.instance is not None:
            self.fields["id_number"].required = False
            self.fields["id_number"].read_only = True

    def get_age(self, obj: Resident) -> int:
        return obj.age()

    def create(self, validated_data):
        return services.register_resident(
            self.context["request"].user,
            household=validated_data["household"],
            name=validated_data["name"],
            id_number=validated_data["id_number"],
            phone=validated_data.get("phone", ""),
            relation=validated_data.get("relation", Relation.HEAD),
            tags=validated_data.get("tags", []),
        )

    def update(self, instance, validated_data):
        return services.update_resident(
            self.context["request"].user,
            instance,
            name=validated_data.get("name"),
            phone=validated_data.get("phone"),
            relation=validated_data.get("relation"),
            household=validated_data.get("household"),
            tags=validated_data.get("tags"),
        )


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Tag.objects.all()
    serializer_class = TagSerializer
    pagination_class = None


class HouseholdViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Household
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter

    def get_queryset(self):
        return self.base_queryset().select_related("unit").order_by("area_path", "number")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        context = {**self.get_serializer_context(), "member_counts": member_counts(h.pk for h in page)}
        return self.get_paginated_response(HouseholdSerializer(page, many=True, context=context).data)

    def perform_create(self, serializer):
        serializer.instance = services.create_household(
            self.request.user,
            unit=serializer.validated_data["unit"],
            number=serializer.validated_data["number"],
        )


class ResidentViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset_model = Resident
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    action_permissions = {
        "unmask": ["people.view_resident", "people.unmask_resident"],
        "import_xlsx": ["people.add_resident", "people.import_resident"],
        "export_xlsx": ["people.view_resident", "people.export_resident"],
    }

    def get_queryset(self):
        return self.base_queryset().prefetch_related("tags").order_by("area_path", "id")

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
        request={"multipart/form-data": inline_serializer("ImportUpload", {"file": serializers.FileField()})},
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """Import an xlsx in the template's columns: all rows or nothing; every bad row is listed."""
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"detail": _("请上传 xlsx 文件(字段名 file)"), "errors": []}, status=400)
        try:
            result = services.import_residents(request.user, upload)
        except ImportRejected as exc:
            return Response(
                {
                    "detail": _("导入失败,共 %(n)d 处错误,未导入任何数据") % {"n": len(exc.errors)},
                    "errors": [e.as_dict() for e in exc.errors],
                },
                status=400,
            )
        return Response({"residents": result.residents, "households": result.households}, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("unmasked", bool, description=gettext_lazy("完整证件号(需相应权限)"))],
        responses={200: OpenApiTypes.BINARY, 202: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        """xlsx of the filtered list; large lists become a background job (202 with its URL)."""
        params = {
            k: request.query_params.getlist(k)
            for k in request.query_params
            if k not in {"unmasked", "page", "page_size", "format"}
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
        return Job.objects.filter(owner=self.request.user)
