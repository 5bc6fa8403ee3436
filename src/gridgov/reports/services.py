"""Every write of the reports app: refreshing the indicator snapshots (docs/reports.md)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit, indicators
from gridgov.core.scope import check_reach
from gridgov.core.services import ServiceError

from .models import IndicatorSnapshot

# Snapshots are kept from the city down to grids: buildings and units are read live when needed.
LEVELS = [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]
BATCH = 2000


def check_period(period: str) -> str:
    try:
        indicators.parse_period(period)
    except ValueError:
        raise ServiceError("期间格式应为 YYYY-MM") from None
    return period


@transaction.atomic
def refresh_snapshots(actor, *, period: str = "", root_path: str | None = None) -> int:
    """Compute every registered indicator for every active area under `root_path` (the whole platform for
    None) from its level down to grids, in one rollup pass per indicator, and upsert the snapshot rows.
    Returns the number of rows written; one audit row per refresh."""
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
