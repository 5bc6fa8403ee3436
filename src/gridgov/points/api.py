"""Points API on the generic layer (core/api.py): class-level querysets narrowed to the requester (the
merchant rules live in the models' `scope_rule`), related ids resolved in the requester's scope, every
write through a service, every body and query parameter read through a serializer field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from gridgov.areas.models import Area, Level
from gridgov.core.api import ScopedReadOnlyViewSet, ServiceCreateMixin, ServiceUpdateMixin, validated_body
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from gridgov.core.views import xlsx_response
from gridgov.core.xlsx import XLSX_CONTENT_TYPE
from gridgov.people.models import CorrectionField, CorrectionRequest
from gridgov.workforce.models import Staff

from . import queries, services
from .models import (
    Account,
    Activity,
    EarningRule,
    Entry,
    GridScoreRule,
    Merchant,
    MerchantKind,
    MonthClose,
    Participation,
    Redemption,
    Scenario,
    StaffAward,
    Transaction,
    with_balances,
)
from .services.gridscore import COUNTS as GRID_COUNTS
from .services.gridscore import RULE_WEIGHTS

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=gettext_lazy("幂等键(也可放在请求体 idempotency_key 中);重复提交返回同一结果"),
)


def _key(request, data: dict) -> str:
    """The caller's idempotency key (header first, then the body), namespaced per user."""
    key = request.headers.get("Idempotency-Key") or data.get("idempotency_key") or ""
    if not key:
        raise serializers.ValidationError({"idempotency_key": _("缺少幂等键")})
    return f"api:{request.user.pk}:{key}"[:120]


# --- serializers -----------------------------------------------------------------------------------------
class OwnerFields(serializers.Serializer):
    """`defined_above`: who defined an item that applies here from above (上级（市级）), '' when it lies in
    the user's area; `editable`: whether this user's level owns (and may change) it."""

    defined_above = serializers.SerializerMethodField()
    editable = serializers.SerializerMethodField()

    def get_defined_above(self, obj) -> str:
        return queries.owner_label(obj.area_path, self.context["request"].user)

    def get_editable(self, obj) -> bool:
        return not self.get_defined_above(obj)


class AccountSerializer(ScopedModelSerializer):
    balance = serializers.IntegerField(read_only=True)

    class Meta:
        model = Account
        fields = ["id", "owner_kind", "owner_id", "name", "area_path", "balance", "slots"]


class EntrySerializer(ScopedModelSerializer):
    kind = serializers.CharField(source="transaction.kind", read_only=True)
    memo = serializers.CharField(source="transaction.memo", read_only=True)

    class Meta:
        model = Entry
        fields = ["id", "transaction", "kind", "memo", "amount", "expires_on", "created_at"]


class LegSerializer(serializers.Serializer):
    """One leg of a transaction: the account and its signed points."""

    account = serializers.IntegerField(source="account_id")
    amount = serializers.IntegerField()


class TransactionSerializer(ScopedModelSerializer):
    entries = LegSerializer(many=True, read_only=True)

    class Meta:
        model = Transaction
        fields = ["id", "idempotency_key", "kind", "memo", "area_path", "created_at", "reverses", "entries"]


class MerchantSerializer(ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())

    class Meta:
        model = Merchant
        fields = ["id", "name", "kind", "area", "area_path", "is_active"]
        read_only_fields = ["area_path", "is_active"]


class ScenarioSerializer(OwnerFields, ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())
    eligible_groups = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    merchant_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=MerchantKind.choices), required=False
    )

    class Meta:
        model = Scenario
        fields = [
            "id",
            "code",
            "name",
            "category",
            "price",
            "stock",
            "monthly_limit",
            "eligible_groups",
            "merchant_kinds",
            "area",
            "area_path",
            "is_active",
            "defined_above",
            "editable",
        ]
        # (area, code) stays unique on update too: the generated validator checks it platform-wide.
        read_only_fields = ["area_path"]


