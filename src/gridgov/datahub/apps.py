from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatahubConfig(AppConfig):
    name = "gridgov.datahub"
    verbose_name = _("数据平台与碰撞比对")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import indicators, roles  # noqa: F401

        grants.register(self.label, roles.GRANTS)  # what each role may do here (accounts.roles reads it)

        from gridgov.events import origins

        from .hooks import read_finding

        origins.register("datahub", read_finding)  # the work order page's panel for a verification order
