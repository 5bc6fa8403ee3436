from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CorrectionField, Relation, Tag


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


class CorrectionForm(forms.Form):
    """A request to correct one item of a resident's record (the resident's own page and the staff's)."""

    field = forms.ChoiceField(label=_("更正项目"), choices=CorrectionField.choices)
    value = forms.CharField(
        label=_("正确的内容"),
        max_length=50,
        required=False,
        help_text=_("姓名、手机号或身份证号填正确的内容;更正与户主关系时在下方选择;注销登记不用填写"),
    )
    relation = forms.ChoiceField(
        label=_("正确的与户主关系"), choices=[("", "—"), *Relation.choices], required=False
    )
    reason = forms.CharField(label=_("理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean() or {}
        field = data.get("field")
        if field == CorrectionField.RELATION:
            if not data.get("relation"):
                self.add_error("relation", _("请选择正确的与户主关系"))
            data["value"] = data.get("relation", "")
        elif (
            field in (CorrectionField.NAME, CorrectionField.PHONE, CorrectionField.ID_NUMBER)
            and not data.get("value", "").strip()
        ):
            self.add_error("value", _("请填写正确的内容"))
        return data

    def changes(self) -> dict[str, str]:
        return {self.cleaned_data["field"]: self.cleaned_data.get("value", "")}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("同意并更正")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("审核意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("驳回时请填写审核意见"))
        return data
