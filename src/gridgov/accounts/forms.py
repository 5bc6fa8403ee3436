from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续输错多次后账号将被临时锁定。"),
        "inactive": _("该账号已停用。"),
        "locked": _("登录失败次数过多,账号已临时锁定,请 %(minutes)d 分钟后再试。"),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "gridgov_locked", False):
                from django.conf import settings

                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": settings.GRIDGOV_LOCKOUT_MINUTES},
                ) from None
            raise
