from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "gridgov.reports"
    verbose_name = _("工作报告")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import roles

        grants.register(self.label, roles.GRANTS)  # what each role may do here (accounts.roles reads it)

        from gridgov.core.signals import records_imported

        records_imported.connect(_imported, dispatch_uid="reports.refresh_after_import")


def _imported(sender, *, area_path: str, **kwargs) -> None:
    from .services import request_refresh

    request_refresh(area_path)
