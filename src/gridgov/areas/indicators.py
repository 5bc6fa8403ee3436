from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register

from .models import Area, Level


def _active(level: int):
    return lambda: Area.objects.unscoped("indicator").filter(level=level, is_active=True)


register(Indicator("streets", _("街道数"), _("个"), _active(Level.STREET), "path"))
register(Indicator("communities", _("社区数"), _("个"), _active(Level.COMMUNITY), "path"))
register(
    Indicator(
        "grids", _("基础网格数"), _("个"), _active(Level.GRID), "path", _("多网合一后的城市社区基础网格")
    )
)
register(Indicator("buildings", _("楼院数"), _("栋"), _active(Level.BUILDING), "path"))
