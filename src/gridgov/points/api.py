"""Points API: every list starts from visible_to(request.user); writes go through services."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from gridgov.areas.models import Area
from gridgov.core.api import ScopedViewSetMixin
from gridgov.core.services import ServiceError
from gridgov.core.xlsx import XLSX_CONTENT_TYPE

from . import queries, services
from .models import (
    Account,
    Activity,
    EarningRule,
    Entry,
    Merchant,
    Participation,
    Redemption,
    Scenario,
    StaffAward,
    Transaction,
    with_balances,
)


def _visible_area(request, pk) -> Area:
    return get_object_or_404(Area.objects.visible_to(request.user), pk=pk)


class OwnerFields(serializers.Serializer):
    """`defined_above`: who defined an item that applies here from above (上级（市级）), '' when it lies in
    the user's area; `editable`: whether this user's level owns (and may change) it."""

    defined_above = serializers.SerializerMethodField()
    editable = serializers.SerializerMethodField()

    def get_defined_above(self, obj) -> str:
        return queries.owner_label(obj.area_path, self.context["request"].user)

    def get_editable(self, obj) -> bool:
        return not self.get_defined_above(obj)


READ_ONLY = ("id", "area_path", "defined_above", "editable")


class InheritedViewSetMixin:
    """Lists and reads include the items defined at the user's ancestors (they apply here); every write
    finds only the user's own subtree, so an item defined above is 404 to change."""

    READ_ACTIONS = ("list", "retrieve")

    def base_queryset(self):
        if getattr(self, "action", None) in self.READ_ACTIONS:
            return queries.applicable(self.queryset_model, self.request.user)
        return super().base_queryset()


def _key(request) -> str:
    key = request.headers.get("Idempotency-Key") or request.data.get("idempotency_key") or ""
    if not key:
        raise serializers.ValidationError({"idempotency_key": _("缺少幂等键")})
    return f"api:{request.user.pk}:{key}"[:120]


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "owner_kind", "owner_id", "name", "area_path", "balance", "slots"]


class EntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")

    class Meta:
        model = Entry
        fields = ["id", "transaction", "kind", "memo", "amount", "expires_on", "created_at"]


class TransactionSerializer(serializers.ModelSerializer):
    entries = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = ["id", "idempotency_key", "kind", "memo", "area_path", "created_at", "reverses", "entries"]

    def get_entries(self, obj):
        return [{"account": e.account_id, "amount": e.amount} for e in obj.entries.all()]


class MerchantSerializer(serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())

    class Meta:
        model = Merchant
        fields = ["id", "name", "kind", "area", "area_path", "is_active"]
        read_only_fields = ["area_path", "is_active"]

    def get_fields(self):
        fields = super().get_fields()
        fields["area"].queryset = Area.objects.visible_to(self.context["request"].user)
        return fields


class ScenarioSerializer(OwnerFields, serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())

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
        read_only_fields = ["area_path"]

    def get_fields(self):
        fields = super().get_fields()
        fields["area"].queryset = Area.objects.visible_to(self.context["request"].user)
        return fields


class RedemptionSerializer(serializers.ModelSerializer):
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


class ActivitySerializer(OwnerFields, serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())

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

    def get_fields(self):
        fields = super().get_fields()
        fields["area"].queryset = Area.objects.visible_to(self.context["request"].user)
        return fields


class ParticipationSerializer(serializers.ModelSerializer):
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


class RuleSerializer(OwnerFields, serializers.ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())

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

    def get_fields(self):
        fields = super().get_fields()
        fields["area"].queryset = Area.objects.visible_to(self.context["request"].user)
        return fields


class StaffAwardSerializer(serializers.ModelSerializer):
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


class AccountViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Account
    serializer_class = AccountSerializer
    filterset_fields = ["owner_kind"]
    action_permissions = {"split": ["points.split_account"]}

    def get_queryset(self):
        return with_balances(super().get_queryset())

    @action(detail=True, methods=["get"])
    def entries(self, request, pk=None):
        account = self.get_object()
        rows = account.entries.select_related("transaction").order_by("-id")[:200]
        return Response(EntrySerializer(rows, many=True).data)

    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split a hot account into `slots` slots (1 joins it back); its balance is unchanged."""
        account = self.get_object()
        slots = request.data.get("slots")
        if isinstance(slots, str) and slots.strip().isdigit():
            slots = int(slots)
        if not isinstance(slots, int) or isinstance(slots, bool):
            raise ServiceError(_("请填写子账户数(整数)"))
        account = services.split_account(request.user, account, slots)
        return Response(AccountSerializer(account).data)


class TransactionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Transaction
    serializer_class = TransactionSerializer
    action_permissions = {"reverse": ["points.reverse_transaction"]}

    def get_queryset(self):
        return super().get_queryset().prefetch_related("entries")

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        tx = self.get_object()
        reversal = services.reverse_transaction(
            request.user, tx, key=_key(request), reason=str(request.data.get("reason", ""))
        )
        return Response(TransactionSerializer(reversal).data, status=201)


class MerchantViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Merchant
    serializer_class = MerchantSerializer
    action_permissions = {"statement": ["points.settle_merchant"]}

    def base_queryset(self):
        user = self.request.user
        if user.is_authenticated and user.role == "merchant":  # a merchant account sees only itself
            return Merchant.objects.visible_to(user).filter(user=user)
        return super().base_queryset()

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        merchant = services.create_merchant(request.user, **s.validated_data)
        return Response(self.get_serializer(merchant).data, status=201)

    @action(detail=True, methods=["get"])
    def statement(self, request, pk=None):
        merchant = self.get_object()
        month = _month_param(request)
        content = services.settlement_statement(request.user, merchant, month)
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="statement-{merchant.pk}-{month:%Y-%m}.xlsx"'
        return response


def _month_param(request) -> dt.date:
    raw = request.query_params.get("month", "")
    try:
        return dt.date.fromisoformat(raw + "-01") if raw else timezone.localdate().replace(day=1)
    except ValueError:
        raise serializers.ValidationError({"month": _("月份格式应为 YYYY-MM")}) from None


class ScenarioViewSet(
    InheritedViewSetMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    queryset_model = Scenario
    serializer_class = ScenarioSerializer

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        scenario = services.save_scenario(request.user, **s.validated_data)
        return Response(self.get_serializer(scenario).data, status=201)

    def update(self, request, *args, **kwargs):
        scenario = self.get_object()
        s = self.get_serializer(scenario, data=request.data, partial=kwargs.get("partial", False))
        s.is_valid(raise_exception=True)
        data = {f: getattr(scenario, f) for f in ScenarioSerializer.Meta.fields if f not in READ_ONLY}
        data.update(s.validated_data)
        scenario = services.save_scenario(request.user, scenario=scenario, **data)
        return Response(self.get_serializer(scenario).data)


class RedeemSerializer(serializers.Serializer):
    merchant = serializers.IntegerField(required=False)
    scenario = serializers.IntegerField()
    token = serializers.CharField(required=False, allow_blank=True)
    code = serializers.CharField(required=False, allow_blank=True)
    quantity = serializers.IntegerField(default=1, min_value=1, max_value=100)


class RedemptionViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Merchants see their own redemptions; staff see their area's. POST redeems (merchant scan/code)."""

    queryset_model = Redemption
    serializer_class = RedemptionSerializer

    def base_queryset(self):
        user = self.request.user
        merchant = getattr(user, "merchant", None) if user.is_authenticated else None
        if merchant is not None:
            return Redemption.objects.unscoped("a merchant's own redemptions").filter(merchant=merchant)
        return super().base_queryset()

    def get_queryset(self):
        return super().get_queryset().select_related("scenario", "merchant")

    def create(self, request, *args, **kwargs):
        s = RedeemSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        merchant = getattr(request.user, "merchant", None)
        if merchant is None:
            if "merchant" not in data:
                raise serializers.ValidationError({"merchant": _("请指定商户")})
            merchant = get_object_or_404(Merchant.objects.visible_to(request.user), pk=data["merchant"])
        scenario = get_object_or_404(
            Scenario.objects.unscoped("catalogue lookup"), pk=data["scenario"], is_active=True
        )
        result = services.redeem(
            request.user,
            merchant=merchant,
            scenario=scenario,
            key=_key(request),
            token=data.get("token", ""),
            code=data.get("code", ""),
            quantity=data["quantity"],
        )
        return Response(RedemptionSerializer(result.redemption).data, status=200 if result.replayed else 201)


class ActivityViewSet(
    InheritedViewSetMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset_model = Activity
    serializer_class = ActivitySerializer

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        activity = services.create_activity(request.user, **s.validated_data)
        return Response(self.get_serializer(activity).data, status=201)


class ParticipationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = Participation
    serializer_class = ParticipationSerializer
    filterset_fields = ["status", "activity"]
    action_permissions = {
        "approve": ["points.approve_participation"],
        "reject": ["points.approve_participation"],
        "check_in": ["points.change_participation"],
    }

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        minutes = request.data.get("minutes")
        part = services.approve(request.user, self.get_object(), minutes=int(minutes) if minutes else None)
        return Response(self.get_serializer(part).data)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        part = services.reject(request.user, self.get_object(), reason=str(request.data.get("reason", "")))
        return Response(self.get_serializer(part).data)

    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return Response(self.get_serializer(services.check_in(request.user, self.get_object())).data)


class RuleViewSet(
    InheritedViewSetMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    queryset_model = EarningRule
    serializer_class = RuleSerializer

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        rule = services.save_rule(request.user, **s.validated_data)
        return Response(self.get_serializer(rule).data, status=201)

    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        s = self.get_serializer(rule, data=request.data, partial=kwargs.get("partial", False))
        s.is_valid(raise_exception=True)
        data = {f: getattr(rule, f) for f in RuleSerializer.Meta.fields if f not in READ_ONLY}
        data.update(s.validated_data)
        rule = services.save_rule(request.user, rule=rule, **data)
        return Response(self.get_serializer(rule).data)


class StaffAwardViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset_model = StaffAward
    serializer_class = StaffAwardSerializer

    def create(self, request, *args, **kwargs):
        from gridgov.workforce.models import Staff

        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        staff = get_object_or_404(Staff.objects.visible_to(request.user), pk=data["staff"].pk)
        award = services.award_staff_points(
            request.user,
            staff,
            points=data["points"],
            category=data["category"],
            reason=data["reason"],
            source=f"api:{data['source']}",
        )
        return Response(self.get_serializer(award).data, status=201)


class MeViewSet(viewsets.ViewSet):
    """A resident's own points: balance, history, a fresh signed code, a one-time code."""

    permission_classes = [IsAuthenticated]

    def _resident(self, request):
        resident = services.resident_of_user(request.user)
        if resident is None:
            raise PermissionDenied(_("该账号未绑定居民"))
        return resident

    def list(self, request):
        resident = self._resident(request)
        account = services.resident_account(resident)
        entries = account.entries.select_related("transaction").order_by("-id")[:50]
        return Response(
            {
                "balance": account.balance,
                "token": services.resident_token(resident),
                "entries": EntrySerializer(entries, many=True).data,
            }
        )

    @action(detail=False, methods=["post"], url_path="one-time-code")
    def one_time_code(self, request):
        otc = services.issue_one_time_code(request.user, self._resident(request))
        return Response({"code": otc.code, "expires_at": otc.expires_at}, status=201)
