"""Forms of the property pages: the ranking's month, the round-table meeting, the 10-standards check, a
scorer's monthly score, talks, elimination decisions and memberships (one field per row, errors under it;
choices over scoped models are narrowed to the user's area by core.pages.ServiceFormView)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.events.forms import leaf_categories

from .models import STANDARDS, Decision, Estate, PropertyCompany, Scorer

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


# --- the evaluation's pages: the 10-standards check, score entry, talks, eliminations, memberships ----
def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def this_year() -> int:
    return timezone.localdate().year


class StandardsCheckForm(forms.Form):
    """One checkbox and one note per standard, in order; the service needs every standard answered."""

    checked_on = forms.DateField(label=_("检查日期"), initial=timezone.localdate, widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in STANDARDS:
            self.fields[f"met_{code}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"note_{code}"] = forms.CharField(
                label=_("说明"), max_length=200, required=False, widget=forms.TextInput(attrs={"size": 40})
            )

    def rows(self):
        """(met field, note field) per standard, for the template's table."""
        return [(self[f"met_{code}"], self[f"note_{code}"]) for code, _label in STANDARDS]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        data["results"] = [
            {"code": code, "met": bool(data.get(f"met_{code}")), "note": data.get(f"note_{code}") or ""}
            for code, _label in STANDARDS
        ]
        return data


class MonthField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "month"}, format=MONTH_FORMAT)

    def __init__(self, **kwargs):
        super().__init__(input_formats=[MONTH_FORMAT, "%Y-%m-%d"], **kwargs)


class ScoreForm(forms.Form):
    """A scorer's own third of one company's month. The fields depend on the scorer: the street party
    office enters the party-building score, the property management centre its inspection score (the
    other 60 % is computed from the work orders), the community party organisation enters nothing (its
    third is computed from ratings and surveys)."""

    company = NameChoiceField(label=_("物业企业"), queryset=PropertyCompany.objects.order_by("name"))
    month = MonthField(label=_("月份"), initial=last_month)

    def __init__(self, *args, scorer: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.scorer = scorer
        if scorer == Scorer.PARTY:
            self.fields["score"] = forms.DecimalField(
                label=_("党建覆盖得分(0–100)"), min_value=0, max_value=100, decimal_places=1
            )
        elif scorer == Scorer.PROFESSIONAL:
            self.fields["inspection"] = forms.DecimalField(
                label=_("检查考核得分(0–100,占 40%,其余 60% 由工单计算)"),
                min_value=0,
                max_value=100,
                decimal_places=1,
            )


class TalkForm(forms.Form):
    company = NameChoiceField(label=_("物业企业"), queryset=PropertyCompany.objects.order_by("name"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, initial=this_year)
    quarter = forms.TypedChoiceField(
        label=_("季度"), choices=[(q, _("第 %(q)d 季度") % {"q": q}) for q in (1, 2, 3, 4)], coerce=int
    )
    held_on = forms.DateField(label=_("约谈日期"), initial=timezone.localdate, widget=date_input())
    content = forms.CharField(label=_("约谈内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    rectification = forms.CharField(
        label=_("整改要求"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EliminationForm(forms.Form):
    company = NameChoiceField(label=_("物业企业"), queryset=PropertyCompany.objects.order_by("name"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    decision = forms.ChoiceField(label=_("决定"), choices=Decision.choices)
    note = forms.CharField(
        label=_("说明"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class JoinForm(forms.Form):
    company = NameChoiceField(label=_("物业企业"), queryset=PropertyCompany.objects.order_by("name"))
    joined_on = forms.DateField(label=_("加入日期"), initial=timezone.localdate, widget=date_input())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("退出日期"), initial=timezone.localdate, widget=date_input())
