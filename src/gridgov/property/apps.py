from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PropertyConfig(AppConfig):
    name = "gridgov.property"
    verbose_name = _("红色物业")

    def ready(self) -> None:
        from . import assignees

        assignees.register()  # companies as an assignee kind of work orders (events.assignees)
