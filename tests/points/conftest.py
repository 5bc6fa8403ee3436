from __future__ import annotations

import itertools

import pytest

from gridgov.points import services
from gridgov.points.models import MerchantKind

_keys = itertools.count()


def key(prefix: str = "t") -> str:
    return f"{prefix}-{next(_keys)}"


@pytest.fixture
def funded(city):
    """Community pools of the test city funded with 100,000 points each."""
    for community in city.communities:
        services.fund_pool(None, community, 100_000, key=key("fund"))
    return city


@pytest.fixture
def shop(funded, users):
    return services.create_merchant(
        None, name="邻里便利店", kind=MerchantKind.SHOP, area=funded.communities[0]
    )


@pytest.fixture
def catalogue(funded):
    services.seed_catalogue(None, funded.city)
    from gridgov.points.models import Scenario

    return {s.code: s for s in Scenario.objects.unscoped("test").all()}


def give(resident, points: int):
    """Credit a resident from their community's pool."""
    acc = services.resident_account(resident)
    pool = services.earning_pool(resident.area_path)
    return services.transfer(None, pool, acc, points, key=key("give"))
