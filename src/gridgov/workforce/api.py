"""Workforce API on the generic layer (core/api.py): staff and their careers, grid assignments, trainings,
the competition, payroll, the salary scale, checks and figures. Querysets are narrowed to the requester,
related ids resolved in the requester's scope, every write is a service."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from gridgov.areas.checks import CheckViewSetBase, FiguresViewSetBase
from gridgov.areas.models import Area, Level
from gridgov.core.api import (
    XLSX_DOWNLOAD,
    ScopedReadOnlyViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    uploaded_file,
    validated_body,
)
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import write_sheet
from gridgov.people.models import Resident

from . import queries, services
from .columns import RATE_EXPORT_COLUMNS, SCALE_TITLE
from .filters import GridAssignmentFilter, GridLinkFilter, PayrollFilter, StaffFilter, TrainingFilter
from .indicators import CODES
from .models import (
    CertificateKind,
    Competition,
    CompetitionRound,
    GridAssignment,
    GridLink,
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

UPLOAD = {
    "multipart/form-data": inline_serializer("WorkforceImportUpload", {"file": serializers.FileField()})
}


# --- staff and their careers -----------------------------------------------------------------------------
class PositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PositionRecord
        fields = ["post", "started_on", "ended_on", "note"]
        read_only_fields = fields


class StaffSerializer(ScopedModelSerializer):
    community = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.COMMUNITY))
    # Someone living elsewhere in the city is taken on through the import, by full ID number.
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.filter(is_active=True))
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
        validators: list = []  # one staff record per resident: services.hire_staff says so


class PostChangeSerializer(serializers.Serializer):
    post = serializers.ChoiceField(choices=Post.choices)
    on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class CertificateInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    issued_on = serializers.DateField()
    number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class TrainingInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TrainingKind.choices)
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True)
    host_city = serializers.CharField(required=False, allow_blank=True, max_length=50)
    # Studios and salons are municipal or district events: any one may be chosen.
    studio = ScopedPrimaryKeyRelatedField(
        queryset=Studio.objects.unscoped("municipal studios are open to all"), required=False, allow_null=True
    )
    salon = ScopedPrimaryKeyRelatedField(
        queryset=Salon.objects.unscoped("salons are open to all"), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class GridInSerializer(serializers.Serializer):
    grid = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.GRID))
    on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class UnassignSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class UnlinkSerializer(serializers.Serializer):
    grid = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.GRID))
    on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=200)


class EvaluationInSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    fit_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    satisfaction = serializers.DecimalField(max_digits=5, decimal_places=2)
    outcome = serializers.ChoiceField(choices=Outcome.choices)


class ReplaceInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReplacementReason.choices)
    incoming = ScopedPrimaryKeyRelatedField(queryset=Staff.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    on = serializers.DateField(required=False)


class SavedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    detail = serializers.CharField()


class StaffViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """社区工作人员: secretaries, two-committee members, workers, grid workers — and their careers."""

    queryset = (
        Staff.objects.select_related("resident")
        .prefetch_related("positions", "certificates")
        .order_by("area_path", "post", "id")
    )
    serializer_class = StaffSerializer
    filterset_class = StaffFilter
    action_permissions = {
        "change_post": ["workforce.change_staff"],
        "certificate": ["workforce.change_staff"],
        "training": ["workforce.change_staff"],
        "assign_grid": ["workforce.change_staff"],
        "unassign_grid": ["workforce.change_staff"],
        "link_grid": ["workforce.change_staff"],
        "unlink_grid": ["workforce.change_staff"],
        "promote": ["workforce.change_staff"],
        "successor": ["workforce.change_staff"],
        "evaluate": ["workforce.change_staff"],
        "replace": ["workforce.change_staff", "workforce.replace_secretary"],
        "import_xlsx": ["workforce.add_staff", "workforce.import_staff"],
        "export_xlsx": ["workforce.view_staff", "workforce.export_staff"],
    }
    create_service = staticmethod(services.hire_staff)

    def _saved(self, row, status: int = 200) -> Response:
        return Response({"id": row.pk, "detail": _("已保存")}, status=status)

    @extend_schema(request=PostChangeSerializer, responses=SavedSerializer)
    @action(detail=True, methods=["post"], url_path="change-post")
    def change_post(self, request, pk=None):
        """A step on a career ladder: the current spell ends and a new one starts."""
        return self._saved(
            services.change_post(request.user, self.get_object(), **self.body(PostChangeSerializer))
        )

    @extend_schema(request=CertificateInSerializer, responses={201: SavedSerializer})
    @action(detail=True, methods=["post"])
    def certificate(self, request, pk=None):
        data = self.body(CertificateInSerializer)
        return self._saved(services.add_certificate(request.user, self.get_object(), **data), 201)

    @extend_schema(request=TrainingInSerializer, responses={201: SavedSerializer})
    @action(detail=True, methods=["post"])
    def training(self, request, pk=None):
        data = self.body(TrainingInSerializer)
        return self._saved(services.record_training(request.user, self.get_object(), **data), 201)

    @extend_schema(request=GridInSerializer, responses=SavedSerializer)
    @action(detail=True, methods=["post"], url_path="assign-grid")
    def assign_grid(self, request, pk=None):
        """一网一员: put a grid worker on a grid (their previous assignment ends, kept as history)."""
        d = self.body(GridInSerializer)
        row = services.assign_grid(
            request.user, self.get_object(), d["grid"], on=d.get("on"), reason=d["reason"]
        )
        return self._saved(row)

    @extend_schema(request=UnassignSerializer, responses=SavedSerializer)
    @action(detail=True, methods=["post"], url_path="unassign-grid")
    def unassign_grid(self, request, pk=None):
        reason = self.body(UnassignSerializer)["reason"]
        return self._saved(services.unassign_grid(request.user, self.get_object(), reason=reason))

    @extend_schema(request=GridInSerializer, responses={201: SavedSerializer})
    @action(detail=True, methods=["post"], url_path="link-grid")
    def link_grid(self, request, pk=None):
        """两委成员联网格: link a committee member or full-time worker to one more grid of their community."""
        d = self.body(GridInSerializer)
        row = services.link_grid(
            request.user, self.get_object(), d["grid"], on=d.get("on"), reason=d["reason"]
        )
        return self._saved(row, 201)

    @extend_schema(request=UnlinkSerializer, responses=SavedSerializer)
    @action(detail=True, methods=["post"], url_path="unlink-grid")
    def unlink_grid(self, request, pk=None):
        """End this staff member's link to a grid (kept as history)."""
        d = self.body(UnlinkSerializer)
        row = services.unlink_grid(
            request.user, self.get_object(), d["grid"], reason=d["reason"], on=d.get("on")
        )
        return self._saved(row)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "Promoted", {"id": serializers.IntegerField(), "grade": serializers.IntegerField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        """Apply the grade rules (years of service, education, qualifications) of the scale in force."""
        staff = services.promote_staff(request.user, self.get_object())
        return Response({"id": staff.pk, "grade": staff.grade})

    @extend_schema(request=None, responses={201: SavedSerializer})
    @action(detail=True, methods=["post"])
    def successor(self, request, pk=None):
        """Designate as the community's reserve successor (后备人才)."""
        return self._saved(services.designate_successor(request.user, self.get_object()), 201)

    @extend_schema(request=EvaluationInSerializer, responses={201: SavedSerializer})
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """履职评估: person–post fit, residents' satisfaction, outcome."""
        data = self.body(EvaluationInSerializer)
        return self._saved(services.evaluate(request.user, self.get_object(), **data), 201)

    @extend_schema(request=ReplaceInSerializer, responses={201: SavedSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """Replace this secretary (with the reason); the incoming staff member takes the post."""
        data = self.body(ReplaceInSerializer)
        return self._saved(services.replace_secretary(request.user, self.get_object(), **data), 201)

    @extend_schema(request=UPLOAD, responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        result = services.import_staff(request.user, uploaded_file(request))
        return Response({"staff": result.staff}, status=201)

    @extend_schema(responses=XLSX_DOWNLOAD)
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        qs = self.filter_queryset(self.get_queryset())
        return xlsx_response(services.export_staff(request.user, qs), "staff.xlsx")


# A staff member's spell on a grid, as both kinds list it (read-only; the names shown beside the ids).
SPELL_FIELDS = [
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


class GridSpellSerializer(ScopedModelSerializer):
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    staff_name = serializers.CharField(source="staff.resident.name", read_only=True)


def _spells(model):
    return model.objects.select_related("grid", "staff__resident").order_by("area_path", "-started_on", "id")


class GridAssignmentSerializer(GridSpellSerializer):
    class Meta:
        model = GridAssignment
        fields = SPELL_FIELDS
        read_only_fields = fields


class GridAssignmentViewSet(ScopedReadOnlyViewSet):
    """Grid assignments, current and past (history of reassignments)."""

    queryset = _spells(GridAssignment)
    serializer_class = GridAssignmentSerializer
    filterset_class = GridAssignmentFilter


class GridLinkSerializer(GridSpellSerializer):
    staff_post = serializers.CharField(source="staff.post", read_only=True)

    class Meta:
        model = GridLink
        fields = [*SPELL_FIELDS[:3], "staff_post", *SPELL_FIELDS[3:]]
        read_only_fields = fields


class GridLinkViewSet(ScopedReadOnlyViewSet):
    """两委成员联网格 (挂包): committee members' links to grids, current and past."""

    queryset = _spells(GridLink)
    serializer_class = GridLinkSerializer
    filterset_class = GridLinkFilter


class TrainingSerializer(ScopedModelSerializer):
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
        read_only_fields = fields


class TrainingViewSet(ScopedReadOnlyViewSet):
    queryset = Training.objects.order_by("-started_on", "id")
    serializer_class = TrainingSerializer
    filterset_class = TrainingFilter


# --- the secretaries' competition, studios and salons ----------------------------------------------------
class CompetitionSerializer(ScopedModelSerializer):
    district = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.DISTRICT))

    class Meta:
        model = Competition
        fields = ["id", "district", "title", "year", "area_path"]
        read_only_fields = ["area_path"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["district"].read_only = True  # a competition stays in its district


class RoundSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(min_value=1, max_value=99, required=False)

    class Meta:
        model = CompetitionRound
        fields = ["id", "number", "held_on"]


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    presentation = serializers.IntegerField(source="pk")
    staff = serializers.IntegerField(source="staff_id")
    name = serializers.CharField(source="staff.resident.name")
    community = serializers.CharField(source="staff.community.name")
    mean = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    judges = serializers.IntegerField()


class CompetitionViewSet(ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    """擂台赛 per district (create, update, add rounds); `ranking` lists presenters by mean judges' score."""

    queryset = Competition.objects.order_by("-year", "area_path")
    serializer_class = CompetitionSerializer
    action_permissions = {"add_round": ["workforce.view_competition", "workforce.add_competitionround"]}
    create_service = staticmethod(services.create_competition)

    def update_service(self, actor, competition, **data):
        data = {"title": competition.title, "year": competition.year, **data}
        return services.update_competition(actor, competition, title=data["title"], year=data["year"])

    @extend_schema(request=RoundSerializer, responses={201: RoundSerializer})
    @action(detail=True, methods=["post"], url_path="rounds")
    def add_round(self, request, pk=None):
        """Add a round (场次); without a number it is the next one."""
        d = self.body(RoundSerializer)
        row = services.add_round(
            request.user, self.get_object(), held_on=d["held_on"], number=d.get("number")
        )
        return Response(RoundSerializer(row).data, status=201)

    @extend_schema(responses=RankingRowSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def ranking(self, request, pk=None):
        """Every presentation of the competition by mean judges' score, best first (a plain list)."""
        rows = queries.ranking(
            Presentation.objects.visible_to(request.user).filter(round__competition=self.get_object())
        )
        return Response(RankingRowSerializer(rows, many=True).data)


class PresentationSerializer(ScopedModelSerializer):
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Presentation
        fields = ["id", "round", "staff", "topic", "area_path", "scores"]
        read_only_fields = fields

    def get_scores(self, obj) -> list[dict]:
        return [{"judge": s.judge, "score": str(s.score)} for s in obj.scores.all()]


class JudgeScoreSerializer(serializers.Serializer):
    judge = serializers.CharField(max_length=50)
    score = serializers.DecimalField(max_digits=5, decimal_places=2)


class PresentationViewSet(ScopedReadOnlyViewSet):
    queryset = Presentation.objects.prefetch_related("scores").order_by("round", "id")
    serializer_class = PresentationSerializer
    action_permissions = {"score": ["workforce.change_presentation"]}

    @extend_schema(request=JudgeScoreSerializer, responses={201: JudgeScoreSerializer})
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        row = services.score_presentation(request.user, self.get_object(), **self.body(JudgeScoreSerializer))
        return Response(JudgeScoreSerializer(row).data, status=201)


class StudioSerializer(ScopedModelSerializer):
    community = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.filter(level=Level.COMMUNITY), write_only=True
    )
    lead = ScopedPrimaryKeyRelatedField(queryset=Staff.objects.all(), required=False, allow_null=True)
    # Unique across the city: services.create_studio / update_studio say so (checked under lock).
    name = serializers.CharField(max_length=100)

    class Meta:
        model = Studio
        fields = ["id", "name", "community", "lead", "training_base", "established_on", "area_path"]
        read_only_fields = ["area_path"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["community"].read_only = True  # the hosting community does not move


class StudioViewSet(ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    """书记工作室 (path: the hosting community) with its training base."""

    queryset = Studio.objects.order_by("name")
    serializer_class = StudioSerializer
    create_service = staticmethod(services.create_studio)

    def update_service(self, actor, studio, **data):
        stored = {f: getattr(studio, f) for f in ("name", "training_base", "lead", "established_on")}
        return services.update_studio(actor, studio, **{**stored, **data})


class SalonSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), write_only=True)

    class Meta:
        model = Salon
        fields = ["id", "title", "held_on", "area", "area_path"]
        read_only_fields = ["area_path"]


class SalonViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """书记沙龙 sessions (path: the city, district or street that held it)."""

    queryset = Salon.objects.order_by("-held_on", "id")
    serializer_class = SalonSerializer
    create_service = staticmethod(services.create_salon)


# --- payroll and the salary scale ------------------------------------------------------------------------
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
            "performance_note",
            "allowance",
            "total",
        ]
        read_only_fields = fields


class PayrollSerializer(ScopedModelSerializer):
    community = ScopedPrimaryKeyRelatedField(queryset=Area.objects.filter(level=Level.COMMUNITY))
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
            "performance_source",
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
            "performance_source",
        ]
        validators: list = []  # once per community and month: services.compute_payroll says so


class PayrollViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Monthly payroll per community (POST computes it once), with the city/district finance split."""

    queryset = Payroll.objects.prefetch_related("lines__staff__resident").order_by("-month", "area_path")
    serializer_class = PayrollSerializer
    filterset_class = PayrollFilter
    action_permissions = {
        "create": ["workforce.add_payroll", "workforce.compute_payroll"],
        "export_xlsx": ["workforce.view_payroll"],
    }
    create_service = staticmethod(services.compute_payroll)

    @extend_schema(responses=XLSX_DOWNLOAD)
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
        read_only_fields = fields


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
        read_only_fields = fields


class ScaleImportSerializer(serializers.Serializer):
    """The form fields that come with the xlsx; the service checks the name and the share (its messages)."""

    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    effective_from = serializers.DateField()
    city_share = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


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
        data = validated_body(request, ScaleImportSerializer)
        scale = services.import_salary_scale(request.user, uploaded_file(request), **data)
        return Response({"id": scale.pk, "rates": scale.rates.count()}, status=201)

    @extend_schema(responses=XLSX_DOWNLOAD)
    @action(detail=True, methods=["get"], url_path="export")
    def export_xlsx(self, request, pk=None):
        scale = self.get_object()
        return xlsx_response(
            write_sheet(str(SCALE_TITLE), RATE_EXPORT_COLUMNS, queries.scale_rows(scale)),
            f"salary-scale-{scale.effective_from}.xlsx",
        )


# --- checks and figures ----------------------------------------------------------------------------------
# The list of checks and one check's rows are two operations (a ViewSet without a serializer reads both as
# "retrieve" otherwise).
@extend_schema_view(
    list=extend_schema(operation_id="workforce_checks_list"),
    retrieve=extend_schema(operation_id="workforce_checks_retrieve"),
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
