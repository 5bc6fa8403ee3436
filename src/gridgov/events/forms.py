"""Forms of the phone pages (report, patrol) and the dispatch form: one field per row, errors under it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, PatrolKind


def category_choices() -> list:
    """Every category one can file under: children grouped under their parent, and parents without
    children (邻里纠纷, 其他) as themselves."""
    categories = list(Category.objects.order_by("code"))
    children: dict[int, list[Category]] = {}
    for c in categories:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    choices: list = [("", _("请选择分类"))]
    singles = []
    for c in categories:
        if c.parent_id:
            continue
        if c.pk in children:
            choices.append((c.name, [(k.pk, k.name) for k in children[c.pk]]))
        else:
            singles.append((c.pk, c.name))
    if singles:
        choices.append((_("其他类别"), singles))
    return choices


def leaf_categories():
    """Categories one can file under (the ones without children)."""
    return Category.objects.filter(children__isnull=True)


class CategoryField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def clean(self, value):
        pk = super().clean(value)
        if pk in (None, ""):
            return None
        category = leaf_categories().filter(pk=pk).first()
        if category is None:
            raise forms.ValidationError(_("请选择有效的分类"))
        return category


class ReportForm(forms.Form):
    category = CategoryField(label=_("分类"), error_messages={"required": _("请选择分类")})
    title = forms.CharField(label=_("标题"), max_length=100, error_messages={"required": _("请填写标题")})
    address = forms.CharField(
        label=_("具体位置"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如:3号楼东侧、地下车库入口")}),
    )
    description = forms.CharField(
        label=_("描述"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


class PatrolForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=PatrolKind.choices)
    place = forms.CharField(
        label=_("地点描述"), max_length=200, error_messages={"required": _("请填写地点描述")}
    )
    visited = forms.CharField(label=_("走访对象"), max_length=100, required=False)
    findings = forms.CharField(
        label=_("发现情况"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    report = forms.BooleanField(label=_("发现的问题生成工单"), required=False)
    category = CategoryField(label=_("工单分类"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = category_choices()
        choices[0] = ("", _("(生成工单时必选)"))
        self.fields["category"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("report"):
            if not data.get("category"):
                self.add_error("category", _("生成工单须选择工单分类"))
            if not (data.get("findings") or "").strip():
                self.add_error("findings", _("生成工单须填写发现情况"))
        return data
