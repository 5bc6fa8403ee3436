from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area

from .models import User
from .queries import bindable_areas
from .roles import Role, may_manage


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


# --- managing accounts (the services decide; the forms parse and show errors next to the fields) --------
class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}({obj.get_level_display()})"


def _grantable_roles(user) -> list[tuple[str, object]]:
    """The roles a manager may hand out: none above its own (a superuser may hand out any)."""
    return [
        (value, label) for value, label in Role.choices if user.is_superuser or may_manage(user.role, value)
    ]


class _AccountForm(forms.Form):
    def __init__(self, *args, user, current: Area | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "role" in self.fields:
            role = self.fields["role"]
            assert isinstance(role, forms.ChoiceField)
            role.choices = [("", "---------"), *_grantable_roles(user)]
        if "area" in self.fields:
            area = self.fields["area"]
            assert isinstance(area, AreaChoiceField)
            area.queryset = bindable_areas(user, current)


def _check_pair(form: forms.Form, first: str, second: str) -> str:
    a, b = form.cleaned_data.get(first) or "", form.cleaned_data.get(second) or ""
    if a != b:
        form.add_error(second, _("两次输入的密码不一致"))
    return a


def _validate_password(form: forms.Form, field: str, password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        form.add_error(field, exc)


class UserFilterForm(_AccountForm):
    """The list's search: an invalid value is an error on the form and shows no rows, never all rows."""

    q = forms.CharField(label=_("用户名或姓名"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("角色"), required=False)
    area = AreaChoiceField(label=_("区域"), queryset=Area.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("active", _("启用")), ("inactive", _("已停用"))],
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [("", _("全部角色")), *Role.choices]  # filter by any role, not only grantable ones


class UserCreateForm(_AccountForm):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        help_text=_("登录用,字母、数字和 @/./+/-/_"),
        validators=[User.username_validator],
    )
    display_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    role = forms.ChoiceField(label=_("角色"))
    area = AreaChoiceField(label=_("所属区域"), queryset=Area.objects.none())
    password1 = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位,不能是常见密码或纯数字"),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean() or {}
        password = _check_pair(self, "password1", "password2")
        if password and "password2" not in self.errors:
            probe = User(username=data.get("username") or "", display_name=data.get("display_name") or "")
            _validate_password(self, "password1", password, probe)
        return data


class UserEditForm(_AccountForm):
    role = forms.ChoiceField(label=_("角色"))
    area = AreaChoiceField(label=_("所属区域"), queryset=Area.objects.none())


class PasswordResetForm(forms.Form):
    """Leave both fields empty to have a temporary password generated (shown once)."""

    password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("留空则自动生成临时密码,只显示一次"),
    )
    password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, account: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean(self):
        data = super().clean()
        password = _check_pair(self, "password1", "password2")
        if password and "password2" not in self.errors:
            _validate_password(self, "password1", password, self.account)
        return data
