from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Relation, Tag


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, min_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices, initial=Relation.HEAD)
    tags = forms.ModelMultipleChoiceField(
        label=_("标签"), queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class ResidentEditForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False, help_text=_("留空表示不修改"))
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    tags = forms.ModelMultipleChoiceField(
        label=_("标签"), queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class HouseholdForm(forms.Form):
    number = forms.CharField(label=_("户号"), max_length=20)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
