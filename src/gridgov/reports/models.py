"""Snapshots of the indicators (core/indicators.py): one value per area, period and indicator, so pages
and the API read a whole table in one query instead of recomputing it (docs/reports.md)."""

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
