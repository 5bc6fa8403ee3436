from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area


class MoveForm(forms.Form):
    new_parent = forms.ModelChoiceField(label=_("迁移到"), queryset=Area.objects.none())
    reason = forms.CharField(label=_("调整原因"), max_length=300)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["new_parent"].queryset = candidates  # type: ignore[attr-defined]


class RetireForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)


class ChildForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
