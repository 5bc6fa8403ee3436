"""Red property's figures (红色物业), defined once: companies under management, the public-interest
organisations (the report's 28) and the average monthly score of the "three 100%" evaluation.

Companies are registered at a street (or district), so their figures break down to streets.
"""

from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, register

from .models import MonthlyScore, PropertyCompany


def _companies():
    return PropertyCompany.objects.for_indicator().filter(is_active=True)


def _reg(code, label, unit, rows, **options):
    return register(
        Indicator(code, label, unit, rows, "area_path", breakdown_to=Level.STREET, chapter="四", **options)
    )


_reg("prop_companies", _("在管物业企业"), _("家"), _companies)
_reg(
    "prop_public_interest",
    _("公益性物业组织"),
    _("家"),
    lambda: _companies().filter(is_active=True, is_public_interest=True),
)
# The average of every score given in the month (three scorers per company): a sum and a count of scores.
_reg(
    "prop_score_total",
    _("物业考核得分合计"),
    _("分"),
    lambda: MonthlyScore.objects.for_indicator().all(),
    sum_field="score",
    period_field="month",
)
_reg(
    "prop_scores",
    _("物业考核评分次数"),
    _("次"),
    lambda: MonthlyScore.objects.for_indicator().all(),
    period_field="month",
)
register(
    Indicator(
        "prop_score_average",
        _("物业考核平均得分"),
        _("分"),
        kind="average",
        numerator="prop_score_total",
        denominator="prop_scores",
        breakdown_to=Level.STREET,
        chapter="四",
        higher_is_better=True,
    )
)
