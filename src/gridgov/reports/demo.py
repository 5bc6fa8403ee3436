"""The generator's last step: the current indicator snapshots of the synthetic city."""

from gridgov.core.actors import SystemActor
from gridgov.demo.context import CityContext
from gridgov.demo.registry import step

from . import services


@step(order=99, name="指标快照")
def refresh_indicator_snapshots(city: CityContext) -> str:
    rows = services.refresh_snapshots(SystemActor("generate_city"))
    return f"{rows} 项"
