from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "gridgov.facilities"
    verbose_name = _("红色阵地")

    def ready(self) -> None:
        from . import indicators  # noqa: F401
