from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level

from .models import Activation


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
