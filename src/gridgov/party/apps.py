from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "gridgov.party"
    verbose_name = _("党组织网络")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
