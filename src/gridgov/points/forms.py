"""Staff page forms for earning rules and the redemption catalogue (the services validate; the forms only
parse). Area choices are the user's visible areas at the levels the service accepts."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.people.models import Tag

from .models import Activity, ActivityKind, EarnRole, MerchantKind

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


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        start = timezone.localtime(obj.starts_at)
        return f"{obj.title} · {start:%m-%d %H:%M}"


class SelfReportForm(forms.Form):
    """A resident reports the hours they served at an activity that has taken place."""

    activity = ActivityChoiceField(label=_("活动"), queryset=Activity.objects.none(), empty_label=None)
    hours = forms.DecimalField(
        label=_("服务时长(小时)"),
        min_value=Decimal("0.5"),
        max_value=Decimal("24"),
        max_digits=4,
        decimal_places=1,
        initial=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, activities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["activity"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = activities

    @property
    def minutes(self) -> int:
        return int(self.cleaned_data["hours"] * 60)


class ReportRangeForm(forms.Form):
    """The days a points report covers (both ends included); this month so far when not given."""

    MAX_DAYS = 3 * 366

    start = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, **kwargs) -> None:
        today = timezone.localdate()
        given = {k: data.get(k) for k in ("start", "end")} if data is not None else {}
        merged = {
            "start": given.get("start") or today.replace(day=1).isoformat(),
            "end": given.get("end") or today.isoformat(),
        }
        super().__init__(merged, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("开始日期不能晚于结束日期"))
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(_("日期范围不能超过三年"))
        return cleaned


def parse_month(value: str):
    """'2026-10' → the month's first day; None when it is not a month between 2000 and 2100."""
    import datetime as dt
    import re

    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


class MonthForm(forms.Form):
    """The month of a month close (default: last month). The community comes from the query and is looked
    up in the user's scope by the view (404 outside it)."""

    month = forms.CharField(
        label=_("月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )

    def __init__(self, data=None, **kwargs) -> None:
        import datetime as dt

        last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        given = (data.get("month") if data is not None else "") or f"{last:%Y-%m}"
        super().__init__({"month": given}, **kwargs)

    def clean_month(self):
        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("请按“年-月”填写月份,如 2026-10"))
        return month


class GridRuleForm(forms.Form):
    """A district's grid-score rule from a month on (empty district: the city default)."""

    district = forms.ModelChoiceField(
        label=_("区县"), queryset=Area.objects.none(), required=False, empty_label=_("全市默认")
    )
    effective_from = forms.CharField(
        label=_("生效月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )
    per_closed_on_time = forms.DecimalField(
        label=_("按时办结每件"), min_value=0, max_value=999, decimal_places=2
    )
    per_overdue = forms.DecimalField(
        label=_("超时办结每件(扣)"), min_value=0, max_value=999, decimal_places=2
    )
    per_escalation = forms.DecimalField(
        label=_("被督办每次(扣)"), min_value=0, max_value=999, decimal_places=2
    )
    per_patrol = forms.DecimalField(label=_("巡查每次"), min_value=0, max_value=999, decimal_places=2)
    per_visit = forms.DecimalField(label=_("走访每次"), min_value=0, max_value=999, decimal_places=2)
    rating_neutral = forms.DecimalField(label=_("评价基准分"), min_value=0, max_value=5, decimal_places=1)
    per_rating_point = forms.DecimalField(
        label=_("评价高于/低于基准每分"), min_value=0, max_value=999, decimal_places=2
    )
    per_resident_event = forms.DecimalField(
        label=_("居民积分事件每次"), min_value=0, max_value=999, decimal_places=2
    )
    cap = forms.IntegerField(label=_("月度得分上限(绝对值)"), min_value=0, max_value=1000)
    worker_share = forms.IntegerField(label=_("专职网格员分得(%)"), min_value=0, max_value=100)
    linked_share = forms.IntegerField(label=_("每名挂包人员分得(%)"), min_value=0, max_value=100)

    def __init__(self, *args, user, **kwargs) -> None:
        from .models import GridScoreRule

        defaults = GridScoreRule()
        kwargs.setdefault(
            "initial",
            {
                name: getattr(defaults, name)
                for name in self.base_fields
                if name not in ("district", "effective_from")
            },
        )
        super().__init__(*args, **kwargs)
        district = self.fields["district"]
        assert isinstance(district, forms.ModelChoiceField)
        district.queryset = Area.objects.visible_to(user).filter(level=Level.DISTRICT, is_active=True)

    def clean_effective_from(self):
        month = parse_month(self.cleaned_data["effective_from"])
        if month is None:
            raise forms.ValidationError(_("请按“年-月”填写月份,如 2026-10"))
        return month
