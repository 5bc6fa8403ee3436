from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _resident_home(user) -> str | None:
    """A resident login's household unit, for the report form's default place (events.places)."""
    from .services import resident_of_user

    resident = resident_of_user(user)
    return resident.area_path if resident is not None and resident.area_path else None


class PointsConfig(AppConfig):
    name = "gridgov.points"
    verbose_name = _("积分")

    def ready(self) -> None:
        from gridgov.core import roles as grants
        from gridgov.events import places

        from . import indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
        places.register_home_path(_resident_home)

        from gridgov.party import hooks as party_hooks

        from . import dual_report

        party_hooks.on_dual_service_recorded(dual_report.on_recorded)
