from __future__ import annotations

import itertools

import pytest

from gridgov.core.actors import SystemActor
from gridgov.points import services
from gridgov.points.models import MerchantKind

_keys = itertools.count()
SYSTEM = SystemActor("tests.points")  # the actor of set-up steps: reaches every area, audited as such


def key(prefix: str = "t") -> str:
    return f"{prefix}-{next(_keys)}"


@pytest.fixture
def funded(city):
    """Community pools of the test city funded with 100,000 points each."""
    for community in city.communities:
        services.fund_pool(SYSTEM, community, 100_000, key=key("fund"))
    return city


@pytest.fixture
def shop(funded, users):
    return services.create_merchant(
        SYSTEM, name="邻里便利店", kind=MerchantKind.SHOP, area=funded.communities[0]
    )


@pytest.fixture
def catalogue(funded):
    services.seed_catalogue(SYSTEM, funded.city)
    from gridgov.points.models import Scenario

    return {s.code: s for s in Scenario.objects.unscoped("test").all()}


def give(resident, points: int):
    """Credit a resident from their community's pool."""
    acc = services.resident_account(resident)
    pool = services.earning_pool(resident.area_path)
    return services.transfer(SYSTEM, pool, acc, points, key=key("give"))


def participation(resident):
    """A self-reported participation of the resident in a two-hour activity that ended an hour ago, waiting
    for approval."""
    import datetime as dt

    from django.utils import timezone

    from gridgov.areas.models import Area

    now = timezone.now()
    activity = services.create_activity(
        SYSTEM,
        title="楼道清扫",
        kind="volunteer",
        area=Area.objects.unscoped("test: the resident's own unit").get(path=resident.area_path),
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now - dt.timedelta(hours=1),
        capacity=10,
    )
    return services.report_participation(SYSTEM, activity, resident, minutes=90)
