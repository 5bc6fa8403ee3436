"""Points (一网三联、积分): a double-entry ledger and what moves points through it.

* `Account` — one per owner (resident, staff, grid, merchant, issuing pool of an area, issuance, expiry).
  Its balance is a cache of the sum of the account's entries, updated in the same transaction as the
  entries; check constraints keep it non-negative unless the account is a source (`allow_negative`).
  A hot account (a merchant or pool that many clients post to at once) can be split into
  `AccountSlot` rows (热点账户拆分): postings then take any free slot, so concurrent transactions do
  not queue on one row; the balance is the main row plus the slots.
* `Transaction` — one movement, named by a unique idempotency key; `Entry` rows are its legs
  (signed integer points, summing to zero). Nothing is ever edited: a reversal is a new transaction.
* Earning: `Activity` (volunteer services, activities, duties) → `Participation` (sign-up, check-in,
  self-report, approval) → points by `EarningRule`.
* Redemption: `Scenario` (catalogue), `Merchant`, `Redemption`, `OneTimeCode`.
* Staff: `StaffAward` (积分联奖惩) → monthly score → `PerformancePay` on a workforce payroll line.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Role
from gridgov.core.scope import ScopedModel


class OwnerKind(models.TextChoices):
    RESIDENT = "resident", _("居民")
    STAFF = "staff", _("社区工作人员")
    GRID = "grid", _("网格")
    MERCHANT = "merchant", _("商户")
    POOL = "pool", _("积分预算池")
    ISSUANCE = "issuance", _("积分发行")
    EXPIRED = "expired", _("过期积分")


class Account(ScopedModel):
    owner_kind = models.CharField(_("账户类型"), max_length=16, choices=OwnerKind.choices)
    owner_id = models.PositiveBigIntegerField(_("所有者编号"))
    name = models.CharField(_("名称"), max_length=100)
    area_path = models.CharField(_("区域路径"), max_length=20)
    # The unsplit balance; a split account keeps its points in its slots and this stays 0.
    main_balance = models.BigIntegerField(_("主余额"), default=0, db_column="balance")
    slots = models.PositiveSmallIntegerField(_("拆分子账户数"), default=1, editable=False)
    allow_negative = models.BooleanField(_("允许为负"), default=False, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        ordering = ["area_path", "owner_kind", "id"]
        permissions = [("split_account", _("拆分热点账户"))]
        constraints = [
            models.UniqueConstraint(fields=["owner_kind", "owner_id"], name="points_account_owner_uniq"),
            models.CheckConstraint(
                condition=Q(main_balance__gte=0) | Q(allow_negative=True),
                name="points_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(slots__gte=1) & (Q(slots=1) | Q(allow_negative=False)),
                name="points_account_slots_valid",
            ),
        ]
        indexes = [models.Index(fields=["area_path", "owner_kind"], name="points_account_path_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def balance(self) -> int:
        """The account's points: the main row plus, for a split account, its slots (one query, none when
        the row came from `with_balances`)."""
        if self.slots <= 1:
            return self.main_balance
        extra = getattr(self, "slot_total", None)
        if extra is None:
            extra = AccountSlot.objects.filter(account_id=self.pk).aggregate(s=models.Sum("balance"))["s"]
        return self.main_balance + int(extra or 0)


def with_balances(accounts: models.QuerySet) -> models.QuerySet:
    """Accounts with their slots' total alongside (for lists: `balance` then needs no query per row)."""
    totals = (
        AccountSlot.objects.filter(account_id=models.OuterRef("pk"))
        .values("account_id")
        .annotate(s=models.Sum("balance"))
        .values("s")
    )
    return accounts.annotate(slot_total=models.Subquery(totals))


class AccountSlot(models.Model):
    """One slot of a split hot account. Not scoped on its own: only the ledger reads it."""

    account = models.ForeignKey(Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("序号"))
    balance = models.BigIntegerField(_("余额"), default=0)

    class Meta:
        verbose_name = _("子账户")
        verbose_name_plural = _("子账户")
        ordering = ["account", "number"]
        constraints = [
            models.UniqueConstraint(fields=["account", "number"], name="points_slot_uniq"),
            # Only accounts that must not go negative are split, so every slot is >= 0.
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_slot_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.number}"


