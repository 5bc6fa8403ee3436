"""The facilities' figures, defined once: counts of positions by kind, and buildings in the circle."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, register

from .models import BuildingAccess, Facility, FacilityKind


# A service centre sits at a street or a community, other positions at a community or below; the
# generator places stations in buildings, but nothing requires it, so per-grid columns are left out.
def _kind(kind: str):
    return lambda: Facility.objects.for_indicator().filter(is_active=True, kind=kind)


def _positions(code: str, label, kind: str, breakdown_to: int, shown_to: int = Level.BUILDING) -> None:
    register(
        Indicator(
            code,
            label,
            _("处"),
            _kind(kind),
            "area_path",
            breakdown_to=breakdown_to,
            shown_to=shown_to,
            chapter="五",
        )
    )


_positions(
    "service_centres", _("党群服务中心"), FacilityKind.SERVICE_CENTRE, Level.STREET, shown_to=Level.COMMUNITY
)
_positions("red_stations", _("红色驿站"), FacilityKind.RED_STATION, Level.COMMUNITY)
_positions("outdoor_stations", _("户外劳动者驿站"), FacilityKind.OUTDOOR_STATION, Level.COMMUNITY)
_positions("party_squares", _("党建广场"), FacilityKind.SQUARE, Level.COMMUNITY)
register(
    Indicator(
        "buildings_in_circle",
        _("生活圈内楼院"),
        _("个"),
        lambda: BuildingAccess.objects.for_indicator().filter(
            minutes_any__lte=settings.GRIDGOV_CIRCLE_MINUTES
        ),
        "area_path",
        description=_("步行到最近阵地不超过生活圈分钟数的楼院(取自最近一次计算)"),
        breakdown_to=Level.BUILDING,
        shown_to=Level.GRID,
        chapter="五",
    )
)

# The report's standard: service centres of at least 30 m² per 100 households (the area summed over the
# centres with a recorded area, over the households of the same node).
register(
    Indicator(
        "service_centre_area",
        _("党群服务中心面积"),
        _("平方米"),
        _kind(FacilityKind.SERVICE_CENTRE),
        "area_path",
        breakdown_to=Level.STREET,
        shown_to=Level.COMMUNITY,
        chapter="五",
        sum_field="floor_area",
    )
)
register(
    Indicator(
        "service_centre_per_100_households",
        _("每百户党群服务中心面积"),
        _("平方米/百户"),
        kind="ratio",
        numerator="service_centre_area",
        denominator="households",
        scale=100,
        breakdown_to=Level.STREET,
        shown_to=Level.COMMUNITY,
        chapter="五",
        higher_is_better=True,
        target=30,
    )
)
register(
    Indicator(
        "circle_share",
        _("10分钟生活圈覆盖率(楼院)"),
        "%",
        kind="share",
        numerator="buildings_in_circle",
        denominator="buildings",
        breakdown_to=Level.BUILDING,
        shown_to=Level.GRID,
        chapter="五",
        higher_is_better=True,
        target=100,
    )
)
