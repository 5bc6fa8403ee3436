from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "gridgov.emergency"
    verbose_name = _("平急结合")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import roles

        grants.register(self.label, roles.GRANTS)  # what each role may do here (accounts.roles reads it)
