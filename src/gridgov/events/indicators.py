"""The work orders' figures (一网三联: reported, dispatched and closed through the grid), defined once.

A work order is placed at the area it was reported in — a grid, or its community when reported there —
so its figures break down to communities and are shown down to grids. Closed and
closed-on-time are counted in the month of closing; the open overdue ones are a check (target 0).
"""

from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, register

from .models import OPEN_STATES, Event, State

CLOSED_STATES = (State.CLOSED, State.RATED)


def _closed():
    return Event.objects.for_indicator().filter(state__in=CLOSED_STATES, closed_at__isnull=False)


register(
    Indicator(
        "ev_closed",
        _("办结工单"),
        _("件"),
        _closed,
        "area_path",
        breakdown_to=Level.COMMUNITY,
        shown_to=Level.GRID,
        chapter="三",
        period_field="closed_at",
    )
)
register(
    Indicator(
        "ev_closed_on_time",
        _("按时办结工单"),
        _("件"),
        lambda: _closed().filter(overdue=False),
        "area_path",
        breakdown_to=Level.COMMUNITY,
        shown_to=Level.GRID,
        chapter="三",
        period_field="closed_at",
    )
)
register(
    Indicator(
        "ev_on_time_share",
        _("工单按时办结率"),
        "%",
        kind="share",
        numerator="ev_closed_on_time",
        denominator="ev_closed",
        breakdown_to=Level.COMMUNITY,
        shown_to=Level.GRID,
        chapter="三",
        higher_is_better=True,
    )
)
register(
    Indicator(
        "check_open_overdue",
        _("超时未办结工单"),
        _("件"),
        lambda: Event.objects.for_indicator().filter(state__in=OPEN_STATES, overdue=True),
        "area_path",
        description=_("已超过办结时限仍未结案的工单"),
        breakdown_to=Level.COMMUNITY,
        shown_to=Level.GRID,
        chapter="三",
        higher_is_better=False,
        target=0,
    )
)
