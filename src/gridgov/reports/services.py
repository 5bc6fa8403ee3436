"""Every write of the reports app: refreshing the indicator snapshots (docs/reports.md)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit, indicators
from gridgov.core.scope import check_reach
from gridgov.core.services import ServiceError

from .models import IndicatorSnapshot, RefreshRequest

# Snapshots are kept from the city down to grids: buildings and units are read live when needed.
LEVELS = [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]
BATCH = 2000
TREND_MONTHS = 12


def check_period(period: str) -> str:
    try:
        indicators.parse_period(period)
    except ValueError:
        raise ServiceError("期间格式应为 YYYY-MM") from None
    return period


@transaction.atomic
def refresh_snapshots(
    actor, *, period: str = "", root_path: str | None = None, periodic_only: bool = False
) -> int:
    """Compute every registered indicator for every active area under `root_path` (the whole platform for
    None) from its level down to grids, in one rollup pass per indicator, and upsert the snapshot rows.
    A month's stock figures are their values now (nothing dates them): `periodic_only` leaves them out when
    back-filling past months, and a month without its own stock snapshot reads the current one. Returns the
    number of rows written; one audit row per refresh."""
    check_period(period)
    root = root_path or ""
    if root:
        check_reach(actor, root)
    areas = list(
        Area.objects.visible_to(actor)
        .in_area(root)
        .filter(level__in=LEVELS, is_active=True)
        .only("id", "path", "level")
    )
    if not areas:
        return 0
    lengths = sorted({PATH_LENGTH[a.level] for a in areas})
    now = timezone.now()
    rows: list[IndicatorSnapshot] = []
    for code, indicator in indicators.REGISTRY.items():
        if periodic_only and not indicator.periodic:
            continue
        shown = [a for a in areas if indicator.shown_at(a.level)]
        if not shown:
            continue
        values = indicators.rollup(indicator, root, lengths, period)
        rows.extend(
            IndicatorSnapshot(
                area_id=a.pk,
                area_path=a.path,
                period=period,
                code=code,
                value=values[len(a.path)].get(a.path, None if indicator.derived else 0),
                computed_at=now,
            )
            for a in shown
        )
    IndicatorSnapshot.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["area", "period", "code"],
        update_fields=["area_path", "value", "computed_at"],
    )
    audit.record(
        actor,
        "reports.refresh_snapshots",
        None,
        object_repr=f"{root or '*'} {period or 'current'}",
        after={"root_path": root, "period": period, "areas": len(areas), "rows": len(rows)},
        area_path=root,
    )
    return len(rows)


def last_months(count: int, today: dt.date | None = None) -> list[str]:
    """The `count` months up to and including this one, oldest first, as "YYYY-MM"."""
    day = today or timezone.localdate()
    year, month = day.year, day.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def refresh_recent(actor, *, months: int = TREND_MONTHS, root_path: str | None = None) -> int:
    """The current figures, this month's (stock figures included: as the month goes on they become its
    record) and the periodic ones of each of the `months` - 1 months before (the cockpit's trends and the
    work report's comparisons read them): what the nightly task and the generator run."""
    rows = refresh_snapshots(actor, root_path=root_path)
    *past, this_month = last_months(months)
    rows += refresh_snapshots(actor, period=this_month, root_path=root_path)
    for period in past:
        rows += refresh_snapshots(actor, period=period, root_path=root_path, periodic_only=True)
    return rows


def request_refresh(area_path: str) -> None:
    """Owe `area_path`'s subtree a refresh (after an import); repeated requests only move the time."""
    RefreshRequest.objects.update_or_create(area_path=area_path, defaults={"requested_at": timezone.now()})


def run_requested(actor) -> list[str]:
    """Refresh the current figures of every subtree owed one — an ancestor's refresh covers its descendants
    — and drop the requests made before the start (one made during the run waits for the next)."""
    started = timezone.now()
    paths = sorted(
        RefreshRequest.objects.filter(requested_at__lte=started).values_list("area_path", flat=True)
    )
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    for root in roots:
        refresh_snapshots(actor, root_path=root or None)
    RefreshRequest.objects.filter(requested_at__lte=started).delete()
    return roots
