"""The data hub's API on the generic layer: batches (read, and the push endpoint per source with a
department token or a login), runs (read, start) and findings (read)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from gridgov.core.actors import SystemActor
from gridgov.core.api import ScopedReadOnlyViewSet, import_rejected_response, uploaded_file
from gridgov.core.services import ImportRejected, ServiceError

from . import services
from .models import Batch, DepartmentToken, Finding, Run
from .rulebook import rule_meta
from .sources import BY_CODE


class DepartmentPrincipal:
    """Who pushes with a department token: not a login; it may push that department's sources only."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None
    role = ""
    area_path = ""

    def __init__(self, token: DepartmentToken) -> None:
        self.token = token

    def has_perms(self, perms) -> bool:
        return all(self.has_perm(p) for p in perms)

    def has_perm(self, perm: str, obj=None) -> bool:
        return perm == "datahub.push_batch"

    def __str__(self) -> str:
        return str(self.token)


class DepartmentTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer dh_…` (a department token issued on the tokens page; only its hash is kept)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip().startswith(services.exchange.TOKEN_PREFIX):
            return None
        token = services.token_from_header(header)
        if token is None:
            raise exceptions.AuthenticationFailed(_("部门令牌无效或已吊销"))
        return DepartmentPrincipal(token), token

    def authenticate_header(self, request) -> str:
        return "Bearer"


class DepartmentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "gridgov.datahub.api.DepartmentTokenAuthentication"
    name = "departmentToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": _("部门接口令牌(dh_ 开头)")}


class BatchSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[assignment,var-annotated]

    class Meta:
        model = Batch
        fields = [
            "id",
            "source",
            "batch_id",
            "sha256",
            "version",
            "status",
            "channel",
            "filename",
            "size",
            "encoding",
            "row_count",
            "error_count",
            "omitted_rows",
            "uploaded_label",
            "created_at",
        ]
        read_only_fields = fields


PushBody = inline_serializer(
    "DatahubPushBody",
    {"file": serializers.FileField(), "batch_id": serializers.CharField(required=False, max_length=64)},
)


class BatchViewSet(ScopedReadOnlyViewSet):
    queryset = Batch.objects.select_related("source").order_by("-created_at", "-id")
    serializer_class = BatchSerializer
    filterset_fields = ["status", "channel"]
    action_permissions = {"push": ["datahub.push_batch"]}

    def get_authenticators(self):
        defaults: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
        return [DepartmentTokenAuthentication(), *(a() for a in defaults)]

    @extend_schema(
        request={"multipart/form-data": PushBody},
        parameters=[OpenApiParameter("source", str, OpenApiParameter.PATH, enum=sorted(BY_CODE))],
        responses={201: BatchSerializer, 200: BatchSerializer, 400: dict, 403: dict, 404: dict, 409: dict},
        description=_(
            "提交一个数据批次(xlsx 或 CSV)。同一批次号、相同内容:返回已接收的批次(200);"
            "同一批次号、不同内容:409,不作任何处理;任何一行有错:400,列出每一行的错误,不导入任何数据。"
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        # any segment reaches the view, so an unknown source is the API's JSON 404, not the site's page
        url_path=r"push/(?P<source>[^/.]+)",
        parser_classes=[MultiPartParser],
    )
    def push(self, request, source: str):
        if source not in BY_CODE:
            raise exceptions.NotFound(_("数据源不存在"))
        user = request.user
        token = user.token if isinstance(user, DepartmentPrincipal) else None
        actor = SystemActor(f"datahub.push:{token.department.code}") if token is not None else user
        try:
            upload = uploaded_file(request, _("请上传 xlsx 或 CSV 文件(字段名 file)"))
            received = services.receive_batch(
                actor,
                source,
                content=upload.read(),
                filename=upload.name or "batch",
                batch_id=str(request.data.get("batch_id", "") or ""),
                channel="api",
                token=token,
            )
        except services.SourceForbidden:
            raise exceptions.PermissionDenied(_("无权提交该数据源")) from None
        except services.BatchConflict as exc:
            return Response({"detail": str(exc), "batch": exc.batch.pk}, status=status.HTTP_409_CONFLICT)
        except services.BatchRejected as exc:
            response = import_rejected_response(exc)
            if exc.batch is not None:
                response.data["batch"] = exc.batch.pk
            return response
        except ImportRejected as exc:
            return import_rejected_response(exc)
        code = status.HTTP_201_CREATED if received.created else status.HTTP_200_OK
        return Response(BatchSerializer(received.batch).data, status=code)


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = Run
        fields = [
            "id",
            "status",
            "stage",
            "progress",
            "rules",
            "sources",
            "counts",
            "findings_new",
            "findings_repeated",
            "findings_suppressed",
            "findings_dispatched",
            "started_label",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class StartRunBody(serializers.Serializer):
    rules = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=50)
    sources = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=20)


class RunViewSet(ScopedReadOnlyViewSet):
    queryset = Run.objects.order_by("-created_at", "-id")
    serializer_class = RunSerializer
    filterset_fields = ["status"]
    action_permissions = {"start": ["datahub.start_run"]}

    @extend_schema(request=StartRunBody, responses={202: RunSerializer})
    @action(detail=False, methods=["post"])
    def start(self, request):
        body = self.body(StartRunBody)
        try:
            run = services.start_run(request.user, rules=body.get("rules"), sources=body.get("sources"))
        except ServiceError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from None
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class FindingSerializer(serializers.ModelSerializer):
    rule_name = serializers.SerializerMethodField()
    work_order_number = serializers.CharField(source="work_order.number", read_only=True, default="")

    class Meta:
        model = Finding
        fields = [
            "id",
            "rule",
            "rule_name",
            "severity",
            "status",
            "area_path",
            "subject_key",
            "evidence",
            "explanation",
            "match_probability",
            "run",
            "last_run",
            "work_order",
            "work_order_number",
            "verification_note",
            "outcome_note",
            "outcome_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_rule_name(self, obj: Finding) -> str:
        return str(rule_meta(obj.rule).name)


class FindingViewSet(ScopedReadOnlyViewSet):
    """Findings of the caller's area (and, for a department, of the rules reading its sources). The
    records themselves are shown on the finding page, masked; `subject_key` names them by blind index."""

    queryset = Finding.objects.select_related("work_order").order_by("-created_at", "-id")
    serializer_class = FindingSerializer
    filterset_fields = ["rule", "severity", "status"]
