"""Positions (红色阵地): service centres, red stations, outdoor-worker stations, squares; the walking
network; candidate rooms for new stations; and the cached walking times of the 10-minute circle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel


class FacilityKind(models.TextChoices):
    SERVICE_CENTRE = "centre", _("党群服务中心")
    RED_STATION = "red_station", _("红色驿站")
    OUTDOOR_STATION = "outdoor_station", _("户外劳动者驿站")
    SQUARE = "square", _("党建广场")


# Result columns of the circle, one per kind plus "any position".
KIND_FIELDS = {
    FacilityKind.SERVICE_CENTRE: "minutes_centre",
    FacilityKind.RED_STATION: "minutes_red_station",
    FacilityKind.OUTDOOR_STATION: "minutes_outdoor_station",
    FacilityKind.SQUARE: "minutes_square",
}
ANY = "any"
ANY_FIELD = "minutes_any"


class HostType(models.TextChoices):
    PUBLIC = "public", _("街道社区自有用房")
    PROPERTY = "property", _("物业服务用房")
    IDLE = "idle", _("闲置用房")
    MERCHANT = "merchant", _("爱心商户经营用房")
    OUTDOOR = "outdoor", _("户外场地")
    OTHER = "other", _("其他")


class Service(models.TextChoices):
    REST = "rest", _("临时休息")
    WATER = "water", _("补水")
    CHARGING = "charging", _("充电")
    MEAL = "meal", _("加热饭菜")
    TOILET = "toilet", _("如厕")
    TOOLS = "tools", _("公用维修工具")
    MEETING = "meeting", _("议事协商")
    ACTIVITY = "activity", _("党员活动")
    MEDICINE = "medicine", _("应急药箱")
    READING = "reading", _("阅读")
    AFFAIRS = "affairs", _("政务代办")


class Facility(ScopedModel, TimeStampedModel):
    """One position. Its area is where it is registered: a centre's street or community, a station's
    compound (楼院) or grid. x/y are plane metres, like Area.x/Area.y; the location lies in that area."""

    kind = models.CharField(_("类型"), max_length=20, choices=FacilityKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="facilities"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    x = models.FloatField(_("平面坐标 X(米)"))
    y = models.FloatField(_("平面坐标 Y(米)"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    floor_area = models.DecimalField(_("面积(平方米)"), max_digits=9, decimal_places=1, null=True, blank=True)
    host_type = models.CharField(
        _("用房类型"), max_length=16, choices=HostType.choices, default=HostType.PUBLIC
    )
    host_name = models.CharField(_("承载单位"), max_length=100, blank=True)
    services = models.JSONField(_("服务内容"), default=list, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=100, blank=True)
    unified_sign = models.BooleanField(_("统一标识"), default=False)
    shared_use = models.BooleanField(_("开放共用"), default=False)
    shared_with = models.CharField(_("共用单位"), max_length=200, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    # A position is never deleted: closing keeps the row (out of the circle, still listed) and its history
    # (the audit trail of closes and reopenings); these say when and why it was last closed.
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("阵地")
        verbose_name_plural = _("阵地")
        ordering = ["area_path", "kind", "id"]
        permissions = [
            ("import_facility", _("批量导入阵地")),
            ("export_facility", _("导出阵地")),
            ("view_nearby", _("查看附近的阵地")),
        ]
        indexes = [models.Index(fields=["area_path", "kind", "is_active"], name="facility_path_kind_idx")]

    def __str__(self) -> str:
        return self.name

    def service_labels(self) -> list[str]:
        labels = dict(Service.choices)
        return [str(labels.get(code, code)) for code in self.services]


class FacilityPhoto(TimeStampedModel):
    """A photo of a position (reached only through its facility, which is scoped)."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("阵地"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to="facilities/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("阵地照片")
        verbose_name_plural = _("阵地照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.caption or str(self.image.name)


class CandidateSite(ScopedModel, TimeStampedModel):
    """An idle, property or merchant room that could host a new station (the siting candidates)."""

    name = models.CharField(_("名称"), max_length=100)
    room_type = models.CharField(
        _("用房类型"), max_length=16, choices=HostType.choices, default=HostType.IDLE
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="candidate_sites"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    x = models.FloatField(_("平面坐标 X(米)"))
    y = models.FloatField(_("平面坐标 Y(米)"))
    floor_area = models.DecimalField(_("面积(平方米)"), max_digits=9, decimal_places=1, null=True, blank=True)
    host_name = models.CharField(_("产权或经营单位"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_available = models.BooleanField(_("可用"), default=True)

    class Meta:
        verbose_name = _("备选用房")
        verbose_name_plural = _("备选用房")
        ordering = ["area_path", "id"]
        indexes = [models.Index(fields=["area_path", "is_available"], name="candidate_path_avail_idx")]

    def __str__(self) -> str:
        return self.name


class WalkNetwork(ScopedModel):
    """An imported road/footpath network for a city. Only the newest active one is used."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属城市"), on_delete=models.PROTECT, related_name="walk_networks"
    )
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    name = models.CharField(_("名称"), max_length=200)
    segments = models.PositiveIntegerField(_("线段数"), default=0)
    nodes = models.PositiveIntegerField(_("节点数"), default=0)
    edges = models.PositiveIntegerField(_("边数"), default=0)
    length_km = models.FloatField(_("总长度(公里)"), default=0)
    dropped_fragments = models.PositiveIntegerField(_("丢弃的碎片"), default=0)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("步行路网")
        verbose_name_plural = _("步行路网")
        ordering = ["-created_at", "-id"]
        permissions = [("import_walknetwork", _("导入步行路网"))]

    def __str__(self) -> str:
        return self.name


class NetworkSegment(models.Model):
    """One straight piece of a street or footpath (reached only through its network)."""

    network = models.ForeignKey(
        WalkNetwork, verbose_name=_("路网"), on_delete=models.CASCADE, related_name="segment_rows"
    )
    x1 = models.FloatField()
    y1 = models.FloatField()
    x2 = models.FloatField()
    y2 = models.FloatField()
    kind = models.CharField(_("道路类型"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("路网线段")
        verbose_name_plural = _("路网线段")
        default_permissions = ()

    def __str__(self) -> str:
        return f"({self.x1:.0f}, {self.y1:.0f})–({self.x2:.0f}, {self.y2:.0f})"


class CoverageRun(ScopedModel):
    """When the circle was last computed for a city, how, and whether a change has made it stale."""

    area_path = models.CharField(_("区域路径"), max_length=20, unique=True)
    computed_at = models.DateTimeField(_("计算时间"))
    method = models.CharField(_("计算方法"), max_length=16)  # "network" or "straight"
    network = models.ForeignKey(
        WalkNetwork,
        verbose_name=_("路网"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    walk_speed = models.FloatField(_("步行速度(米/分钟)"))
    detour_factor = models.FloatField(_("绕行系数"))
    minutes = models.FloatField(_("生活圈(分钟)"))
    buildings = models.PositiveIntegerField(_("楼院数"), default=0)
    facilities = models.PositiveIntegerField(_("阵地数"), default=0)
    seconds = models.FloatField(_("用时(秒)"), default=0)
    is_stale = models.BooleanField(_("已过期"), default=False)

    class Meta:
        verbose_name = _("生活圈计算")
        verbose_name_plural = _("生活圈计算")
        default_permissions = ("view",)
        permissions = [("recompute_coverage", _("重新计算生活圈"))]

    def __str__(self) -> str:
        return f"{self.area_path} {self.computed_at:%Y-%m-%d %H:%M}"

    @property
    def uses_network(self) -> bool:
        return self.method == "network"


class BuildingAccess(ScopedModel):
    """Cache: walking minutes from a building (楼院) to the nearest position of each kind.

    Derived state, rebuilt as a whole per city by coverage.compute_coverage (see CoverageRun); the
    household and resident counts are those at computed_at. None = no position of that kind reachable.
    """

    building = models.OneToOneField(
        "areas.Area", verbose_name=_("楼院"), on_delete=models.CASCADE, related_name="access"
    )
    area_path = models.CharField(_("区域路径"), max_length=20)
    x = models.FloatField()
    y = models.FloatField()
    households = models.PositiveIntegerField(_("户数"), default=0)
    residents = models.PositiveIntegerField(_("居民数"), default=0)
    snap_m = models.FloatField(_("到路网距离(米)"), null=True, blank=True)
    minutes_centre = models.FloatField(_("到党群服务中心(分钟)"), null=True, blank=True)
    minutes_red_station = models.FloatField(_("到红色驿站(分钟)"), null=True, blank=True)
    minutes_outdoor_station = models.FloatField(_("到户外劳动者驿站(分钟)"), null=True, blank=True)
    minutes_square = models.FloatField(_("到党建广场(分钟)"), null=True, blank=True)
    minutes_any = models.FloatField(_("到最近阵地(分钟)"), null=True, blank=True)
    nearest = models.JSONField(_("最近阵地"), default=dict, blank=True)  # {kind: facility id}

    class Meta:
        verbose_name = _("楼院步行可达")
        verbose_name_plural = _("楼院步行可达")
        ordering = ["area_path"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["area_path", "minutes_any"], name="access_path_minutes_idx")]

    def __str__(self) -> str:
        return self.area_path
