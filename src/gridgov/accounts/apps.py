from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        from gridgov.core import roles as grants

        from . import roles, signals  # noqa: F401

        grants.register(self.label, roles.GRANTS)
