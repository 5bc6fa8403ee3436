"""Working-hours arithmetic for SLA clocks.

Working time is Monday–Friday between settings.GRIDGOV_EVENT_WORKDAY (default 08:30–17:30, local time,
Asia/Shanghai); weekends do not count and public holidays are not modelled. A report made at 17:00 on
Friday with a 2-hour acceptance limit is due at 10:00 on Monday.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone


def _workday() -> tuple[dt.time, dt.time]:
    start, end = settings.GRIDGOV_EVENT_WORKDAY
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else timezone.make_aware(moment)


def add_working_hours(start: dt.datetime, hours: float | Decimal) -> dt.datetime:
    """The moment `hours` working hours after `start`."""
    begin, end = _workday()
    remaining = dt.timedelta(hours=float(hours))
    cursor = _local(start)
    tz = cursor.tzinfo
    while True:
        day_start = dt.datetime.combine(cursor.date(), begin, tz)
        day_end = dt.datetime.combine(cursor.date(), end, tz)
        if cursor.weekday() >= 5 or cursor >= day_end:
            cursor = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), begin, tz)
            continue
        cursor = max(cursor, day_start)
        available = day_end - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        cursor = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), begin, tz)


def working_hours_between(start: dt.datetime, stop: dt.datetime) -> float:
    """Working hours elapsed from `start` to `stop` (0 if stop is not after start)."""
    begin, end = _workday()
    a, b = _local(start), _local(stop)
    if b <= a:
        return 0.0
    tz = a.tzinfo
    total = dt.timedelta()
    day = a.date()
    while day <= b.date():
        if day.weekday() < 5:
            lo = max(a, dt.datetime.combine(day, begin, tz))
            hi = min(b, dt.datetime.combine(day, end, tz))
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


MAX_LEVEL = 3  # 督办 levels: 1 once due, +1 per further SLA period late


def escalation_ladder(
    due: dt.datetime, hours: float | Decimal, now: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """The escalation levels an event due at `due` with an SLA of `hours` working hours has reached by
    `now`, each with the moment it was reached: level 1 once the due time has passed, level k once
    (k − 1) further SLA periods have passed (at most MAX_LEVEL). A year late is the top level."""
    period = max(float(hours), 0.5)
    if now <= due:
        return []
    reached = [(1, due)]
    for level in range(2, MAX_LEVEL + 1):
        moment = add_working_hours(due, period * (level - 1))
        if moment > now:
            break
        reached.append((level, moment))
    return reached


def escalation_level(due: dt.datetime | None, hours: float | Decimal, now: dt.datetime) -> int:
    ladder = escalation_ladder(due, hours, now) if due is not None else []
    return ladder[-1][0] if ladder else 0
