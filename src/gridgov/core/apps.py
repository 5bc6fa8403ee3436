from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from . import roles, system_checks  # noqa: F401 - system_checks registers its checks

        roles.register(self.label, roles.GRANTS)  # the audit log; every app registers its own grants
