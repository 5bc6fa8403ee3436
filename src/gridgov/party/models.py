"""The five-level party network: organisations, what they cover, members, central households, leaders.

街道党工委 → 社区党委(总支)→ 网格党支部 → 楼院党小组 → 党员中心户.

* An organisation (`PartyOrg`) hangs under its parent organisation and sits at a *home area*: the
  lowest area that contains everything it covers (a branch over one grid sits at that grid, a
  branch over two grids of one community at the community). Its `area_path` is that area's path,
  so scope and re-zoning work as for every other scoped row.
* What a grid branch or building group covers is a row per covered grid or building
  (`OrgCoverage`), with the covered area's own path; a grid is covered by at most one active
  branch, a building by at most one active group. Ended coverage rows stay (history).
* Changes to organisations (create, cover, merge, split, re-parent, dissolve) are `OrgChange` rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.history import Membership, recorder_field
from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel


class OrgKind(models.TextChoices):
    STREET_COMMITTEE = "street_committee", _("街道党工委")
    COMMUNITY_COMMITTEE = "community_committee", _("社区党委")
    COMMUNITY_GENERAL_BRANCH = "community_general_branch", _("社区党总支")
    GRID_BRANCH = "grid_branch", _("网格党支部")
    BUILDING_GROUP = "building_group", _("楼院党小组")
    # Beside the territorial tree: the property-service sector's organisation (city or district) and the
    # red-property alliance a street party working committee leads (its member companies live in property).
    PROPERTY_INDUSTRY = "property_industry", _("物业服务行业党组织")
    PROPERTY_ALLIANCE = "property_alliance", _("红色物业党建联盟")


# Which kind may hang under which, and the level of the areas a kind covers.
COMMUNITY_KINDS = (OrgKind.COMMUNITY_COMMITTEE, OrgKind.COMMUNITY_GENERAL_BRANCH)
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    OrgKind.STREET_COMMITTEE: (),
    OrgKind.COMMUNITY_COMMITTEE: (OrgKind.STREET_COMMITTEE,),
    OrgKind.COMMUNITY_GENERAL_BRANCH: (OrgKind.STREET_COMMITTEE,),
    OrgKind.GRID_BRANCH: COMMUNITY_KINDS,
    OrgKind.BUILDING_GROUP: (OrgKind.GRID_BRANCH,),
    OrgKind.PROPERTY_INDUSTRY: (OrgKind.PROPERTY_INDUSTRY,),
    OrgKind.PROPERTY_ALLIANCE: (OrgKind.STREET_COMMITTEE,),
}
# Kinds whose parent may be left empty although PARENT_KINDS names one (a city-level industry
# organisation has none; a district-level one may hang under it or stand alone).
OPTIONAL_PARENT: frozenset[str] = frozenset({OrgKind.PROPERTY_INDUSTRY})
COVERED_LEVEL: dict[str, int] = {OrgKind.GRID_BRANCH: 5, OrgKind.BUILDING_GROUP: 6}
# The levels an organisation that covers no grids or buildings may sit at (its `area`).
HOME_LEVEL: dict[str, tuple[int, ...]] = {
    OrgKind.STREET_COMMITTEE: (3,),
    OrgKind.COMMUNITY_COMMITTEE: (4,),
    OrgKind.COMMUNITY_GENERAL_BRANCH: (4,),
    OrgKind.PROPERTY_INDUSTRY: (1, 2),
    OrgKind.PROPERTY_ALLIANCE: (3,),
}


class PartyOrg(ScopedModel, TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=32, choices=OrgKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="party_orgs"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    secretary = models.ForeignKey(
        "people.Resident",
        verbose_name=_("书记(组长)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    dissolved_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["area_path", "kind", "id"]
        permissions = [
            ("reorganise_partyorg", _("调整党组织(合并、拆分、变更隶属)")),
            ("import_partymember", _("批量导入党员")),
            ("export_partymember", _("导出党员")),
        ]
        indexes = [models.Index(fields=["area_path", "kind", "is_active"], name="partyorg_path_kind_idx")]

    def __str__(self) -> str:
        return self.name


class OrgCoverage(ScopedModel):
    """One grid covered by a grid branch, or one building by a building group (ended rows are history)."""

    org = models.ForeignKey(
        PartyOrg, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="coverage"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("覆盖区域"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("党组织覆盖")
        verbose_name_plural = _("党组织覆盖")
        ordering = ["area_path"]
        constraints = [
            # A grid has one branch, a building one group (the covered area's level tells them apart).
            models.UniqueConstraint(
                fields=["area"], condition=Q(ended_at__isnull=True), name="orgcoverage_one_active_per_area"
            )
        ]
        indexes = [models.Index(fields=["area_path", "ended_at"], name="orgcoverage_path_idx")]

    def __str__(self) -> str:
        return f"{self.org_id}→{self.area_id}"


class ChangeKind(models.TextChoices):
    CREATE = "create", _("成立")
    COVER = "cover", _("调整覆盖范围")
    MERGE = "merge", _("合并")
    SPLIT = "split", _("拆分")
    REPARENT = "reparent", _("变更隶属")
    RENAME = "rename", _("更名")
    DISSOLVE = "dissolve", _("撤销")


class OrgChange(ScopedModel):
    """History of an organisation: what changed, the other organisation involved, why and by whom."""

    org = models.ForeignKey(
        PartyOrg, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="changes"
    )
    kind = models.CharField(_("变更类型"), max_length=16, choices=ChangeKind.choices)
    other = models.ForeignKey(
        PartyOrg,
        verbose_name=_("相关党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    detail = models.JSONField(_("变更内容"), default=dict, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    actor = recorder_field(_("操作人"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("党组织变更记录")
        verbose_name_plural = _("党组织变更记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.org_id}"


class PartyMember(ScopedModel, TimeStampedModel):
    """A party member (a resident tagged 党员) and the one organisation they belong to.

    In-service members (在职党员) belong to their workplace's organisation, which is outside this tree:
    `org` is empty, `workplace` names it, and they register with the community where they live
    (双报到, `dual_community`). The row's path is its organisation's path, or the registered community's.
    """

    resident = models.OneToOneField(
        "people.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="party_membership"
    )
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("所在党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    in_service = models.BooleanField(_("在职党员"), default=False)
    workplace = models.CharField(_("工作单位党组织"), max_length=100, blank=True)
    dual_community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("双报到社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dual_registered_on = models.DateField(_("双报到日期"), null=True, blank=True)
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["area_path", "id"]
        indexes = [models.Index(fields=["area_path", "is_active"], name="partymember_path_idx")]

    def __str__(self) -> str:
        return self.resident.name if self.resident_id else str(self.pk)


class CentralHousehold(ScopedModel, TimeStampedModel):
    """党员中心户: a member's household that serves the households around it."""

    household = models.OneToOneField(
        "people.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="central_role"
    )
    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        PartyOrg,
        verbose_name=_("所属楼院党小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="central_households",
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    designated_on = models.DateField(_("推选日期"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("党员中心户")
        verbose_name_plural = _("党员中心户")
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return str(self.household) if self.household_id else str(self.pk)


class ServedHousehold(ScopedModel):
    """A household served by a central household (each household by at most one)."""

    central = models.ForeignKey(
        CentralHousehold, verbose_name=_("党员中心户"), on_delete=models.CASCADE, related_name="served"
    )
    household = models.OneToOneField(
        "people.Household", verbose_name=_("联系户"), on_delete=models.PROTECT, related_name="served_by"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("中心户联系户")
        verbose_name_plural = _("中心户联系户")
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return f"{self.central_id}→{self.household_id}"


class LeaderKind(models.TextChoices):
    BUILDING = "building", _("红色楼长")
    UNIT = "unit", _("单元长")


class BuildingLeader(ScopedModel, TimeStampedModel):
    """A red building leader (per building) or a unit leader (per unit); one resident may lead several."""

    kind = models.CharField(_("类型"), max_length=16, choices=LeaderKind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("楼院/单元"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="leader_posts"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    appointed_on = models.DateField(_("选聘日期"), null=True, blank=True)
    ended_on = models.DateField(_("卸任日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("楼长/单元长")
        verbose_name_plural = _("楼长/单元长")
        ordering = ["area_path", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "kind"], condition=Q(is_active=True), name="buildingleader_one_active"
            )
        ]
        indexes = [models.Index(fields=["area_path", "kind", "is_active"], name="leader_path_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.resident.name if self.resident_id else ''}"


# --- 双报到 service records -------------------------------------------------------------------------
class ServiceCategory(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿服务")
    PATROL = "patrol", _("治安巡逻")
    ENVIRONMENT = "environment", _("环境整治")
    CARE = "care", _("关爱帮扶")
    PUBLICITY = "publicity", _("政策宣讲")
    MEDIATION = "mediation", _("矛盾调解")
    DUTY = "duty", _("应急值守")
    OTHER = "other", _("其他")


class DualReportService(ScopedModel, TimeStampedModel):
    """One service an in-service member (在职党员) did in the community they registered with (双报到)."""

    member = models.ForeignKey(
        PartyMember, verbose_name=_("在职党员"), on_delete=models.PROTECT, related_name="dual_services"
    )
    community = models.ForeignKey(
        "areas.Area", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+"
    )
    served_on = models.DateField(_("服务日期"))
    hours = models.DecimalField(_("服务时长(小时)"), max_digits=4, decimal_places=1)
    category = models.CharField(_("服务类别"), max_length=16, choices=ServiceCategory.choices)
    content = models.CharField(_("服务内容"), max_length=300)
    recorded_by = recorder_field(_("登记人"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("双报到服务记录")
        verbose_name_plural = _("双报到服务记录")
        ordering = ["-served_on", "-id"]
        permissions = [("import_dualreportservice", _("批量导入双报到服务记录"))]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "served_on", "category"], name="dualservice_once_per_day_category"
            )
        ]
        indexes = [models.Index(fields=["area_path", "served_on"], name="dualservice_path_idx")]

    def __str__(self) -> str:
        return f"{self.served_on} {self.get_category_display()}"


# --- party-building resources in the grid (党建资源要素进网格) ----------------------------------------
class MutualAidGroup(ScopedModel, TimeStampedModel):
    """网格互助组: residents of a grid who help each other (what they do), led by one of them."""

    grid = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    leader = models.ForeignKey(
        "people.Resident", verbose_name=_("组长"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("互助内容"), max_length=300)
    formed_on = models.DateField(_("成立日期"))
    dissolved_on = models.DateField(_("解散日期"), null=True, blank=True)
    dissolve_reason = models.CharField(_("解散原因"), max_length=300, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("网格互助组")
        verbose_name_plural = _("网格互助组")
        ordering = ["area_path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "name"], condition=Q(is_active=True), name="mutualaid_one_name_per_grid"
            )
        ]
        indexes = [models.Index(fields=["area_path", "is_active"], name="mutualaid_path_idx")]

    def __str__(self) -> str:
        return self.name


class MutualAidMember(ScopedModel, Membership):
    """A resident's membership of a mutual-aid group; leaving ends it (the row stays as history)."""

    group = models.ForeignKey(
        MutualAidGroup, verbose_name=_("互助组"), on_delete=models.PROTECT, related_name="members"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("互助组成员")
        verbose_name_plural = _("互助组成员")
        ordering = ["area_path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "resident"], condition=Membership.CURRENT, name="mutualaid_member_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id}/{self.resident_id}"


class GridFund(ScopedModel, TimeStampedModel):
    """专项经费进网格: an amount allocated to a grid for a year from a source; `spent` sums its spendings."""

    grid = models.ForeignKey("areas.Area", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("下达金额(元)"), max_digits=12, decimal_places=2)
    source = models.CharField(_("经费来源"), max_length=100)
    spent = models.DecimalField(_("已支出(元)"), max_digits=12, decimal_places=2, default=0)
    allocated_by = recorder_field(_("登记人"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("网格专项经费")
        verbose_name_plural = _("网格专项经费")
        ordering = ["-year", "area_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "year", "source"], name="gridfund_once_per_source"),
            models.CheckConstraint(condition=Q(spent__lte=models.F("amount")), name="gridfund_not_overspent"),
        ]
        indexes = [models.Index(fields=["area_path", "year"], name="gridfund_path_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.source}"

    @property
    def balance(self):
        return self.amount - self.spent


class FundSpending(ScopedModel):
    """One spending out of a grid's special fund: when, how much, for what."""

    fund = models.ForeignKey(
        GridFund, verbose_name=_("专项经费"), on_delete=models.PROTECT, related_name="spendings"
    )
    spent_on = models.DateField(_("支出日期"))
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2)
    purpose = models.CharField(_("用途"), max_length=300)
    recorded_by = recorder_field(_("登记人"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专项经费支出")
        verbose_name_plural = _("专项经费支出")
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["area_path", "spent_on"], name="fundspending_path_idx")]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.amount}"
