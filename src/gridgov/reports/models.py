"""Snapshots of the indicators (core/indicators.py): one value per area, period and indicator, so pages
and the API read a whole table in one query instead of recomputing it (docs/reports.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area
from gridgov.core.scope import ScopedModel


class IndicatorSnapshot(ScopedModel):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("区域"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    # "" for the current (stock) figures, "YYYY-MM" for a month.
    period = models.CharField(_("期间"), max_length=7, blank=True, default="")
    code = models.CharField(_("指标"), max_length=64)
    # Counts and sums are whole numbers; shares and ratios are not (core.indicators.format_value).
    value = models.FloatField(_("数值"), null=True)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")
        ordering = ["area_path", "period", "code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "period", "code"], name="snapshot_area_period_code_uniq")
        ]
        indexes = [models.Index(fields=["area_path", "period"], name="snapshot_path_period_idx")]
        permissions = [("refresh_indicatorsnapshot", _("可以刷新指标快照"))]

    def __str__(self) -> str:
        return f"{self.area_path} {self.period or '-'} {self.code}={self.value}"


class WorkReport(ScopedModel):
    """A generated work report (工作报告, reports/workreport.py): the .docx as it was written and the figures it
    was written from — the area's table, the time of its snapshot, the previous period's values and each
    child area's — so the HTML view and the file show the same numbers whatever changes later."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    area_path = models.CharField(_("区域路径"), max_length=20, editable=False)
    # "" for the current figures, "YYYY-MM" for a month (as IndicatorSnapshot.period).
    period = models.CharField(_("期间"), max_length=7, blank=True, default="")
    title = models.CharField(_("标题"), max_length=300)
    figures = models.JSONField(_("数据"), default=dict, editable=False)
    docx = models.FileField(_("Word 文件"), upload_to="reports/%Y/%m/", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生成人"),
    )
    created_by_label = models.CharField(_("生成人"), max_length=150, blank=True, default="")
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("工作报告")
        verbose_name_plural = _("工作报告")
        ordering = ["-created_at", "-id"]
        # Read with reports.view_indicatorsnapshot (the figures it holds are the indicator tables').
        default_permissions = ()
        permissions = [("generate_workreport", _("可以生成工作报告"))]
        indexes = [models.Index(fields=["area_path", "created_at"], name="workreport_path_created_idx")]

    def __str__(self) -> str:
        return self.title


class RefreshRequest(models.Model):
    """A subtree whose snapshots are owed a refresh since records were imported under it (core.signals
    `records_imported`). The beat task `reports.refresh_requested` collapses and runs them every few
    minutes, so ten imports in a row cost one refresh."""

    area_path = models.CharField(_("区域路径"), max_length=20, unique=True, blank=True)
    requested_at = models.DateTimeField(_("申请时间"))

    class Meta:
        verbose_name = _("待刷新的指标快照")
        verbose_name_plural = _("待刷新的指标快照")
        ordering = ["area_path"]

    def __str__(self) -> str:
        return f"{self.area_path or '*'} @ {self.requested_at:%Y-%m-%d %H:%M}"
