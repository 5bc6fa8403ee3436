"""The points figures, each a count over records (never a stored number).

Volunteer services (志愿服务, the report's "30,000+"): approved participations in volunteer services and
party members' reported service (党员报到服务), placed at the volunteer's home (their unit), so the
children of any area add up to it.
"""

from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register

from .models import ActivityKind, Entry, OwnerKind, Participation, PartStatus, Redemption, TxKind

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

# Points earned by residents and redeemed by them, in the month they were posted (积分联奖惩's two flows).
register(
    Indicator(
        "pt_points_earned",
        _("居民获得积分"),
        _("分"),
        lambda: Entry.objects.for_indicator().filter(
            transaction__kind=TxKind.EARN, account__owner_kind=OwnerKind.RESIDENT, amount__gt=0
        ),
        "area_path",
        chapter="三",
        sum_field="amount",
        period_field="created_at",
    )
)
register(
    Indicator(
        "pt_points_redeemed",
        _("居民兑换积分"),
        _("分"),
        lambda: Redemption.objects.for_indicator().filter(reversed=False),
        "area_path",
        chapter="三",
        sum_field="points",
        period_field="created_at",
    )
)