class TxKind(models.TextChoices):
    FUND = "fund", _("预算拨付")
    EARN = "earn", _("获得积分")
    REDEEM = "redeem", _("兑换")
    STAFF = "staff", _("工作积分")
    EXPIRE = "expire", _("过期")
    REVERSE = "reverse", _("冲正")
    TRANSFER = "transfer", _("转账")


class Transaction(ScopedModel):
    idempotency_key = models.CharField(_("幂等键"), max_length=120, unique=True)
    payload_hash = models.CharField(_("请求摘要"), max_length=64, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=TxKind.choices)  # in points_tx_path_idx
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲正的交易"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("积分交易")
        verbose_name_plural = _("积分交易")
        ordering = ["-created_at", "-id"]
        permissions = [("reverse_transaction", _("冲正积分交易")), ("fund_pool", _("拨付积分预算"))]
        indexes = [models.Index(fields=["area_path", "kind", "created_at"], name="points_tx_path_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Entry(ScopedModel):
    transaction = models.ForeignKey(
        Transaction, verbose_name=_("交易"), on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("账户"),
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,  # points_entry_acct_idx leads with it
    )
    amount = models.BigIntegerField(_("积分"))
    # Credits that expire carry their expiry date (points earned in year Y expire at the end of Y+N).
    expires_on = models.DateField(_("到期日"), null=True, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分分录")
        verbose_name_plural = _("积分分录")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="points_entry_not_zero")]
        indexes = [models.Index(fields=["account", "expires_on"], name="points_entry_acct_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


# --- merchants and the redemption catalogue -----------------------------------------------------------
class MerchantKind(models.TextChoices):
    SHOP = "shop", _("商超门店")
    CANTEEN = "canteen", _("长者食堂")
    PROPERTY = "property", _("物业企业")
    SERVICE = "service", _("生活服务")
    PUBLIC = "public", _("公共服务")


class Merchant(ScopedModel):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=MerchantKind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("商户账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merchant",
    )
    is_active = models.BooleanField(_("有效"), default=True)
    # Set when the merchant stands for a payee of another app (a property company: "property.company:12"),
    # made by `services.payee_merchant`; scenarios registered in `points.payees` settle with it.
    payee_ref = models.CharField(
        _("结算对象"), max_length=60, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分商户")
        verbose_name_plural = _("积分商户")
        ordering = ["area_path", "name"]
        permissions = [("settle_merchant", _("商户月度结算"))]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        """A merchant account sees (and settles) only the merchant it runs; staff see their area's."""
        if getattr(user, "role", None) == Role.MERCHANT:
            return Q(user_id=user.pk)
        return None


class Scenario(ScopedModel):
    """A redemption scenario of the catalogue, offered in an area subtree."""

    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=40)
    price = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), null=True, blank=True, help_text=_("留空表示不限"))
    monthly_limit = models.PositiveIntegerField(
        _("每人每月限兑次数"), null=True, blank=True, help_text=_("留空表示不限")
    )
    # Tag codes (people.Tag) a resident must carry one of, plus "elderly" (60+); empty: everyone.
    eligible_groups = models.JSONField(_("适用人群"), default=list, blank=True)
    merchant_kinds = models.JSONField(_("可核销商户类型"), default=list, blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("适用区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("兑换场景")
        verbose_name_plural = _("兑换场景")
        ordering = ["area_path", "category", "price", "id"]
        constraints = [models.UniqueConstraint(fields=["area", "code"], name="points_scenario_code_uniq")]

    def __str__(self) -> str:
        return self.name


class Redemption(ScopedModel):
    transaction = models.OneToOneField(
        Transaction, verbose_name=_("交易"), on_delete=models.PROTECT, related_name="redemption"
    )
    # resident and merchant lead points_redeem_limit_idx and points_redeem_merchant_idx
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    scenario = models.ForeignKey(
        Scenario, verbose_name=_("场景"), on_delete=models.PROTECT, related_name="redemptions"
    )
    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("商户"),
        on_delete=models.PROTECT,
        related_name="redemptions",
        db_index=False,
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    points = models.PositiveIntegerField(_("积分"))
    month = models.DateField(_("月份"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    merchant_path = models.CharField(_("商户区域路径"), max_length=20, editable=False)
    reversed = models.BooleanField(_("已冲正"), default=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["resident", "scenario", "month"], name="points_redeem_limit_idx"),
            models.Index(fields=["merchant", "month"], name="points_redeem_merchant_idx"),
            models.Index(fields=["area_path", "month"], name="points_redeem_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id}×{self.quantity}"

    @classmethod
    def scope_rule(cls, user, action: str) -> Q | None:
        """A merchant account sees only the redemptions made at its own merchant (its residents' paths lie
        under the merchant's area, so under the account's); staff see their area's."""
        if getattr(user, "role", None) == Role.MERCHANT:
            return Q(merchant__user_id=user.pk)
        return None


class OneTimeCode(ScopedModel):
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("居民"), on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(_("核销码"), max_length=6, db_index=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("一次性核销码")
        verbose_name_plural = _("一次性核销码")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"******@{self.resident_id}"


class ResidentLink(models.Model):
    """A resident's own login (role 居民) and the resident record it speaks for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_resident"
    )
    resident = models.OneToOneField("people.Resident", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("居民账号绑定")
        verbose_name_plural = _("居民账号绑定")

    def __str__(self) -> str:
        return f"{self.user_id}→{self.resident_id}"


# --- earning -----------------------------------------------------------------------------------------
class ActivityKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿服务")
    ACTIVITY = "activity", _("社区活动")
    LEADER_DUTY = "leader_duty", _("楼长单元长履职")
    PARTY_DUTY = "party_duty", _("党员报到服务")


class Activity(ScopedModel):
    title = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=ActivityKind.choices)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组织者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    area = models.ForeignKey("areas.Area", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    signed_up = models.PositiveIntegerField(_("已报名"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动与志愿服务")
        verbose_name_plural = _("活动与志愿服务")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["area_path", "starts_at"], name="points_activity_path_idx")]

    def __str__(self) -> str:
        return self.title


class PartStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    CHECKED_IN = "checked_in", _("已签到")
    REPORTED = "reported", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


class Participation(ScopedModel):
    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="participations"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=PartStatus.choices, default=PartStatus.SIGNED_UP
    )
    minutes = models.PositiveIntegerField(_("服务时长(分钟)"), default=0)
    self_reported = models.BooleanField(_("自主申报"), default=False)
    role = models.CharField(_("积分身份"), max_length=16, blank=True)
    points = models.PositiveIntegerField(_("获得积分"), default=0)
    transaction = models.OneToOneField(
        Transaction, verbose_name=_("交易"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    resident_path = models.CharField(_("居民区域路径"), max_length=20, editable=False)
    service_date = models.DateField(_("服务日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("参与记录")
        verbose_name_plural = _("参与记录")
        ordering = ["-service_date", "-id"]
        permissions = [("approve_participation", _("审核志愿服务与活动积分"))]
        constraints = [models.UniqueConstraint(fields=["activity", "resident"], name="points_part_once")]
        indexes = [
            models.Index(fields=["resident", "status", "service_date"], name="points_part_cap_idx"),
            models.Index(fields=["area_path", "status"], name="points_part_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.resident_id}"


class EarnRole(models.TextChoices):
    RESIDENT = "resident", _("居民")
    PARTY_MEMBER = "party_member", _("党员")
    BUILDING_LEADER = "building_leader", _("红色楼长")
    UNIT_LEADER = "unit_leader", _("单元长")


class EarningRule(ScopedModel):
    """Points for an activity kind and earning role; the rule of the nearest area up the tree applies."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("适用区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    role = models.CharField(_("积分身份"), max_length=16, choices=EarnRole.choices)
    activity_kind = models.CharField(_("活动类型"), max_length=16, choices=ActivityKind.choices)
    points_per_hour = models.PositiveIntegerField(_("每小时积分"), default=0)
    points_per_event = models.PositiveIntegerField(_("每次积分"), default=0)
    daily_cap = models.PositiveIntegerField(_("每日上限"), null=True, blank=True)
    monthly_cap = models.PositiveIntegerField(_("每月上限"), null=True, blank=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["area_path", "activity_kind", "role"]
        constraints = [
            models.UniqueConstraint(fields=["area", "role", "activity_kind"], name="points_rule_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.get_activity_kind_display()}/{self.get_role_display()}"


# --- staff points and performance pay --------------------------------------------------------------
class AwardCategory(models.TextChoices):
    WORK_RESULT = "work_result", _("工作实绩")
    TASK = "task", _("任务完成")
    EMERGENCY = "emergency", _("应急处置")
    PENALTY = "penalty", _("扣分")


class StaffAward(ScopedModel):
    staff = models.ForeignKey(
        "workforce.Staff", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("类别"), max_length=16, choices=AwardCategory.choices)
    points = models.IntegerField(_("积分"))
    ledger_points = models.IntegerField(_("记账积分"), default=0)
    reason = models.CharField(_("事由"), max_length=200)
    source = models.CharField(_("来源"), max_length=120, unique=True)
    month = models.DateField(_("月份"))
    transaction = models.OneToOneField(
        Transaction, verbose_name=_("交易"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("工作积分")
        verbose_name_plural = _("工作积分")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["staff", "month"], name="points_award_month_idx")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.points:+d}"


class PerformanceFormula(models.Model):
    """score = base_score + the month's award points; pay = standard performance pay × clamp(score / target)."""

    effective_from = models.DateField(_("生效月份"), unique=True)
    base_score = models.PositiveIntegerField(_("基础分"), default=80)
    target_score = models.PositiveIntegerField(_("满额分"), default=100)
    min_factor = models.DecimalField(_("最低系数"), max_digits=4, decimal_places=2, default=0.6)
    max_factor = models.DecimalField(_("最高系数"), max_digits=4, decimal_places=2, default=1.3)

    class Meta:
        verbose_name = _("绩效工资公式")
        verbose_name_plural = _("绩效工资公式")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m}"


class PerformancePay(ScopedModel):
    line = models.OneToOneField(
        "workforce.PayrollLine",
        verbose_name=_("工资明细"),
        on_delete=models.CASCADE,
        related_name="points_pay",
    )
    staff = models.ForeignKey(
        "workforce.Staff", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))
    score = models.IntegerField(_("月度得分"))
    factor = models.DecimalField(_("系数"), max_digits=5, decimal_places=3)
    standard_amount = models.DecimalField(_("标准绩效工资"), max_digits=9, decimal_places=2)
    amount = models.DecimalField(_("核定绩效工资"), max_digits=9, decimal_places=2)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("积分绩效工资")
        verbose_name_plural = _("积分绩效工资")
        ordering = ["-month", "staff"]
        permissions = [("apply_performance", _("按积分核定绩效工资"))]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.month:%Y-%m}"


# --- grid scores (一网三联: the grid's monthly score feeds its staff's points) ----------------------------
class GridScoreRule(models.Model):
    """How a grid's monthly score is computed and shared among its staff; the district's rule in force
    that month applies, else the city default (district empty). City-wide configuration, like
    `PerformanceFormula`: not a scoped row."""

    district = models.ForeignKey(
        "areas.Area",
        verbose_name=_("区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空为全市默认规则"),
    )
    effective_from = models.DateField(_("生效月份"))
    per_closed_on_time = models.DecimalField(_("按时办结每件"), max_digits=6, decimal_places=2, default=2)
    per_overdue = models.DecimalField(_("超时办结每件(扣)"), max_digits=6, decimal_places=2, default=2)
    per_escalation = models.DecimalField(_("被督办每次(扣)"), max_digits=6, decimal_places=2, default=3)
    per_patrol = models.DecimalField(_("巡查每次"), max_digits=6, decimal_places=2, default=Decimal("0.5"))
    per_visit = models.DecimalField(_("走访每次"), max_digits=6, decimal_places=2, default=Decimal("0.5"))
    rating_neutral = models.DecimalField(_("评价基准分"), max_digits=3, decimal_places=1, default=3)
    per_rating_point = models.DecimalField(
        _("评价高于/低于基准每分"), max_digits=6, decimal_places=2, default=1
    )
    per_resident_event = models.DecimalField(
        _("居民积分事件每次"), max_digits=6, decimal_places=2, default=Decimal("0.2")
    )
    cap = models.PositiveIntegerField(_("月度得分上限(绝对值)"), default=30)
    worker_share = models.PositiveSmallIntegerField(_("专职网格员分得(%)"), default=100)
    linked_share = models.PositiveSmallIntegerField(_("每名挂包人员分得(%)"), default=50)

    class Meta:
        verbose_name = _("网格评分规则")
        verbose_name_plural = _("网格评分规则")
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "effective_from"],
                condition=Q(district__isnull=False),
                name="points_gridrule_district_uniq",
            ),
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=Q(district__isnull=True),
                name="points_gridrule_city_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district or _('全市')} {self.effective_from:%Y-%m}"


class GridScore(ScopedModel):
    """A grid's score for a month, frozen once computed (the staff points posted from it name it)."""

    grid = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    rule = models.ForeignKey(
        GridScoreRule,
        verbose_name=_("规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_on_time = models.PositiveIntegerField(_("按时办结"), default=0)
    closed_overdue = models.PositiveIntegerField(_("超时办结"), default=0)
    escalations = models.PositiveIntegerField(_("被督办"), default=0)
    patrols = models.PositiveIntegerField(_("巡查"), default=0)
    visits = models.PositiveIntegerField(_("走访"), default=0)
    ratings = models.PositiveIntegerField(_("评价件数"), default=0)
    rating_total = models.PositiveIntegerField(_("评价总分"), default=0)
    resident_events = models.PositiveIntegerField(_("居民积分事件"), default=0)
    raw_score = models.DecimalField(_("原始得分"), max_digits=9, decimal_places=2, default=0)
    score = models.IntegerField(_("得分"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("网格月度评分")
        verbose_name_plural = _("网格月度评分")
        ordering = ["-month", "area_path"]
        constraints = [models.UniqueConstraint(fields=["grid", "month"], name="points_gridscore_once")]
        indexes = [models.Index(fields=["area_path", "month"], name="points_gridscore_path_idx")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.month:%Y-%m} {self.score:+d}"


class MonthClose(ScopedModel):
    """A community's month closed (月度结算): grid scores posted, payroll made, performance pay applied.
    Once per community and month."""

    community = models.ForeignKey(
        "areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    grids = models.PositiveIntegerField(_("评分网格数"), default=0)
    awards = models.PositiveIntegerField(_("工作积分笔数"), default=0)
    award_points = models.IntegerField(_("网格评分积分合计"), default=0)
    payroll_id = models.PositiveBigIntegerField(_("工资表编号"), null=True, blank=True)
    performance_lines = models.PositiveIntegerField(_("核定绩效人数"), default=0)
    performance_total = models.DecimalField(_("核定绩效工资合计"), max_digits=12, decimal_places=2, default=0)
    closed_by = models.CharField(_("结算人"), max_length=150)
    closed_at = models.DateTimeField(_("结算时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月度结算")
        verbose_name_plural = _("月度结算")
        ordering = ["-month", "area_path"]
        permissions = [("close_month", _("月度结算(网格评分与积分绩效)"))]
        constraints = [models.UniqueConstraint(fields=["community", "month"], name="points_monthclose_once")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.month:%Y-%m}"
