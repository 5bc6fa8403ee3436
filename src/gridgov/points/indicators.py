"""The points figures, each a count over records (never a stored number).

Volunteer services (志愿服务, the report's "30,000+"): approved participations in volunteer services and
party members' reported service (党员报到服务), placed at the volunteer's home (their unit), so the
children of any area add up to it.
"""

from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register

from .models import ActivityKind, Participation, PartStatus

VOLUNTEER_KINDS = (ActivityKind.VOLUNTEER, ActivityKind.PARTY_DUTY)


def volunteer_services():
    return Participation.objects.for_indicator().filter(
        status=PartStatus.APPROVED, activity__kind__in=VOLUNTEER_KINDS
    )


VOLUNTEER_SERVICES = register(
    Indicator(
        "pt_volunteer_services",
        _("志愿服务"),
        _("人次"),
        volunteer_services,
        "resident_path",
        description=_("审核通过的志愿服务和党员报到服务,按志愿者住址计入区域"),
        chapter="三",
        period_field="service_date",
    )
)
