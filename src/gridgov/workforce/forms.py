from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Post


class PostChangeForm(forms.Form):
    post = forms.ChoiceField(label=_("新岗位"), choices=Post.choices)
    on = forms.DateField(label=_("变动日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class GridForm(forms.Form):
    grid: forms.ModelChoiceField = forms.ModelChoiceField(label=_("网格"), queryset=None)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args, grids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]


class PayrollForm(forms.Form):
    community: forms.ModelChoiceField = forms.ModelChoiceField(label=_("社区"), queryset=None)
    month = forms.DateField(label=_("月份(该月任一天)"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]


class ScaleImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
    name = forms.CharField(label=_("名称"), max_length=100)
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    city_share = forms.DecimalField(
        label=_("市级财政承担比例"), max_digits=4, decimal_places=3, min_value=0, max_value=1
    )
