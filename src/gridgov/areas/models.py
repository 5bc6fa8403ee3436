"""One area tree: city → district → street → community → grid → building → unit.

Each node has an official-style division code. City, district and street codes are the 12-digit
administrative codes padded with zeros; a community has its full 12-digit code; grids (3 digits),
buildings (3) and units (2) extend their parent's code. The *path* is the significant prefix of the
code, so every descendant's path starts with its ancestor's path and a subtree is one range scan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import TimeStampedModel
from gridgov.core.scope import ScopedModel


class Level(models.IntegerChoices):
    CITY = 1, _("市")
    DISTRICT = 2, _("区县")
    STREET = 3, _("街道")
    COMMUNITY = 4, _("社区")
    GRID = 5, _("网格")
    BUILDING = 6, _("楼院")
    UNIT = 7, _("单元")


# Length of the path (significant code prefix) at each level, and digits each level adds.
PATH_LENGTH = {1: 4, 2: 6, 3: 9, 4: 12, 5: 15, 6: 18, 7: 20}
SEGMENT = {level: PATH_LENGTH[level] - PATH_LENGTH.get(level - 1, 0) for level in PATH_LENGTH}
DIVISION_CODE_LENGTH = 12
# Levels whose nodes may be moved to another parent (re-zoning).
MOVABLE_LEVELS = {Level.GRID, Level.BUILDING}


def code_to_path(code: str, level: int) -> str:
    return code[: PATH_LENGTH[level]]


def ancestor_path(path: str, level: int) -> str:
    """The path of the node at `level` above (or at) the node with `path`: its fixed-width prefix."""
    return path[: PATH_LENGTH[level]]


def path_to_code(path: str, level: int) -> str:
    return path.ljust(DIVISION_CODE_LENGTH, "0") if level <= Level.COMMUNITY else path


def level_of_path(path: str) -> int:
    for level, length in PATH_LENGTH.items():
        if length == len(path):
            return level
    raise ValueError(f"not an area path: {path!r}")


class Area(ScopedModel, TimeStampedModel):
    scope_field = "path"

    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    code = models.CharField(_("区划代码"), max_length=20, unique=True)
    path = models.CharField(_("路径"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=100)
    name_pinyin = models.CharField(_("名称拼音"), max_length=300, blank=True, db_index=True)
    name_initials = models.CharField(_("名称首字母"), max_length=100, blank=True, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    geometry = models.JSONField(_("空间范围(GeoJSON)"), null=True, blank=True)
    x = models.FloatField(_("平面坐标 X(米)"), null=True, blank=True)
    y = models.FloatField(_("平面坐标 Y(米)"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True, db_index=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        permissions = [("rezone_area", _("调整区划(迁移、撤销网格与楼院)"))]
        indexes = [models.Index(fields=["parent", "is_active"], name="area_parent_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        return self.name

    def get_level_display_for(self, level: int) -> str:
        return str(Level(level).label)

    @property
    def is_leaf(self) -> bool:
        return self.level == Level.UNIT


class ChangeKind(models.TextChoices):
    CREATE = "create", _("新建")
    MOVE = "move", _("迁移")
    RENAME = "rename", _("更名")
    RETIRE = "retire", _("撤销")


class AreaChange(ScopedModel):
    """Re-zoning history: what an area was called, where it hung and which code it had, and when."""

    scope_field = "area_path"

    area = models.ForeignKey(Area, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("变更类型"), max_length=16, choices=ChangeKind.choices)
    area_path = models.CharField(_("变更后路径"), max_length=20, db_index=True)
    old_code = models.CharField(_("原区划代码"), max_length=20, blank=True)
    new_code = models.CharField(_("新区划代码"), max_length=20, blank=True)
    old_parent = models.ForeignKey(
        Area, verbose_name=_("原上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_parent = models.ForeignKey(
        Area, verbose_name=_("新上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old_name = models.CharField(_("原名称"), max_length=100, blank=True)
    new_name = models.CharField(_("新名称"), max_length=100, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("区划变更记录")
        verbose_name_plural = _("区划变更记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.old_code}→{self.new_code}"
