"""Red property management (红色物业): companies, estates, contracts, the red-property standards, round-table
meetings and joint patrols, and the three-100% evaluation (三个百分百) with its talks and eliminations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.history import Membership, recorder_field
from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel


class PartyOrgStatus(models.TextChoices):
    OWN = "own", _("单独建立党组织")
    JOINT = "joint", _("联合建立党组织")
    INSTRUCTOR = "instructor", _("选派党建指导员")
    NONE = "none", _("未建立党组织")


# The 10 "red property" standards (红色物业十条标准), checked per company.
STANDARDS = [
    ("s01", _("建立党组织或选派党建指导员")),
    ("s02", _("加入街道红色物业党建联盟")),
    ("s03", _("项目负责人列席社区党组织会议")),
    ("s04", _("参加社区圆桌会议")),
    ("s05", _("设立党员先锋岗或党员示范岗")),
    ("s06", _("物业服务用房开放为党群服务阵地")),
    ("s07", _("公开服务内容、标准与收费")),
    ("s08", _("开展联动巡查并及时处置问题")),
    ("s09", _("定期开展居民满意度调查")),
    ("s10", _("参与社区志愿服务与应急处置")),
]
STANDARD_CODES = [code for code, _label in STANDARDS]


class CoverageModel(models.TextChoices):
    INTRODUCED = "introduced", _("社区引进物业企业")
    CO_BUILDING = "co_building", _("社区与企业党建共建")
    COMMUNITY_RUN = "community_run", _("社区自办物业组织")
    SOCIAL_ORG = "social_org", _("公益性社会组织兜底")
    NONE = "none", _("无物业服务")


class PropertyCompany(ScopedModel, TimeStampedModel):
    """A property company or a public-interest property organisation, registered at a street (or district)."""

    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("登记区域"), on_delete=models.PROTECT, related_name="property_companies"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    is_public_interest = models.BooleanField(_("公益性物业组织"), default=False)
    party_status = models.CharField(
        _("党组织建设情况"), max_length=16, choices=PartyOrgStatus.choices, default=PartyOrgStatus.NONE
    )
    party_org_name = models.CharField(_("党组织名称"), max_length=100, blank=True)
    # The latest StandardsCheck's met codes, kept on the company for lists and counts (set only by
    # services.record_standards_check); alliance membership is an OrgMembership, not a flag.
    standards_met = models.JSONField(_("已达标的红色物业标准"), default=list, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在管"), default=True)
    eliminated_on = models.DateField(_("淘汰日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("物业企业")
        verbose_name_plural = _("物业企业")
        ordering = ["area_path", "name"]
        permissions = [
            ("score_party", _("评分:党建覆盖(街道党工委)")),
            ("score_professional", _("评分:专业服务(物业管理中心)")),
            ("score_satisfaction", _("评分:居民满意(社区党组织)")),
            ("decide_elimination", _("作出年度淘汰决定")),
            ("export_ranking", _("导出物业排名")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def standards_count(self) -> int:
        return len(self.standards_met or [])


# The party organisations a property company can belong to (docs/events-property.md).
MEMBERSHIP_KINDS = ("property_industry", "property_alliance")


class StandardsCheck(ScopedModel, TimeStampedModel):
    """One check of a company against the 10 red-property standards on a date: each standard met or
    not, with a note. The latest check is mirrored into PropertyCompany.standards_met."""

    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="standards_checks"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    checked_on = models.DateField(_("检查日期"))
    results = models.JSONField(_("逐项结果"), default=list)  # [{"code", "met", "note"}] in STANDARDS order
    checked_by = recorder_field(_("检查人"))

    class Meta:
        verbose_name = _("红色物业标准检查")
        verbose_name_plural = _("红色物业标准检查")
        ordering = ["-checked_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "checked_on"], name="property_standards_check_once")
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.checked_on} {self.met_count}/{len(STANDARDS)}"

    @property
    def met_count(self) -> int:
        return sum(1 for item in self.results or [] if item.get("met"))

    def items(self) -> list[tuple[str, Any, bool, str]]:
        """(code, label, met, note) for each standard, in order."""
        by_code = {item.get("code"): item for item in self.results or []}
        return [
            (code, label, bool(by_code.get(code, {}).get("met")), by_code.get(code, {}).get("note", ""))
            for code, label in STANDARDS
        ]


class OrgMembership(ScopedModel, Membership, TimeStampedModel):
    """A company's membership of a property-industry party organisation (city/district) or of a street's
    red-property party alliance. Scoped by the organisation's area: the street manages its alliance,
    the district its industry organisation. Ended rows (left_on) are the history."""

    org = models.ForeignKey(
        "party.PartyOrg",
        verbose_name=_("党组织"),
        on_delete=models.PROTECT,
        related_name="property_members",
        limit_choices_to={"kind__in": MEMBERSHIP_KINDS},
    )
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="memberships"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("物业党组织成员单位")
        verbose_name_plural = _("物业党组织成员单位")
        ordering = ["area_path", "-joined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "company"],
                condition=Membership.CURRENT,
                name="property_membership_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} → {self.org}"


class CompanyAccount(models.Model):
    """A property-company login: the company whose work orders the user sees and handles (docs/events-property.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="property_account",
    )
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.CASCADE, related_name="accounts"
    )

    class Meta:
        verbose_name = _("物业企业账号")
        verbose_name_plural = _("物业企业账号")

    def __str__(self) -> str:
        return f"{self.user} → {self.company}"


