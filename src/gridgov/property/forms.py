"""Forms of the property pages: the ranking's month and the round-table meeting (one field per row, errors
under it; choices over scoped models are narrowed to the user's area by core.pages.ServiceFormView)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.events.forms import leaf_categories

from .models import Estate

MONTH_FORMAT = "%Y-%m"


def last_month() -> dt.date:
    """The first day of the month before this one (the ranking's default month)."""
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class MonthForm(forms.Form):
    month = forms.DateField(label=_("月份"), input_formats=[MONTH_FORMAT], required=False)

    @classmethod
    def month_of(cls, query) -> dt.date:
        """`?month=YYYY-MM`, or last month when it is absent or not a month."""
        form = cls(query)
        return (form.cleaned_data["month"] if form.is_valid() else None) or last_month()


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name


def _lines(text: str) -> list[str]:
    """One entry per line (or separated by 、)."""
    return [line.strip() for line in (text or "").replace("、", "\n").splitlines() if line.strip()]


class MeetingForm(forms.Form):
    community = NameChoiceField(
        label=_("社区"),
        queryset=Area.objects.filter(level=Level.COMMUNITY).order_by("path"),
        empty_label=None,
    )
    estate = NameChoiceField(
        label=_("小区"),
        queryset=Estate.objects.order_by("area_path", "name"),
        required=False,
        empty_label="—",
    )
    held_on = forms.DateField(
        label=_("召开日期"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    convener = forms.CharField(label=_("召集人(社区党组织)"), max_length=100)
    attendees = forms.CharField(
        label=_("参会人员(每行一方,至少三方)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    topics = forms.CharField(label=_("议题"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    decisions = forms.CharField(
        label=_("决定事项(每行一项,各生成一张工单)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = CategoryChoiceField(
        label=_("工单分类"),
        queryset=leaf_categories().select_related("parent").order_by("code"),
        empty_label=None,
    )

    def clean_attendees(self) -> list[str]:
        return _lines(self.cleaned_data["attendees"])  # at least three: the service's rule

    def clean_decisions(self) -> list[str]:
        return _lines(self.cleaned_data["decisions"])
