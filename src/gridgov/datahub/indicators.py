"""The data hub's figures, defined once: findings of the collision runs still awaiting verification (in
all and by severity) and those closed, by outcome. A finding lies in the area it concerns (community or
grid), so every figure breaks down to the community and adds up."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, register

from .models import OPEN_STATUSES, Finding, FindingStatus, Severity


def _findings(**filters):
    return lambda: Finding.objects.for_indicator().filter(**filters)


# A finding about several communities (one person registered in two, staff on another community's grid)
# lies at their common ancestor: it counts there and above, not in any child, so children do not add up.
COUNTS_BY = _(
    "比对发现计入其所涉区域;涉及多个社区的发现(如同一人在两个社区登记)计入共同的上级区域,不计入下级,"
    "因此下级之和可能小于上级"
)


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
            additive_to=0,  # see COUNTS_BY
            counts_by=COUNTS_BY,
            **options,
        )
    )


_reg("dh_findings_open", _("待核实的比对发现"), _findings(status__in=OPEN_STATUSES), higher_is_better=False)
_reg(
    "dh_findings_open_high",
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
