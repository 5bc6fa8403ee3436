import datetime as dt

from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register

from .models import Household, Resident


def years_ago(years: int, today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _residents():
    return Resident.objects.for_indicator().filter(is_active=True)


def _aged(years: int):
    return lambda: _residents().filter(birth_date__lte=years_ago(years))


register(Indicator("residents", _("居民数"), _("人"), _residents, "area_path", chapter="概况"))
register(
    Indicator(
        "households",
        _("户数"),
        _("户"),
        lambda: Household.objects.for_indicator().filter(is_active=True),
        "area_path",
        chapter="概况",
    )
)
register(Indicator("elderly_60", _("60岁以上老人"), _("人"), _aged(60), "area_path", chapter="概况"))
register(Indicator("elderly_80", _("80岁以上老人"), _("人"), _aged(80), "area_path", chapter="概况"))
register(
    Indicator(
        "party_members",
        _("党员"),
        _("人"),
        lambda: _residents().filter(tags__code="party_member"),
        "area_path",
        chapter="概况",
    )
)
