from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "gridgov.areas"
    verbose_name = _("区域与网格")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
