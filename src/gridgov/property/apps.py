from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PropertyConfig(AppConfig):
    name = "gridgov.property"
    verbose_name = _("红色物业")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import assignees, indicators, payees, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
        assignees.register()  # companies as an assignee kind of work orders (events.assignees)
        payees.register()  # companies as the payees of property-service redemptions (points.payees)
