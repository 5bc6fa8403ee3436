"""The data hub's figures, defined once: findings of the collision runs still awaiting verification (in
all and by severity) and those closed, by outcome.

A figure counts the findings placed in a community or below it (the community that verifies them), so
every figure breaks down to the community and adds up. A finding about several communities (one person
registered in two) lies at their common ancestor, and one the area tree cannot place (a vehicle owner
with no known address) at the city: those are on the findings page, not in these figures.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, register

from .models import OPEN_STATUSES, Finding, FindingStatus, Severity


def _findings(**filters):
    # Placed in a community or deeper: a path of at least the community's 12 characters.
    return lambda: Finding.objects.for_indicator().filter(area_path__regex=r"^.{12,}$", **filters)


def _reg(code, label, rows, **options):
    return register(
        Indicator(
            code,
            label,
            pgettext_lazy("unit of findings", "条"),
            rows,
            "area_path",
            breakdown_to=Level.COMMUNITY,
            chapter="四",
            **options,
        )
    )


_reg("dh_findings_open", _("待核实的比对发现"), _findings(status__in=OPEN_STATUSES), higher_is_better=False)
# A check of the report's kind: high-severity findings not yet verified; zero is the target.
_reg(
    "check_dh_findings_open_high",
    _("待核实的比对发现(高)"),
    _findings(status__in=OPEN_STATUSES, severity=Severity.HIGH),
    higher_is_better=False,
    target=0,
)
_reg(
    "dh_findings_open_medium",
    _("待核实的比对发现(中)"),
    _findings(status__in=OPEN_STATUSES, severity=Severity.MEDIUM),
    higher_is_better=False,
)
_reg(
    "dh_findings_open_low",
    _("待核实的比对发现(低)"),
    _findings(status__in=OPEN_STATUSES, severity=Severity.LOW),
    higher_is_better=False,
)
_reg("dh_findings_confirmed", _("核实属实的比对发现"), _findings(status=FindingStatus.CONFIRMED))
_reg("dh_findings_corrected", _("已更正的比对发现"), _findings(status=FindingStatus.CORRECTED))
_reg("dh_findings_false_alarm", _("核实为误报的比对发现"), _findings(status=FindingStatus.FALSE_ALARM))
