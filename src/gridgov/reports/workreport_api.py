"""/api/reports/work-reports/ — the generated work reports (reports/workreport.py) of the caller's scope.

POST {area, period} generates one (`reports.generate_workreport`; an area outside the caller's scope is "not a
valid choice", a malformed period a 400); GET lists and reads them and `…/<id>/docx/` downloads the file
(`reports.view_indicatorsnapshot`). A report outside the caller's scope is a 404 like a missing id.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action

from gridgov.areas.models import Area
from gridgov.core.api import ScopedReadOnlyViewSet, ServiceCreateMixin
from gridgov.core.api_fields import ScopedPrimaryKeyRelatedField
from gridgov.core.indicators import PERIOD_RE

from . import workreport
from .models import WorkReport
from .workreport_views import download_name

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
VIEW = "reports.view_indicatorsnapshot"


class WorkReportSerializer(serializers.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.filter(level__in=workreport.LEVELS, is_active=True),
        help_text=_("区域 id(市、区县、街道、社区或网格)"),
    )
    period = serializers.RegexField(
        PERIOD_RE,
        required=False,
        allow_blank=True,
        default="",
        max_length=7,
        help_text=_("期间 YYYY-MM(留空为当前数)"),
        error_messages={"invalid": _("期间格式应为 YYYY-MM")},
    )
    area_name = serializers.CharField(source="area.name", read_only=True)
    created_by = serializers.SerializerMethodField()
    computed_at = serializers.SerializerMethodField()
    previous_period = serializers.SerializerMethodField()
    docx_url = serializers.SerializerMethodField()

    class Meta:
        model = WorkReport
        fields = [
            "id",
            "area",
            "area_name",
            "period",
            "title",
            "created_by",
            "created_at",
            "computed_at",
            "previous_period",
            "docx_url",
        ]
        read_only_fields = ["title", "created_at"]

    def get_created_by(self, obj: WorkReport) -> str:
        return obj.created_by.get_username() if obj.created_by is not None else obj.created_by_label

    def get_computed_at(self, obj: WorkReport) -> str | None:
        """When the snapshot the report was made from was computed (null: computed live when generated)."""
        return obj.figures.get("computed_at")

    def get_previous_period(self, obj: WorkReport) -> str:
        return str(obj.figures.get("previous_period", ""))

    def get_docx_url(self, obj: WorkReport) -> str:
        return reverse("report-work-report-docx", args=[obj.pk])


class ChartsUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "charts_unavailable"


class WorkReportViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = WorkReport.objects.select_related("area", "created_by").order_by("-created_at", "-pk")
    serializer_class = WorkReportSerializer
    filterset_fields = ["area", "period"]
    action_permissions = {
        "list": [VIEW],
        "retrieve": [VIEW],
        "docx": [VIEW],
        "create": [VIEW, "reports.generate_workreport"],
    }

    def create_service(self, actor, *, area: Area, period: str = "") -> WorkReport:
        try:
            return workreport.generate_work_report(actor, area=area, period=period)
        except workreport.ChartFontMissing as exc:  # the server's installation, not the request
            raise ChartsUnavailable(str(exc)) from exc

    @extend_schema(responses={(200, DOCX_CONTENT_TYPE): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def docx(self, request, pk=None):
        """The report's Word file, as it was generated."""
        report = self.get_object()
        return FileResponse(report.docx.open("rb"), as_attachment=True, filename=download_name(report))
