"""The generator's last step: the indicator snapshots of the synthetic city (current, and 12 months)."""

from gridgov.core.actors import SystemActor
from gridgov.demo.context import CityContext
from gridgov.demo.registry import step

from . import services


@step(order=99, name="指标快照")
def refresh_indicator_snapshots(city: CityContext) -> str:
    rows = services.refresh_recent(SystemActor("generate_city"))
    return f"{rows} 项"
