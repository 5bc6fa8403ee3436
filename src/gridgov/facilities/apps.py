from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "gridgov.facilities"
    verbose_name = _("红色阵地")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
