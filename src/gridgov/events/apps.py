from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "gridgov.events"
    verbose_name = _("事件工单")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import assignees, hooks, indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
        assignees.register_area_kinds()  # other kinds are registered by their apps' ready()
        hooks.autodiscover()
