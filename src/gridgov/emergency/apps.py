from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "gridgov.emergency"
    verbose_name = _("平急结合")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import assignees, indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)  # what each role may do here (accounts.roles reads it)
        assignees.register()  # emergency work groups as an assignee kind of work orders (events.assignees)
