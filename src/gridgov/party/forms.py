from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import ImportForm

__all__ = ["ImportForm", "OrgTargetForm"]


class OrgTargetForm(forms.Form):
    target: forms.ModelChoiceField = forms.ModelChoiceField(label=_("目标党组织"), queryset=None)
    reason = forms.CharField(label=_("原因"), max_length=300)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = candidates  # type: ignore[attr-defined]