class ActivitySerializer(OwnerFields, ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())

    class Meta:
        model = Activity
        fields = [
            "id",
            "title",
            "kind",
            "area",
            "area_path",
            "starts_at",
            "ends_at",
            "capacity",
            "signed_up",
            "defined_above",
            "editable",
        ]
        read_only_fields = ["area_path", "signed_up"]


class ParticipationSerializer(ScopedModelSerializer):
    class Meta:
        model = Participation
        fields = [
            "id",
            "activity",
            "resident",
            "status",
            "minutes",
            "self_reported",
            "role",
            "points",
            "transaction",
            "note",
            "service_date",
            "area_path",
        ]


class RuleSerializer(OwnerFields, ScopedModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())

    class Meta:
        model = EarningRule
        fields = [
            "id",
            "area",
            "area_path",
            "role",
            "activity_kind",
            "points_per_hour",
            "points_per_event",
            "daily_cap",
            "monthly_cap",
            "defined_above",
            "editable",
        ]
        read_only_fields = ["area_path"]
        # services.save_rule owns the one-rule-per-(area, role, kind) rule: a new rule of a taken triple
        # updates it (as the page does), moving a rule onto another's triple is refused with a message.
        validators: list = []


class RedemptionSerializer(ScopedModelSerializer):
    scenario_name = serializers.CharField(source="scenario.name", read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)

    class Meta:
        model = Redemption
        fields = [
            "id",
            "transaction",
            "resident",
            "scenario",
            "scenario_name",
            "merchant",
            "merchant_name",
            "quantity",
            "points",
            "month",
            "area_path",
            "reversed",
            "created_at",
        ]


class StaffAwardSerializer(ScopedModelSerializer):
    staff = ScopedPrimaryKeyRelatedField(queryset=Staff.objects.all())
    # The caller's idempotency key: posting it again returns the award already made (no unique check
    # here; the service stores it as "api:<source>").
    source = serializers.CharField(max_length=116)  # type: ignore[assignment]

    class Meta:
        model = StaffAward
        fields = [
            "id",
            "staff",
            "grid",
            "category",
            "points",
            "ledger_points",
            "reason",
            "source",
            "month",
            "transaction",
            "area_path",
        ]
        read_only_fields = ["grid", "ledger_points", "month", "transaction", "area_path"]


# --- request bodies of the actions -----------------------------------------------------------------------
class SlotsSerializer(serializers.Serializer):
    slots = serializers.IntegerField(min_value=1, label=gettext_lazy("子账户数"))


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, label=gettext_lazy("冲正原因"))
    idempotency_key = serializers.CharField(max_length=100, required=False)


class RedeemSerializer(serializers.Serializer):
    """A merchant account redeems for itself; staff name the merchant. The resident is identified by the
    signed code (`token`) or the 6-digit one-time code (`code`)."""

    merchant = ScopedPrimaryKeyRelatedField(queryset=Merchant.objects.all(), required=False)
    # The catalogue applies from above (a city-wide scenario), so any active scenario may be named; the
    # service checks that it applies where the merchant is.
    scenario = ScopedPrimaryKeyRelatedField(
        queryset=Scenario.objects.unscoped("the catalogue applies below the area that defines it").filter(
            is_active=True
        )
    )
    token = serializers.CharField(required=False, allow_blank=True, max_length=200)
    code = serializers.CharField(required=False, allow_blank=True, max_length=6)
    quantity = serializers.IntegerField(default=1, min_value=1, max_value=100)
    idempotency_key = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs):
        if not attrs.get("token") and not attrs.get("code"):
            raise serializers.ValidationError({"token": _("请扫描居民积分码或输入核销码")})
        return attrs


class ApprovalSerializer(serializers.Serializer):
    # One participation is one day's service: at most 24 hours (absent: the minutes reported).
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False, allow_null=True)


class RejectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MeSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    token = serializers.CharField()
    entries = EntrySerializer(many=True)


class OneTimeCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()


# --- viewsets --------------------------------------------------------------------------------------------
class InheritedReadsMixin:
    """Lists and reads include the items defined at the user's ancestors (they apply here); every write
    finds only the user's own subtree, so an item defined above is 404 to change."""

    def get_queryset(self):
        view: Any = self
        if view.action in ("list", "retrieve"):
            return queries.applicable(view.queryset.model, view.request.user)
        return super().get_queryset()  # type: ignore[misc]


def _merged(instance, serializer_class, data: dict) -> dict:
    """Every writable field of `instance` as stored, overlaid with what the request changes (a PATCH sends
    only some; the save services take them all)."""
    meta = serializer_class.Meta
    writable = [
        f for f in meta.fields if f not in {"id", "defined_above", "editable", *meta.read_only_fields}
    ]
    return {**{f: getattr(instance, f) for f in writable}, **data}


class AccountViewSet(ScopedReadOnlyViewSet):
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    filterset_fields = ["owner_kind"]
    action_permissions = {"split": ["points.split_account"]}

    def get_queryset(self):
        return with_balances(super().get_queryset())

    @extend_schema(responses=EntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def entries(self, request, pk=None):
        """The account's latest 200 entries, newest first."""
        rows = self.get_object().entries.select_related("transaction").order_by("-id")[:200]
        return Response(EntrySerializer(rows, many=True).data)

    @extend_schema(request=SlotsSerializer, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split a hot account into `slots` slots (1 joins it back); its balance is unchanged."""
        account = services.split_account(request.user, self.get_object(), self.body(SlotsSerializer)["slots"])
        return Response(AccountSerializer(account).data)


class TransactionViewSet(ScopedReadOnlyViewSet):
    queryset = Transaction.objects.prefetch_related("entries")
    serializer_class = TransactionSerializer
    action_permissions = {"reverse": ["points.reverse_transaction"]}

    @extend_schema(
        request=ReversalSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: TransactionSerializer}
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        data = self.body(ReversalSerializer)
        tx = services.reverse_transaction(
            request.user, self.get_object(), key=_key(request, data), reason=data["reason"]
        )
        return Response(TransactionSerializer(tx).data, status=201)


class MerchantViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    """Merchants of the user's area; a merchant account sees only its own (Merchant.scope_rule)."""

    queryset = Merchant.objects.select_related("area")
    serializer_class = MerchantSerializer
    action_permissions = {"statement": ["points.settle_merchant"]}
    create_service = staticmethod(services.create_merchant)

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description=gettext_lazy("月份 YYYY-MM(默认本月)"))],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def statement(self, request, pk=None):
        """The merchant's monthly settlement statement (xlsx)."""
        merchant = self.get_object()
        month = self.query_value(
            "month", serializers.DateField(input_formats=["%Y-%m"])
        ) or timezone.localdate().replace(day=1)
        content = services.settlement_statement(request.user, merchant, month)
        return xlsx_response(content, f"statement-{merchant.pk}-{month:%Y-%m}.xlsx")


