from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level

from .models import Outcome, Post, ReplacementReason, Salon, Staff, Studio, TrainingKind


class PostChangeForm(forms.Form):
    post = forms.ChoiceField(label=_("新岗位"), choices=Post.choices)
    on = forms.DateField(label=_("变动日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class GridForm(forms.Form):
    grid: forms.ModelChoiceField = forms.ModelChoiceField(label=_("网格"), queryset=None)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args, grids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]


class PayrollForm(forms.Form):
    community: forms.ModelChoiceField = forms.ModelChoiceField(label=_("社区"), queryset=None)
    month = forms.DateField(label=_("月份(该月任一天)"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]


class ScaleImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))
    name = forms.CharField(label=_("名称"), max_length=100)
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    city_share = forms.DecimalField(
        label=_("市级财政承担比例"), max_digits=4, decimal_places=3, min_value=0, max_value=1
    )


DATE = forms.DateInput(attrs={"type": "date"})


class _ChoicesForm(forms.Form):
    """A form whose model choices are handed in by the view (always narrowed to the user's scope)."""

    def __init__(self, *args, choices: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, queryset in (choices or {}).items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]


class TrainingForm(_ChoicesForm):
    kind = forms.ChoiceField(label=_("培训类型"), choices=TrainingKind.choices)
    started_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE)
    host_city = forms.CharField(label=_("挂职城市"), max_length=50, required=False)
    studio: forms.ModelChoiceField = forms.ModelChoiceField(label=_("工作室"), queryset=None, required=False)
    salon: forms.ModelChoiceField = forms.ModelChoiceField(label=_("沙龙"), queryset=None, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class EvaluationForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    fit_score = forms.DecimalField(label=_("人岗匹配度"), max_digits=5, decimal_places=2)
    satisfaction = forms.DecimalField(label=_("群众满意度"), max_digits=5, decimal_places=2)
    outcome = forms.ChoiceField(label=_("评估结果"), choices=Outcome.choices)


class ReplaceForm(_ChoicesForm):
    reason = forms.ChoiceField(label=_("撤换原因"), choices=ReplacementReason.choices)
    incoming: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("新任书记"), queryset=None, required=False
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
    on = forms.DateField(label=_("调整日期"), required=False, widget=DATE)


class CompetitionForm(_ChoicesForm):
    district: forms.ModelChoiceField = forms.ModelChoiceField(label=_("区县"), queryset=None)
    title = forms.CharField(label=_("名称"), max_length=200)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


class RoundForm(forms.Form):
    number = forms.IntegerField(label=_("场次(留空为下一场)"), min_value=1, max_value=99, required=False)
    held_on = forms.DateField(label=_("日期"), widget=DATE)


class StudioForm(_ChoicesForm):
    community: forms.ModelChoiceField = forms.ModelChoiceField(label=_("所在社区"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=100)
    lead: forms.ModelChoiceField = forms.ModelChoiceField(label=_("领衔书记"), queryset=None, required=False)
    training_base = forms.CharField(label=_("实训体悟基地"), max_length=200, required=False)
    established_on = forms.DateField(label=_("创建日期"), required=False, widget=DATE)


class SalonForm(_ChoicesForm):
    area: forms.ModelChoiceField = forms.ModelChoiceField(label=_("举办单位(市、区县或街道)"), queryset=None)
    title = forms.CharField(label=_("主题"), max_length=200)
    held_on = forms.DateField(label=_("举办日期"), widget=DATE)


# --- pages over ServiceFormView: model choices are class-level and narrowed to the user's scope ---------
GRIDS = Area.objects.filter(level=Level.GRID, is_active=True).order_by("path")
SERVING = Staff.objects.filter(is_active=True).select_related("resident").order_by("area_path", "post", "id")


class LinkGridForm(forms.Form):
    """两委成员联网格: one more grid for this staff member (the view narrows the grids to the community)."""

    grid = forms.ModelChoiceField(label=_("网格"), queryset=GRIDS)
    on = forms.DateField(label=_("开始日期(留空为今天)"), required=False, widget=DATE)
    reason = forms.CharField(label=_("说明"), max_length=200, required=False)


class UnlinkGridForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("网格"), queryset=GRIDS, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("解除原因"), max_length=200)
    on = forms.DateField(label=_("解除日期(留空为今天)"), required=False, widget=DATE)


class StaffGridLinkForm(forms.Form):
    """The community's grid list: link a member to a grid (both narrowed by the view to one community)."""

    staff = forms.ModelChoiceField(label=_("两委成员或专职工作者"), queryset=SERVING)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=GRIDS)
    on = forms.DateField(label=_("开始日期(留空为今天)"), required=False, widget=DATE)
    reason = forms.CharField(label=_("说明"), max_length=200, required=False)


class JoinCorpsForm(forms.Form):
    on = forms.DateField(label=_("转岗日期(留空为今天)"), required=False, widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class QuotaRuleForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE)
    base = forms.IntegerField(label=_("每社区基数"), min_value=0, max_value=1000)
    households_per_worker = forms.IntegerField(label=_("每名工作者服务户数"), min_value=1, max_value=100000)
    minimum = forms.IntegerField(label=_("最少人数"), min_value=0, max_value=1000)
    maximum = forms.IntegerField(label=_("最多人数"), min_value=0, max_value=1000)


class CompetitionEditForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


class StudioEditForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    lead = forms.ModelChoiceField(
        label=_("领衔书记"),
        queryset=Staff.objects.filter(post=Post.SECRETARY, is_active=True).select_related("resident"),
        required=False,
    )
    training_base = forms.CharField(label=_("实训体悟基地"), max_length=200, required=False)
    established_on = forms.DateField(label=_("创建日期"), required=False, widget=DATE)


class SecondmentForm(forms.Form):
    host_city = forms.CharField(label=_("挂职城市"), max_length=50)
    started_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ended_on = forms.DateField(label=_("结束日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class StudioMemberForm(forms.Form):
    # Studios are municipal: any one may be joined (as in the API and the training form).
    studio = forms.ModelChoiceField(
        label=_("书记工作室"),
        queryset=Studio.objects.unscoped("municipal studios are open to all").order_by("name"),
    )
    started_on = forms.DateField(label=_("加入日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class SalonAttendanceForm(forms.Form):
    salon = forms.ModelChoiceField(
        label=_("书记沙龙"),
        queryset=Salon.objects.unscoped("salons are open to all").order_by("-held_on", "id"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
