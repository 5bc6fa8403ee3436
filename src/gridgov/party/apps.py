from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "gridgov.party"
    verbose_name = _("党组织网络")

    def ready(self) -> None:
        from . import indicators  # noqa: F401
