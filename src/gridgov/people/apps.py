from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gridgov.people"
    verbose_name = _("居民与户")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import indicators, panels, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
        panels.register()  # a unit's households on the area page
