"""Forms of the pages: report and patrol (phone pages), the actions on a work order, grid councils; one
field per row, errors under it. Choices over scoped models are narrowed to the user by the views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.core.filters import MAX_ID
from gridgov.core.services import ServiceError

from . import assignees, services
from .models import Category, Event, PatrolKind


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


def set_choices(form: forms.Form, name: str, choices: list) -> None:
    """The choices of one of the form's choice fields, set per request."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


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
        set_choices(self, "category", category_choices())


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
        set_choices(self, "category", choices)

    def clean(self):
        data = super().clean() or {}
        if data.get("report"):
            if not data.get("category"):
                self.add_error("category", _("生成工单须选择工单分类"))
            if not (data.get("findings") or "").strip():
                self.add_error("findings", _("生成工单须填写发现情况"))
        return data


# --- the actions on a work order (detail and phone pages): one form per action, the service's arguments
class ActionForm(forms.Form):
    """The arguments of one transition service; `user` resolves references in the user's scope; `photos`
    are attached after the transition."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.user = user
        self.photos: list = []
        super().__init__(*args, **kwargs)

    def arguments(self) -> dict:
        return dict(self.cleaned_data)


class NoteForm(ActionForm):
    note = forms.CharField(label=_("说明(可不填)"), max_length=500, required=False)


class ReasonForm(ActionForm):
    note = forms.CharField(label=_("理由"), max_length=500, error_messages={"required": _("请填写理由")})


class MergeForm(ActionForm):
    into = forms.CharField(
        label=_("合并到工单号"), max_length=20, error_messages={"required": _("请填写合并到的工单号")}
    )

    def clean_into(self) -> Event:
        number = self.cleaned_data["into"].strip()
        target = Event.objects.visible_to(self.user).filter(number=number).first()
        if target is None:
            raise forms.ValidationError(_("未找到工单 %(n)s,或不在您的管辖范围内") % {"n": number})
        return target


# a value that is no option of the select (the page offers only ids): the same message whatever it is
_unit_errors = dict.fromkeys(["invalid", "min_value", "max_value"], _("请从列表中选择承办单位"))
_area_errors = dict.fromkeys(["invalid", "min_value", "max_value"], _("请从列表中选择承办区域"))


class DispatchForm(ActionForm):
    """The kind, then the area select for area kinds or the unit select (a property company) for the
    others; the kind's validate checks the target inside the service."""

    assignee_kind = forms.ChoiceField(label=_("派遣对象类型"))
    unit = forms.IntegerField(
        label=_("承办单位"), required=False, min_value=1, max_value=MAX_ID, error_messages=_unit_errors
    )
    area = forms.IntegerField(
        label=_("承办区域"), required=False, min_value=1, max_value=MAX_ID, error_messages=_area_errors
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee_kind", [(k.kind, k.label) for k in assignees.kinds()])

    def arguments(self) -> dict:
        data = self.cleaned_data
        spec = assignees.get(data["assignee_kind"])
        target = data["area"] if spec.is_area else data["unit"]
        return {"assignee_kind": spec.kind, "assignee_id": target, "note": data["note"]}


class FinishForm(ActionForm):
    """The result, and site photos (the file input `photos`, several allowed), each checked before the
    order is finished: a bad photo finishes nothing."""

    result = forms.CharField(
        label=_("处置结果"), max_length=2000, error_messages={"required": _("请填写处置结果")}
    )

    def clean(self):
        data = super().clean()
        self.photos = self.files.getlist("photos") if hasattr(self.files, "getlist") else []
        for upload in self.photos:
            try:
                services.sniff(upload)
            except ServiceError as exc:
                self.add_error(None, str(exc))
        return data


class RateForm(ActionForm):
    rating = forms.TypedChoiceField(
        label=_("评价"),
        choices=[(n, f"{n} ★") for n in range(5, 0, -1)],
        coerce=int,
        error_messages={"required": _("评价须为 1 到 5 星"), "invalid_choice": _("评价须为 1 到 5 星")},
    )
    comment = forms.CharField(label=_("评价意见"), max_length=300, required=False)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": NoteForm,
    "reject": ReasonForm,
    "merge": MergeForm,
    "dispatch": DispatchForm,
    "start": NoteForm,
    "return": ReasonForm,
    "finish": FinishForm,
    "verify": NoteForm,
    "reopen": ReasonForm,
    "close": NoteForm,
    "escalate": NoteForm,
    "rate": RateForm,
}


# --- grid councils -------------------------------------------------------------------------------------
class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class CouncilForm(forms.Form):
    area = GridChoiceField(
        label=_("网格"), queryset=Area.objects.filter(level=Level.GRID).order_by("path"), empty_label=None
    )
    held_on = forms.DateField(
        label=_("召开日期"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    topic = forms.CharField(label=_("议题"), max_length=200)
    decisions = forms.CharField(
        label=_("议定事项"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    attendees = forms.IntegerField(
        label=_("参会人数"), min_value=0, max_value=32767, initial=0, required=False
    )

    def clean_attendees(self) -> int:
        return self.cleaned_data["attendees"] or 0