class Estate(ScopedModel, TimeStampedModel):
    """A residential estate (小区), mapped to a community (or grid) and its buildings."""

    name = models.CharField(_("小区名称"), max_length=100)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="estates"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    buildings = models.ManyToManyField("areas.Area", verbose_name=_("楼院"), blank=True, related_name="+")
    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("物业服务企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="estates",
    )
    coverage_model = models.CharField(
        _("覆盖模式"), max_length=16, choices=CoverageModel.choices, default=CoverageModel.NONE
    )
    households = models.PositiveIntegerField(_("户数"), default=0)
    fee_collection_rate = models.DecimalField(
        _("物业费收缴率(%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["area_path", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceContract(ScopedModel, TimeStampedModel):
    estate = models.ForeignKey(
        Estate, verbose_name=_("小区"), on_delete=models.CASCADE, related_name="contracts"
    )
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="contracts"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("终止日期"))
    fee_per_m2 = models.DecimalField(_("物业费(元/平方米·月)"), max_digits=6, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("物业服务合同")
        verbose_name_plural = _("物业服务合同")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.estate} · {self.company}"


class Scorer(models.TextChoices):
    PARTY = "party", _("党建覆盖")
    PROFESSIONAL = "professional", _("专业服务")
    SATISFACTION = "satisfaction", _("居民满意")


class MonthlyScore(ScopedModel, TimeStampedModel):
    """One scorer's score (0–100) of one company for one month; unique per company, month and scorer."""

    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="scores"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    month = models.DateField(_("月份"))  # first day of the month
    scorer = models.CharField(_("评分方"), max_length=16, choices=Scorer.choices)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    detail = models.JSONField(_("计分明细"), default=dict, blank=True)
    scored_by = recorder_field(_("评分人"))

    class Meta:
        verbose_name = _("月度评分")
        verbose_name_plural = _("月度评分")
        ordering = ["-month", "company_id", "scorer"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "month", "scorer"], name="property_score_once_per_month"
            )
        ]
        indexes = [models.Index(fields=["month", "area_path"], name="property_score_month_idx")]

    def __str__(self) -> str:
        return f"{self.company} {self.month:%Y-%m} {self.get_scorer_display()} {self.score}"


class Survey(ScopedModel, TimeStampedModel):
    """A residents' satisfaction survey of one estate for one month."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("小区"), on_delete=models.CASCADE, related_name="surveys"
    )
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="surveys"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    month = models.DateField(_("月份"))
    respondents = models.PositiveIntegerField(_("受访户数"))
    satisfied = models.PositiveIntegerField(_("满意户数"))

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.estate} {self.month:%Y-%m}"


class Talk(ScopedModel, TimeStampedModel):
    """A talk (约谈) with a company that ranked at the bottom of a quarter."""

    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="talks"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    held_on = models.DateField(_("约谈日期"))
    content = models.TextField(_("约谈内容"))
    rectification = models.TextField(_("整改要求"), blank=True)
    recorded_by = recorder_field(_("记录人"))

    class Meta:
        verbose_name = _("约谈记录")
        verbose_name_plural = _("约谈记录")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["company", "year", "quarter"], name="property_talk_once")
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.year}Q{self.quarter}"


class Decision(models.TextChoices):
    ELIMINATE = "eliminate", _("淘汰(退出本辖区)")
    RECTIFY = "rectify", _("限期整改,暂不淘汰")


class Elimination(ScopedModel, TimeStampedModel):
    """The yearly decision on a company whose average score is below the standard."""

    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="eliminations"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    average = models.DecimalField(_("年度平均分"), max_digits=5, decimal_places=1)
    decision = models.CharField(_("决定"), max_length=16, choices=Decision.choices)
    note = models.TextField(_("说明"), blank=True)
    decided_by = recorder_field(_("决定人"))

    class Meta:
        verbose_name = _("年度淘汰决定")
        verbose_name_plural = _("年度淘汰决定")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["company", "year"], name="property_elimination_once")]

    def __str__(self) -> str:
        return f"{self.company} {self.year} {self.get_decision_display()}"


class RoundTable(ScopedModel, TimeStampedModel):
    """A round-table meeting (圆桌会议) convened by the community party organisation."""

    area = models.ForeignKey("areas.Area", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False, db_index=True)
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("小区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("物业企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    held_on = models.DateField(_("召开日期"))
    convener = models.CharField(_("召集人(社区党组织)"), max_length=100)
    attendees = models.JSONField(_("参会人员"), default=list)
    topics = models.TextField(_("议题"))

    class Meta:
        verbose_name = _("圆桌会议")
        verbose_name_plural = _("圆桌会议")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topics[:30]}"


class MeetingDecision(models.Model):
    """One decision of a round-table meeting; each becomes a tracked work order."""

    meeting = models.ForeignKey(
        RoundTable, verbose_name=_("圆桌会议"), on_delete=models.CASCADE, related_name="decisions"
    )
    content = models.CharField(_("决定事项"), max_length=300)
    event = models.OneToOneField(
        "events.Event",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_decision",
    )

    class Meta:
        verbose_name = _("会议决定")
        verbose_name_plural = _("会议决定")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.content
