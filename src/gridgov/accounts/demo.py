"""Synthetic city, last step: one demo login per role, bound to a generated area."""

from __future__ import annotations

from gridgov.areas.models import Area, Level
from gridgov.core.actors import SystemActor
from gridgov.demo.context import CityContext
from gridgov.demo.registry import step

from . import services
from .models import User
from .roles import Role

GENERATOR = SystemActor("demo.accounts")  # audited as system:demo.accounts
DEMO_PASSWORD = "gridgov-demo"  # noqa: S105 - printed by `make demo`; demo databases only

# username, role, level of the bound area, index among generated areas of that level, display name
DEMO_USERS = [
    ("city", Role.CITY_ADMIN, Level.CITY, 0, "市委组织部管理员"),
    ("district", Role.DISTRICT, Level.DISTRICT, 0, "区县管理员"),
    ("street", Role.STREET, Level.STREET, 0, "街道管理员"),
    ("secretary", Role.COMMUNITY_SECRETARY, Level.COMMUNITY, 0, "社区书记"),
    ("worker", Role.COMMUNITY_WORKER, Level.COMMUNITY, 0, "社区工作者"),
    ("grid", Role.GRID_WORKER, Level.GRID, 0, "网格员(第1网格)"),
    ("grid2", Role.GRID_WORKER, Level.GRID, 1, "网格员(第2网格)"),
    ("property", Role.PROPERTY, Level.COMMUNITY, 0, "物业企业"),
    ("merchant", Role.MERCHANT, Level.COMMUNITY, 0, "商户"),
    ("resident", Role.RESIDENT, Level.GRID, 0, "居民"),
    # department logins of the data hub (datahub): bound to the city, their own sources only
    ("civil", Role.DEPT_CIVIL_AFFAIRS, Level.CITY, 0, "民政局数据员"),
    ("police", Role.DEPT_PUBLIC_SECURITY, Level.CITY, 0, "公安局数据员"),
]


@step(order=90, name="演示账号")
def generate_users(ctx: CityContext) -> str:
    made = []
    for username, role, level, index, display in DEMO_USERS:
        stubs = ctx.areas.get(level) or []
        if not stubs or User._default_manager.filter(username=username).exists():
            continue
        area = Area.objects.for_generator().get(pk=stubs[min(index, len(stubs) - 1)].id)
        user = services.create_user(
            GENERATOR, username=username, password=DEMO_PASSWORD, role=role, area=area, display_name=display
        )
        if role == Role.CITY_ADMIN:
            User._default_manager.filter(pk=user.pk).update(is_staff=True)
        made.append(username)
    return f"{len(made)} 个演示账号"
