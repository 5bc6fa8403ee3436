from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "gridgov.workforce"
    verbose_name = _("社区工作者队伍")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)