class ScenarioViewSet(InheritedReadsMixin, ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    queryset = Scenario.objects.all()
    serializer_class = ScenarioSerializer
    create_service = staticmethod(services.save_scenario)

    def update_service(self, actor, scenario, **data):
        return services.save_scenario(actor, scenario=scenario, **_merged(scenario, ScenarioSerializer, data))


class RedemptionViewSet(ScopedReadOnlyViewSet):
    """Staff see their area's redemptions, a merchant account its own (Redemption.scope_rule). POST redeems
    (the merchant scans the resident's code or types the one-time code)."""

    queryset = Redemption.objects.select_related("scenario", "merchant")
    serializer_class = RedemptionSerializer

    @extend_schema(
        request=RedeemSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: RedemptionSerializer, 200: RedemptionSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Redeem; the same idempotency key again answers 200 with the redemption already made."""
        data = self.body(RedeemSerializer)
        merchant = getattr(request.user, "merchant", None) or data.get("merchant")
        if merchant is None:
            raise serializers.ValidationError({"merchant": _("请指定商户")})
        result = services.redeem(
            request.user,
            merchant=merchant,
            scenario=data["scenario"],
            key=_key(request, data),
            token=data.get("token", ""),
            code=data.get("code", ""),
            quantity=data["quantity"],
        )
        return Response(RedemptionSerializer(result.redemption).data, status=200 if result.replayed else 201)


class ActivityViewSet(InheritedReadsMixin, ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    create_service = staticmethod(services.create_activity)


class ParticipationViewSet(ScopedReadOnlyViewSet):
    queryset = Participation.objects.all()
    serializer_class = ParticipationSerializer
    filterset_fields = ["status", "activity"]
    action_permissions = {
        "approve": ["points.approve_participation"],
        "reject": ["points.approve_participation"],
        "check_in": ["points.change_participation"],
    }

    @extend_schema(request=ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        minutes = self.body(ApprovalSerializer).get("minutes")
        return Response(
            self.get_serializer(services.approve(request.user, self.get_object(), minutes=minutes)).data
        )

    @extend_schema(request=RejectionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        reason = self.body(RejectionSerializer)["reason"]
        return Response(
            self.get_serializer(services.reject(request.user, self.get_object(), reason=reason)).data
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return Response(self.get_serializer(services.check_in(request.user, self.get_object())).data)


class RuleViewSet(InheritedReadsMixin, ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    queryset = EarningRule.objects.all()
    serializer_class = RuleSerializer
    create_service = staticmethod(services.save_rule)

    def update_service(self, actor, rule, **data):
        return services.save_rule(actor, rule=rule, **_merged(rule, RuleSerializer, data))


class StaffAwardViewSet(ServiceCreateMixin, ScopedReadOnlyViewSet):
    queryset = StaffAward.objects.all()
    serializer_class = StaffAwardSerializer

    def create_service(self, actor, *, staff, source, **data):
        return services.award_staff_points(actor, staff, source=f"api:{source}", **data)


# --- grid-score rules (网格评分规则) -------------------------------------------------------------------------
def _weight(label: Any, *, max_value: str = "999.99", places: int = 2) -> serializers.DecimalField:
    return serializers.DecimalField(
        label=label, max_digits=5, decimal_places=places, min_value=Decimal(0), max_value=Decimal(max_value)
    )


class GridScoreRuleSerializer(ScopedModelSerializer):
    """A district's rule (or, `district` null, the city default) from a month on; the bounds are the
    service's (weights 0–999.99, neutral rating 0–5, cap 0–1000, shares 0–100 %), so a value out of range is
    a 400 naming the field."""

    district = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.filter(level=Level.DISTRICT), allow_null=True, required=False, default=None
    )
    effective_from = serializers.DateField(help_text=gettext_lazy("生效月份:该月任一天,按月保存(取当月1日)"))
    per_closed_on_time = _weight(gettext_lazy("按时办结每件"))
    per_overdue = _weight(gettext_lazy("超时办结每件(扣)"))
    per_escalation = _weight(gettext_lazy("被督办每次(扣)"))
    per_patrol = _weight(gettext_lazy("巡查每次"))
    per_visit = _weight(gettext_lazy("走访每次"))
    rating_neutral = _weight(gettext_lazy("评价基准分"), max_value="5", places=1)
    per_rating_point = _weight(gettext_lazy("评价高于/低于基准每分"))
    per_resident_event = _weight(gettext_lazy("居民积分事件每次"))
    cap = serializers.IntegerField(label=gettext_lazy("月度得分上限(绝对值)"), min_value=0, max_value=1000)
    worker_share = serializers.IntegerField(
        label=gettext_lazy("专职网格员分得(%)"), min_value=0, max_value=100
    )
    linked_share = serializers.IntegerField(
        label=gettext_lazy("每名挂包人员分得(%)"), min_value=0, max_value=100
    )

    class Meta:
        model = GridScoreRule
        fields = ["id", "district", "effective_from", *RULE_WEIGHTS, "cap", "worker_share", "linked_share"]
        read_only_fields: list[str] = []
        # save_grid_score_rule replaces the rule of a district and month (as the page does): no uniqueness
        # validator refusing what the service updates.
        validators: list = []

    def to_internal_value(self, data):
        # A misspelt weight would otherwise be dropped silently and the rule saved with its default.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError({name: [_("未知的评分项")] for name in unknown})
        return super().to_internal_value(data)

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if name not in ("id", "district", "effective_from"):
                field.required = False  # left out: the built-in default (create) or the stored value (update)
        return fields


class GridScoreRuleViewSet(ServiceCreateMixin, ServiceUpdateMixin, ScopedReadOnlyViewSet):
    """The rules that apply in the requester's area (`queries.grid_rules_for`); city and district users set
    one (`points.add_gridscorerule`): a district user only its own district's — another district is not a
    valid choice (400) and its rules are not found (404); the city default only city users (400)."""

    queryset = GridScoreRule.objects.select_related("district")
    serializer_class = GridScoreRuleSerializer
    # Saving replaces the rule of a district and month: one permission sets a rule, new or edited.
    action_permissions = {
        "update": ["points.add_gridscorerule"],
        "partial_update": ["points.add_gridscorerule"],
    }

    def get_queryset(self):
        return queries.grid_rules_for(self.request.user)

    def create_service(self, actor, **data):
        return services.save_grid_score_rule(actor, **data)

    def update_service(self, actor, rule, **data):
        for name, value in (("district", rule.district), ("effective_from", rule.effective_from)):
            if (
                name in data
                and data[name] != value
                and not (name == "effective_from" and services.month_of(data[name]) == value)
            ):
                raise serializers.ValidationError({name: [_("不能修改规则的区县或生效月份,请另存一条规则")]})
        merged = _merged(rule, GridScoreRuleSerializer, data)
        merged.update(district=rule.district, effective_from=rule.effective_from)
        merged.pop("id", None)
        return services.save_grid_score_rule(actor, **merged)


class OwnCorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CorrectionRequest
        fields = [
            "id",
            "field",
            "value_display",
            "current_display",
            "reason",
            "status",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class OwnCorrectionRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=CorrectionField.choices)
    value = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500)


class MeViewSet(viewsets.ViewSet):
    """A resident's own points: balance, history, a fresh signed code, a one-time code."""

    permission_classes = [IsAuthenticated]

    def _resident(self, request):
        resident = services.resident_of_user(request.user)
        if resident is None:
            raise PermissionDenied(_("该账号未绑定居民"))
        return resident

    @extend_schema(responses=MeSerializer)
    def list(self, request):
        resident = self._resident(request)
        account = services.resident_account(resident)
        entries = account.entries.select_related("transaction").order_by("-id")[:50]
        return Response(
            MeSerializer(
                {"balance": account.balance, "token": services.resident_token(resident), "entries": entries}
            ).data
        )

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=OwnCorrectionSerializer(many=True),
        operation_id="points_me_corrections_list",
    )
    @extend_schema(
        methods=["POST"],
        request=OwnCorrectionRequestSerializer,
        responses={201: OwnCorrectionSerializer},
        operation_id="points_me_corrections_create",
    )
    @action(detail=False, methods=["get", "post"], url_path="corrections")
    def corrections(self, request):
        """A resident's own correction requests (GET) or a new one (POST), decided by the community."""
        resident = self._resident(request)
        if request.method == "POST":
            data = validated_body(request, OwnCorrectionRequestSerializer)
            made = services.request_own_correction(
                request.user, changes={data["field"]: data.get("value", "")}, reason=data["reason"]
            )
            return Response(OwnCorrectionSerializer(made[0]).data, status=201)
        return Response(OwnCorrectionSerializer(resident.corrections.order_by("-id")[:50], many=True).data)

    @extend_schema(request=None, responses={201: OneTimeCodeSerializer})
    @action(detail=False, methods=["post"], url_path="one-time-code")
    def one_time_code(self, request):
        otc = services.issue_one_time_code(request.user, self._resident(request))
        return Response(OneTimeCodeSerializer(otc).data, status=201)


# --- month close (月度结算) -------------------------------------------------------------------------------
class MonthCloseSerializer(ScopedModelSerializer):
    class Meta:
        model = MonthClose
        fields = [
            "id",
            "community",
            "month",
            "area_path",
            "grids",
            "awards",
            "award_points",
            "payroll_id",
            "performance_lines",
            "performance_total",
            "closed_by",
            "closed_at",
        ]
        read_only_fields = fields


class MonthCloseRequest(serializers.Serializer):
    community = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    month = serializers.DateField(input_formats=["%Y-%m"], required=False)


def _last_month():
    import datetime as dt

    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _preview_json(preview) -> dict[str, Any]:
    return {
        "community": preview.community.pk,
        "month": f"{preview.month:%Y-%m}",
        "closed": MonthCloseSerializer(preview.closed).data if preview.closed is not None else None,
        "closable": preview.closable,
        "grids": [
            {
                "grid": s.grid_id,
                "name": s.grid.name,
                **{k: getattr(s, k) for k in GRID_COUNTS},
                "raw_score": str(s.raw_score),
                "score": s.score,
            }
            for s in preview.scores
        ],
        "staff": [
            {
                "staff": line.staff_id,
                "name": line.name,
                "post": line.post,
                "grids": [{"name": n, "score": sc, "points": p} for n, sc, p in line.grids],
                "grid_points": line.grid_points,
                "other_points": line.other_points,
                "score": line.score,
                "factor": str(line.factor),
                "standard": str(line.standard),
                "amount": str(line.amount),
            }
            for line in preview.lines
        ],
        "total": str(preview.total),
    }


class MonthCloseViewSet(ScopedReadOnlyViewSet):
    """Months closed by the communities of the user's area; `preview` shows what closing a month gives
    (nothing written), `close` closes it once (the secretary)."""

    queryset = MonthClose.objects.select_related("community").order_by("-month", "area_path")
    serializer_class = MonthCloseSerializer
    action_permissions = {"preview": ["points.view_monthclose"], "close": ["points.close_month"]}

    def _community(self, pk: int) -> Area:
        from django.shortcuts import get_object_or_404

        return get_object_or_404(Area.objects.visible_to(self.request.user), pk=pk)

    @extend_schema(
        parameters=[
            OpenApiParameter("community", int, required=True, description=gettext_lazy("社区编号")),
            OpenApiParameter("month", str, description=gettext_lazy("月份 YYYY-MM(默认上月)")),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def preview(self, request):
        """Grid scores, staff points, scores, factors and performance pay of a month, without writing."""
        community = self._community(
            self.query_value("community", serializers.IntegerField(min_value=1, max_value=2**63 - 1)) or 0
        )
        month = self.query_value("month", serializers.DateField(input_formats=["%Y-%m"])) or _last_month()
        return Response(_preview_json(services.preview_month_close(request.user, community, month)))

    @extend_schema(request=MonthCloseRequest, responses={201: MonthCloseSerializer})
    @action(detail=False, methods=["post"])
    def close(self, request):
        """Close an ended month of a community: grid scores → staff points → performance pay, once."""
        data = self.body(MonthCloseRequest)
        community = self._community(data["community"])
        closed = services.close_month(request.user, community, data.get("month") or _last_month())
        return Response(MonthCloseSerializer(closed).data, status=201)
