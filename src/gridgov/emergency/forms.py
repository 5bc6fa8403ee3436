from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.events.models import Category

from .models import Activation, Mode, WorkGroup


class ActivationForm(forms.Form):
    communities = forms.ModelMultipleChoiceField(
        label=_("启动社区"),
        queryset=Area.objects.filter(level=Level.COMMUNITY, is_active=True).order_by("path"),
        widget=forms.CheckboxSelectMultiple,
    )
    level = forms.TypedChoiceField(
        label=_("响应级别"), choices=Activation.Level.choices, coerce=int, initial=4
    )
    reason = forms.CharField(label=_("启动事由"), max_length=200)
    is_drill = forms.BooleanField(label=_("演练"), required=False, initial=True)
    max_distance_m = forms.IntegerField(
        label=_("最大通勤距离(米)"), min_value=100, max_value=50_000, initial=3000
    )
    ack_minutes = forms.IntegerField(label=_("响应时限(分钟)"), min_value=1, max_value=1440, initial=30)


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.community.name} · {obj.name}"


class TaskForm(forms.Form):
    """A task for one emergency group of an activation (the board); `group` is narrowed per activation."""

    group = GroupChoiceField(label=_("派给工作组"), queryset=WorkGroup.objects.none())
    title = forms.CharField(label=_("任务"), max_length=100)
    description = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    category = forms.ModelChoiceField(
        label=_("事件分类"), queryset=Category.objects.order_by("code"), required=False, to_field_name="code"
    )

    def __init__(self, *args, activation: Activation, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            WorkGroup.objects.visible_to(user)
            .filter(mode=Mode.EMERGENCY, community__in=activation.communities.all())
            .select_related("community")
            .order_by("area_path", "sort")
        )
