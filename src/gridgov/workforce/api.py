"""Workforce API: staff and their careers, grid assignments, trainings, the competition, payroll,
the salary scale, checks and figures. Scoped rows start from visible_to(user)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.checks import CheckViewSetBase, FiguresViewSetBase
from gridgov.areas.models import Area, Level
from gridgov.core.api import ScopedViewSetMixin, import_rejected_response, uploaded_file
from gridgov.core.services import ImportRejected
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import write_sheet
from gridgov.people.models import Resident

from . import queries, services
from .columns import RATE_EXPORT_COLUMNS, SCALE_TITLE
from .filters import GridAssignmentFilter, PayrollFilter, StaffFilter, TrainingFilter
from .indicators import CODES
from .models import (
    CertificateKind,
    Competition,
    CompetitionRound,
    GridAssignment,
    Outcome,
    Payroll,
    PayrollLine,
    PositionRecord,
    Post,
    Presentation,
    ReplacementReason,
    SalaryRate,
    SalaryScale,
    Salon,
    Staff,
    Studio,
    Training,
    TrainingKind,
)


def _visible(request, model):
    return model.objects.visible_to(request.user)


UPLOAD = {
    "multipart/form-data": inline_serializer("WorkforceImportUpload", {"file": serializers.FileField()})
}


def import_response(func, request, ok):
    """Run an import on the uploaded file: 201 with `ok(result)`, or the one import-rejection answer."""
    try:
        result = func(request.user, uploaded_file(request))
    except ImportRejected as exc:
        return import_rejected_response(exc)
    return Response(ok(result), status=201)


class PositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PositionRecord
        fields = ["post", "started_on", "ended_on", "note"]


class StaffSerializer(serializers.ModelSerializer):
    resident = serializers.PrimaryKeyRelatedField(queryset=Resident.objects.none())
    community = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    name = serializers.CharField(source="resident.name", read_only=True)
    positions = PositionSerializer(many=True, read_only=True)
    certificates: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="kind", many=True, read_only=True
    )

    class Meta:
        model = Staff
        fields = [
            "id",
            "resident",
            "name",
            "community",
            "area_path",
            "post",
            "source",
            "education",
            "hired_on",
            "category",
            "grade",
            "is_active",
            "left_on",
            "positions",
            "certificates",
        ]
        read_only_fields = ["area_path", "category", "grade", "is_active", "left_on"]
        validators: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["community"].queryset = Area.objects.visible_to(request.user).filter(
                level=Level.COMMUNITY
            )  # type: ignore[attr-defined]
            # Choices stay inside the user's scope (fail closed); someone living elsewhere in the city
            # is taken on through the import, by full ID number.
            self.fields["resident"].queryset = Resident.objects.visible_to(request.user).filter(
                is_active=True
            )  # type: ignore[attr-defined]

    def create(self, validated_data):
        return services.hire_staff(
            self.context["request"].user,
            resident=validated_data["resident"],
            community=validated_data["community"],
            post=validated_data["post"],
            education=validated_data["education"],
            hired_on=validated_data["hired_on"],
            source=validated_data.get("source", ""),
        )


class PostChangeSerializer(serializers.Serializer):
    post = serializers.ChoiceField(choices=Post.choices)
    on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CertificateInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    issued_on = serializers.DateField()
    number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class TrainingInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TrainingKind.choices)
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True)
    host_city = serializers.CharField(required=False, allow_blank=True, max_length=50)
    studio = serializers.PrimaryKeyRelatedField(
        queryset=Studio.objects.none(), required=False, allow_null=True
    )
    salon = serializers.PrimaryKeyRelatedField(queryset=Salon.objects.none(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Studios and salons are municipal or district events: any one may be chosen.
        self.fields["studio"].queryset = Studio.objects.unscoped("municipal studios are open to all")  # type: ignore[attr-defined]
        self.fields["salon"].queryset = Salon.objects.unscoped("salons are open to all")  # type: ignore[attr-defined]


class GridInSerializer(serializers.Serializer):
    grid = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["grid"].queryset = Area.objects.visible_to(request.user).filter(level=Level.GRID)  # type: ignore[attr-defined]


class EvaluationInSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    fit_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    satisfaction = serializers.DecimalField(max_digits=5, decimal_places=2)
    outcome = serializers.ChoiceField(choices=Outcome.choices)


class ReplaceInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReplacementReason.choices)
    incoming = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.none(), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    on = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["incoming"].queryset = Staff.objects.visible_to(request.user)  # type: ignore[attr-defined]


class StaffViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """社区工作人员: secretaries, two-committee members, workers, grid workers — and their careers."""

    queryset_model = Staff
    serializer_class = StaffSerializer
    filterset_class = StaffFilter
    action_permissions = {
        "change_post": ["workforce.change_staff"],
        "certificate": ["workforce.change_staff"],
        "training": ["workforce.change_staff"],
        "assign_grid": ["workforce.change_staff"],
        "unassign_grid": ["workforce.change_staff"],
        "promote": ["workforce.change_staff"],
        "successor": ["workforce.change_staff"],
        "evaluate": ["workforce.change_staff"],
        "replace": ["workforce.change_staff", "workforce.replace_secretary"],
        "import_xlsx": ["workforce.add_staff", "workforce.import_staff"],
        "export_xlsx": ["workforce.view_staff", "workforce.export_staff"],
    }

    def get_queryset(self):
        return (
            self.base_queryset()
            .select_related("resident")
            .prefetch_related("positions", "certificates")
            .order_by("area_path", "post", "id")
        )

    def _act(self, serializer_class, func, status=200):
        staff = self.get_object()
        data = serializer_class(data=self.request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        result = func(staff, data.validated_data)
        return Response({"id": result.pk, "detail": _("已保存")}, status=status)

    @extend_schema(request=PostChangeSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="change-post")
    def change_post(self, request, pk=None):
        """A step on a career ladder: the current spell ends and a new one starts."""
        return self._act(
            PostChangeSerializer,
            lambda s, d: services.change_post(
                request.user, s, post=d["post"], on=d.get("on"), note=d.get("note", "")
            ),
        )

    @extend_schema(request=CertificateInSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def certificate(self, request, pk=None):
        return self._act(
            CertificateInSerializer, lambda s, d: services.add_certificate(request.user, s, **d), 201
        )

    @extend_schema(request=TrainingInSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def training(self, request, pk=None):
        return self._act(
            TrainingInSerializer, lambda s, d: services.record_training(request.user, s, **d), 201
        )

    @extend_schema(request=GridInSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="assign-grid")
    def assign_grid(self, request, pk=None):
        """一网一员: put a grid worker on a grid (their previous assignment ends, kept as history)."""
        return self._act(
            GridInSerializer,
            lambda s, d: services.assign_grid(
                request.user, s, d["grid"], on=d.get("on"), reason=d.get("reason", "")
            ),
        )

    @extend_schema(
        request=inline_serializer("Unassign", {"reason": serializers.CharField()}),
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["post"], url_path="unassign-grid")
    def unassign_grid(self, request, pk=None):
        staff = self.get_object()
        return Response(
            {"id": services.unassign_grid(request.user, staff, reason=str(request.data.get("reason", ""))).pk}
        )

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        """Apply the grade rules (years of service, education, qualifications) of the scale in force."""
        staff = services.promote_staff(request.user, self.get_object())
        return Response({"id": staff.pk, "grade": staff.grade})

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def successor(self, request, pk=None):
        """Designate as the community's reserve successor (后备人才)."""
        return Response({"id": services.designate_successor(request.user, self.get_object()).pk}, status=201)

    @extend_schema(request=EvaluationInSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """履职评估: person–post fit, residents' satisfaction, outcome."""
        return self._act(EvaluationInSerializer, lambda s, d: services.evaluate(request.user, s, **d), 201)

    @extend_schema(request=ReplaceInSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """Replace this secretary (with the reason); the incoming staff member takes the post."""
        return self._act(
            ReplaceInSerializer,
            lambda s, d: services.replace_secretary(
                request.user,
                s,
                reason=d["reason"],
                incoming=d.get("incoming"),
                note=d.get("note", ""),
                on=d.get("on"),
            ),
            201,
        )

    @extend_schema(request=UPLOAD, responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        return import_response(services.import_staff, request, lambda r: {"staff": r.staff})

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        qs = self.filter_queryset(self.base_queryset())
        return xlsx_response(services.export_staff(request.user, qs), "staff.xlsx")


class GridAssignmentSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    staff_name = serializers.CharField(source="staff.resident.name", read_only=True)

    class Meta:
        model = GridAssignment
        fields = [
            "id",
            "staff",
            "staff_name",
            "grid",
            "grid_name",
            "area_path",
            "started_on",
            "ended_on",
            "reason",
        ]


class GridAssignmentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Grid assignments, current and past (history of reassignments)."""

    queryset_model = GridAssignment
    serializer_class = GridAssignmentSerializer
    filterset_class = GridAssignmentFilter

    def get_queryset(self):
        return (
            self.base_queryset()
            .select_related("grid", "staff__resident")
            .order_by("area_path", "-started_on", "id")
        )


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Training
        fields = [
            "id",
            "staff",
            "kind",
            "started_on",
            "ended_on",
            "host_city",
            "studio",
            "salon",
            "note",
            "area_path",
        ]


class TrainingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Training
    serializer_class = TrainingSerializer
    filterset_class = TrainingFilter

    def get_queryset(self):
        return self.base_queryset().order_by("-started_on", "id")


class CompetitionSerializer(serializers.ModelSerializer):
    district = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())

    class Meta:
        model = Competition
        fields = ["id", "district", "title", "year", "area_path"]
        read_only_fields = ["area_path"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["district"].queryset = Area.objects.visible_to(request.user).filter(
                level=Level.DISTRICT
            )  # type: ignore[attr-defined]
        if self.instance is not None:
            self.fields["district"].read_only = True  # a competition stays in its district

    def create(self, validated_data):
        return services.create_competition(
            self.context["request"].user,
            validated_data["district"],
            title=validated_data["title"],
            year=validated_data["year"],
        )

    def update(self, instance, validated_data):
        return services.update_competition(
            self.context["request"].user,
            instance,
            title=validated_data.get("title", instance.title),
            year=validated_data.get("year", instance.year),
        )


class RoundSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(min_value=1, max_value=99, required=False)

    class Meta:
        model = CompetitionRound
        fields = ["id", "number", "held_on"]


class CompetitionViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """擂台赛 per district (create, update, add rounds); `ranking` lists presenters by mean judges' score."""

    queryset_model = Competition
    serializer_class = CompetitionSerializer
    action_permissions = {
        "add_round": ["workforce.view_competition", "workforce.add_competitionround"],
    }

    def get_queryset(self):
        return self.base_queryset().order_by("-year", "area_path")

    @extend_schema(request=RoundSerializer, responses={201: RoundSerializer})
    @action(detail=True, methods=["post"], url_path="rounds")
    def add_round(self, request, pk=None):
        """Add a round (场次); without a number it is the next one."""
        competition = self.get_object()
        data = RoundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.add_round(
            request.user,
            competition,
            held_on=data.validated_data["held_on"],
            number=data.validated_data.get("number"),
        )
        return Response(RoundSerializer(row).data, status=201)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        competition = self.get_object()
        rows = queries.ranking(
            Presentation.objects.visible_to(request.user).filter(round__competition=competition)
        )
        return Response(
            [
                {
                    "rank": r.rank,
                    "presentation": r.pk,
                    "staff": r.staff_id,
                    "name": r.staff.resident.name,
                    "community": r.staff.community.name,
                    "mean": str(r.mean) if r.mean is not None else None,
                    "judges": r.judges,
                }  # type: ignore[attr-defined]
                for r in rows
            ]
        )


class PresentationSerializer(serializers.ModelSerializer):
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Presentation
        fields = ["id", "round", "staff", "topic", "area_path", "scores"]

    def get_scores(self, obj) -> list[dict]:
        return [{"judge": s.judge, "score": str(s.score)} for s in obj.scores.all()]


class PresentationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Presentation
    serializer_class = PresentationSerializer
    action_permissions = {"score": ["workforce.change_presentation"]}

    def get_queryset(self):
        return self.base_queryset().prefetch_related("scores").order_by("round", "id")

    @extend_schema(
        request=inline_serializer(
            "JudgeScoreIn",
            {
                "judge": serializers.CharField(),
                "score": serializers.DecimalField(max_digits=5, decimal_places=2),
            },
        ),
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        row = services.score_presentation(
            request.user,
            self.get_object(),
            judge=str(request.data.get("judge", "")),
            score=request.data.get("score", ""),
        )
        return Response({"judge": row.judge, "score": str(row.score)}, status=201)


class StudioSerializer(serializers.ModelSerializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), write_only=True)
    lead = serializers.PrimaryKeyRelatedField(queryset=Staff.objects.none(), required=False, allow_null=True)

    class Meta:
        model = Studio
        fields = ["id", "name", "community", "lead", "training_base", "established_on", "area_path"]
        read_only_fields = ["area_path"]
        validators: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["community"].queryset = Area.objects.visible_to(request.user).filter(
                level=Level.COMMUNITY
            )  # type: ignore[attr-defined]
            self.fields["lead"].queryset = Staff.objects.visible_to(request.user)  # type: ignore[attr-defined]
        if self.instance is not None:
            self.fields["community"].read_only = True  # the hosting community does not move
        # Uniqueness is the service's job (a clear Chinese message, checked under lock).
        self.fields["name"].validators = []

    def create(self, validated_data):
        return services.create_studio(
            self.context["request"].user,
            validated_data["community"],
            name=validated_data["name"],
            training_base=validated_data.get("training_base", ""),
            lead=validated_data.get("lead"),
            established_on=validated_data.get("established_on"),
        )

    def update(self, instance, validated_data):
        return services.update_studio(
            self.context["request"].user,
            instance,
            name=validated_data.get("name", instance.name),
            training_base=validated_data.get("training_base", instance.training_base),
            lead=validated_data.get("lead", instance.lead),
            established_on=validated_data.get("established_on", instance.established_on),
        )


class StudioViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """书记工作室 (path: the hosting community) with its training base."""

    queryset_model = Studio
    serializer_class = StudioSerializer

    def get_queryset(self):
        return self.base_queryset().order_by("name")


class SalonSerializer(serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none(), write_only=True)

    class Meta:
        model = Salon
        fields = ["id", "title", "held_on", "area", "area_path"]
        read_only_fields = ["area_path"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["area"].queryset = Area.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def create(self, validated_data):
        return services.create_salon(
            self.context["request"].user,
            validated_data["area"],
            title=validated_data["title"],
            held_on=validated_data["held_on"],
        )


class SalonViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """书记沙龙 sessions (path: the city, district or street that held it)."""

    queryset_model = Salon
    serializer_class = SalonSerializer

    def get_queryset(self):
        return self.base_queryset().order_by("-held_on", "id")


class PayrollLineSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="staff.resident.name", read_only=True)

    class Meta:
        model = PayrollLine
        fields = [
            "staff",
            "name",
            "category",
            "grade",
            "post_pay",
            "grade_pay",
            "performance_pay",
            "allowance",
            "total",
        ]


class PayrollSerializer(serializers.ModelSerializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    lines = PayrollLineSerializer(many=True, read_only=True)

    class Meta:
        model = Payroll
        fields = [
            "id",
            "community",
            "month",
            "scale",
            "total",
            "city_amount",
            "district_amount",
            "headcount",
            "area_path",
            "computed_at",
            "lines",
        ]
        read_only_fields = [
            "scale",
            "total",
            "city_amount",
            "district_amount",
            "headcount",
            "area_path",
            "computed_at",
        ]
        validators: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["community"].queryset = Area.objects.visible_to(request.user).filter(
                level=Level.COMMUNITY
            )  # type: ignore[attr-defined]

    def create(self, validated_data):
        return services.compute_payroll(
            self.context["request"].user, validated_data["community"], validated_data["month"]
        )


class PayrollViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Monthly payroll per community (POST computes it once), with the city/district finance split."""

    queryset_model = Payroll
    serializer_class = PayrollSerializer
    filterset_class = PayrollFilter
    action_permissions = {
        "create": ["workforce.add_payroll", "workforce.compute_payroll"],
        "export_xlsx": ["workforce.view_payroll"],
    }

    def get_queryset(self):
        return self.base_queryset().prefetch_related("lines__staff__resident").order_by("-month", "area_path")

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="export")
    def export_xlsx(self, request, pk=None):
        payroll = self.get_object()
        return xlsx_response(
            services.export_payroll(request.user, payroll), f"payroll-{payroll.month:%Y-%m}.xlsx"
        )


class SalaryRateSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = SalaryRate
        fields = ["category", "grade", "post_pay", "grade_pay", "performance_pay", "allowance", "total"]


class SalaryScaleSerializer(serializers.ModelSerializer):
    rates = SalaryRateSerializer(many=True, read_only=True)

    class Meta:
        model = SalaryScale
        fields = [
            "id",
            "name",
            "effective_from",
            "city_share",
            "years_per_grade",
            "education_grades",
            "certificate_grades",
            "rates",
        ]


class SalaryScaleViewSet(viewsets.ReadOnlyModelViewSet):
    """The 3 posts × 18 grades table, one version per start date (city-wide reference data)."""

    serializer_class = SalaryScaleSerializer
    queryset = SalaryScale.objects.prefetch_related("rates").order_by("-effective_from")
    action_permissions = {
        "import_xlsx": ["workforce.add_salaryscale", "workforce.import_salaryscale"],
        "export_xlsx": ["workforce.view_salaryscale"],
    }

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ScaleUpload",
                {
                    "file": serializers.FileField(),
                    "name": serializers.CharField(),
                    "effective_from": serializers.DateField(),
                    "city_share": serializers.DecimalField(max_digits=4, decimal_places=3),
                },
            )
        },
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """A new scale version from xlsx (every cell of 3 × 18 exactly once; nothing saved on any error)."""
        try:
            effective_from = dt.date.fromisoformat(str(request.data.get("effective_from", "")))
        except ValueError:
            return Response({"detail": _("生效日期格式应为 2025-01-01"), "errors": []}, status=400)
        return import_response(
            lambda user, upload: services.import_salary_scale(
                user,
                upload,
                name=str(request.data.get("name", "")),
                effective_from=effective_from,
                city_share=request.data.get("city_share", ""),
            ),
            request,
            lambda scale: {"id": scale.pk, "rates": scale.rates.count()},
        )

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="export")
    def export_xlsx(self, request, pk=None):
        scale = self.get_object()
        return xlsx_response(
            write_sheet(str(SCALE_TITLE), RATE_EXPORT_COLUMNS, queries.scale_rows(scale)),
            f"salary-scale-{scale.effective_from}.xlsx",
        )


class WorkforceCheckViewSet(CheckViewSetBase):
    checks = queries.CHECKS
    view_permission = "workforce.view_staff"


class WorkforceFiguresViewSet(FiguresViewSetBase):
    codes = CODES
    view_permission = "workforce.view_staff"

    def more_figures(self, values: dict) -> dict:
        corps = values["wf_corps"]
        share = (
            (Decimal(values["wf_qualified"]) * 100 / corps).quantize(Decimal("0.1")) if corps else Decimal(0)
        )
        return {"qualified_share_percent": str(share)}
