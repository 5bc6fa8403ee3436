from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register

from .models import Area, Level


def _active(level: int):
    return lambda: Area.objects.for_indicator().filter(level=level, is_active=True)


def _areas(code: str, label, unit, level: int, description=""):
    # Counted where the area is; shown only above its own level (a grid's "grids" is always 1).
    register(
        Indicator(
            code,
            label,
            unit,
            _active(level),
            "path",
            description,
            breakdown_to=level,
            shown_to=level - 1,
            chapter="概况",
        )
    )


_areas("streets", _("街道数"), _("个"), Level.STREET)
_areas("communities", _("社区数"), _("个"), Level.COMMUNITY)
_areas("grids", _("基础网格数"), _("个"), Level.GRID, _("多网合一后的城市社区基础网格"))
_areas("buildings", _("楼院数"), _("栋"), Level.BUILDING)
