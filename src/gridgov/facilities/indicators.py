"""The facilities' figures, defined once: counts of positions by kind, and buildings in the circle."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register

from .models import BuildingAccess, Facility, FacilityKind


def _kind(kind: str):
    return lambda: Facility.objects.unscoped("indicator").filter(is_active=True, kind=kind)


register(
    Indicator("service_centres", _("党群服务中心"), _("处"), _kind(FacilityKind.SERVICE_CENTRE), "area_path")
)
register(Indicator("red_stations", _("红色驿站"), _("处"), _kind(FacilityKind.RED_STATION), "area_path"))
register(
    Indicator(
        "outdoor_stations", _("户外劳动者驿站"), _("处"), _kind(FacilityKind.OUTDOOR_STATION), "area_path"
    )
)
register(Indicator("party_squares", _("党建广场"), _("处"), _kind(FacilityKind.SQUARE), "area_path"))
register(
    Indicator(
        "buildings_in_circle",
        _("生活圈内楼院"),
        _("个"),
        lambda: BuildingAccess.objects.unscoped("indicator").filter(
            minutes_any__lte=settings.GRIDGOV_CIRCLE_MINUTES
        ),
        "area_path",
        description=_("步行到最近阵地不超过生活圈分钟数的楼院(取自最近一次计算)"),
    )
)
