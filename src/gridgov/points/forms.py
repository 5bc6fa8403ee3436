"""Staff page forms for earning rules and the redemption catalogue (the services validate; the forms only
parse). Area choices are the user's visible areas at the levels the service accepts."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.people.models import Tag

from .models import ActivityKind, EarnRole, MerchantKind

UNLIMITED = _("留空表示不限")


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}({obj.get_level_display()})"


class _AreaForm(forms.Form):
    max_level: int = Level.COMMUNITY

    def __init__(self, *args, user, current: Area | None = None, **kwargs) -> None:
        """`current`: the edited object's area, kept selectable even below `max_level` (API-made rows)."""
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, AreaChoiceField)
        wanted = Q(level__lte=self.max_level, is_active=True)
        if current is not None:
            wanted |= Q(pk=current.pk)
        field.queryset = Area.objects.visible_to(user).filter(wanted).order_by("path")


class RuleForm(_AreaForm):
    max_level = Level.DISTRICT

    area = AreaChoiceField(
        label=_("适用区域"), queryset=Area.objects.none(), help_text=_("积分规则按市或区县配置")
    )
    activity_kind = forms.ChoiceField(label=_("活动类型"), choices=ActivityKind.choices)
    role = forms.ChoiceField(label=_("积分身份"), choices=EarnRole.choices)
    points_per_hour = forms.IntegerField(label=_("每小时积分"), initial=0)
    points_per_event = forms.IntegerField(label=_("每次积分"), initial=0)
    daily_cap = forms.IntegerField(label=_("每日上限"), required=False, help_text=UNLIMITED)
    monthly_cap = forms.IntegerField(label=_("每月上限"), required=False, help_text=UNLIMITED)


class ScenarioForm(_AreaForm):
    max_level = Level.COMMUNITY

    area = AreaChoiceField(label=_("适用区域"), queryset=Area.objects.none())
    code = forms.CharField(label=_("编码"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=100)
    category = forms.CharField(label=_("类别"), max_length=40)
    price = forms.IntegerField(label=_("所需积分"))
    stock = forms.IntegerField(label=_("库存"), required=False, help_text=UNLIMITED)
    monthly_limit = forms.IntegerField(label=_("每人每月限兑次数"), required=False, help_text=UNLIMITED)
    eligible_groups = forms.MultipleChoiceField(
        label=_("适用人群"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示所有居民"),
    )
    merchant_kinds = forms.MultipleChoiceField(
        label=_("可核销商户类型"),
        choices=MerchantKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示所有商户"),
    )
    is_active = forms.BooleanField(label=_("上架"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups = self.fields["eligible_groups"]
        assert isinstance(groups, forms.MultipleChoiceField)
        groups.choices = [
            ("elderly", _("60岁以上老年人")),
            *Tag.objects.order_by("sort", "code").values_list("code", "name"),
        ]
