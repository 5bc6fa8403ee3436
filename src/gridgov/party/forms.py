"""Forms of the party pages. Choices over scoped models are narrowed to the user's area by
core.pages.ServiceFormView; a resident is named by name (plus the ID number's last four digits when
two share it) and looked up among those the user may see who live in the chosen area."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.core.forms import ImportForm
from gridgov.people.models import Household, Resident

from .models import (
    LeaderKind,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServiceCategory,
)

__all__ = [
    "AidDissolveForm",
    "AidJoinForm",
    "AidLeaveForm",
    "CentralForm",
    "DissolveForm",
    "DualServiceForm",
    "FundForm",
    "ImportForm",
    "LeaderForm",
    "MutualAidForm",
    "OrgTargetForm",
    "ServesForm",
    "SpendingForm",
    "SplitForm",
    "find_resident",
]

DATE = {"type": "date"}


def _date_field(label, *, required: bool = True, initial=timezone.localdate) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        initial=initial,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
    )


class OrgTargetForm(forms.Form):
    target: forms.ModelChoiceField = forms.ModelChoiceField(label=_("目标党组织"), queryset=None)
    reason = forms.CharField(label=_("原因"), max_length=300)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = candidates  # type: ignore[attr-defined]


class AreaChoiceField(forms.ModelChoiceField):
    """An area shown with its parent's name (楼院 under its grid, 单元 under its building)."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


def find_resident(user, area: Area, text: str) -> Resident:
    """The active resident named `text` ("姓名" or "姓名 1234") living in `area`, among those `user` sees."""
    parts = (text or "").split()
    if not parts or len(parts) > 2:
        raise forms.ValidationError(_("请填写居民姓名(重名时在姓名后加空格和身份证号后四位)"))
    qs = Resident.objects.visible_to(user).in_area(area.path).filter(is_active=True, name=parts[0])
    if len(parts) == 2:
        qs = qs.filter(id_tail=parts[1].upper())
    found = list(qs.order_by("id")[:2])
    if not found:
        raise forms.ValidationError(
            _("“%(a)s”没有名为“%(n)s”的在册居民") % {"a": area.name, "n": " ".join(parts)}
        )
    if len(found) > 1:
        raise forms.ValidationError(
            _("“%(a)s”有多位名为“%(n)s”的居民,请在姓名后加空格和身份证号后四位")
            % {"a": area.name, "n": parts[0]}
        )
    return found[0]


class _UserForm(forms.Form):
    """A form that resolves names in the requester's scope (the view passes `user`)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


# --- leaders and central households ------------------------------------------------------------------
class LeaderForm(_UserForm):
    kind = forms.ChoiceField(label=_("类型"), choices=LeaderKind.choices, initial=LeaderKind.BUILDING)
    area = AreaChoiceField(
        label=_("楼院/单元"),
        queryset=Area.objects.filter(level__in=[Level.BUILDING, Level.UNIT], is_active=True)
        .select_related("parent")
        .order_by("path"),
        help_text=_("红色楼长选楼院,单元长选单元"),
    )
    resident = forms.CharField(
        label=_("居民姓名"), max_length=60, help_text=_("本楼院(单元)的在册居民;重名时加空格和身份证号后四位")
    )
    appointed_on = _date_field(_("选聘日期"), required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("area") is not None and data.get("resident"):
            try:
                data["resident"] = find_resident(self.user, data["area"], data["resident"])
            except forms.ValidationError as exc:
                self.add_error("resident", exc)
        return data


class CentralForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("党员"),
        queryset=PartyMember.objects.filter(is_active=True, resident__is_active=True)
        .select_related("resident")
        .order_by("area_path", "id"),
        help_text=_("该党员的户即为党员中心户"),
    )
    group = PlaceChoiceField(
        label=_("所属楼院党小组"),
        queryset=PartyOrg.objects.filter(kind=OrgKind.BUILDING_GROUP, is_active=True).order_by("area_path"),
        required=False,
        empty_label="—",
    )


class ServesForm(forms.Form):
    households = forms.ModelMultipleChoiceField(
        label=_("联系户"), queryset=Household.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["households"].queryset = candidates  # type: ignore[attr-defined]


# --- organisations: split and dissolve ---------------------------------------------------------------
class SplitForm(forms.Form):
    name = forms.CharField(label=_("新党组织名称"), max_length=100)
    areas = forms.ModelMultipleChoiceField(
        label=_("拆分出去的覆盖区域"), queryset=Area.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("调整原因"), max_length=300)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["areas"].queryset = candidates  # type: ignore[attr-defined]


class DissolveForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=300)
    confirm = forms.BooleanField(label=_("确认撤销该党组织(撤销后不可恢复,记入变更历史)"))


# --- 双报到 ------------------------------------------------------------------------------------------
class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.resident.name}({obj.workplace})" if obj.workplace else obj.resident.name


class DualServiceForm(forms.Form):
    community = PlaceChoiceField(
        label=_("报到社区"),
        queryset=Area.objects.filter(level=Level.COMMUNITY, is_active=True).order_by("path"),
        empty_label=None,
    )
    member = MemberChoiceField(
        label=_("在职党员"),
        queryset=PartyMember.objects.filter(is_active=True, in_service=True, dual_community__isnull=False)
        .select_related("resident")
        .order_by("area_path", "id"),
    )
    served_on = _date_field(_("服务日期"))
    hours = forms.DecimalField(label=_("服务时长(小时)"), max_digits=4, decimal_places=1, min_value=0)
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    content = forms.CharField(label=_("服务内容"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


# --- grid resources ----------------------------------------------------------------------------------
GRIDS = Area.objects.filter(level=Level.GRID, is_active=True).select_related("parent").order_by("path")


def _names(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("、", "\n").splitlines() if line.strip()]


class MutualAidForm(_UserForm):
    grid = AreaChoiceField(label=_("网格"), queryset=GRIDS)
    name = forms.CharField(label=_("互助组名称"), max_length=100)
    purpose = forms.CharField(label=_("互助内容"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    leader = forms.CharField(
        label=_("组长姓名"), max_length=60, help_text=_("本网格在册居民;重名时加身份证号后四位")
    )
    members = forms.CharField(
        label=_("组员(每行一人)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    formed_on = _date_field(_("成立日期"), required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        grid = data.get("grid")
        if grid is None:
            return data
        if data.get("leader"):
            try:
                data["leader"] = find_resident(self.user, grid, data["leader"])
            except forms.ValidationError as exc:
                self.add_error("leader", exc)
        found, errors = [], []
        for name in _names(data.get("members", "")):
            try:
                found.append(find_resident(self.user, grid, name))
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            self.add_error("members", errors)
        data["members"] = found
        return data


class AidJoinForm(_UserForm):
    members = forms.CharField(
        label=_("加入的居民(每行一人)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, grid=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid

    def clean_members(self):
        found, errors = [], []
        for name in _names(self.cleaned_data["members"]):
            try:
                found.append(find_resident(self.user, self.grid, name))
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        if not found:
            raise forms.ValidationError(_("请填写要加入的居民"))
        return found


class AidLeaveForm(forms.Form):
    resident = PlaceChoiceField(label=_("退出的组员"), queryset=Resident.objects.none())

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["resident"].queryset = candidates  # type: ignore[attr-defined]


class AidDissolveForm(forms.Form):
    reason = forms.CharField(label=_("解散原因"), max_length=300)


class FundForm(forms.Form):
    grid = AreaChoiceField(label=_("网格"), queryset=GRIDS)
    year = forms.IntegerField(
        label=_("年度"), initial=lambda: timezone.localdate().year, min_value=2000, max_value=2100
    )
    amount = forms.DecimalField(label=_("下达金额(元)"), max_digits=12, decimal_places=2)
    source = forms.CharField(label=_("经费来源"), max_length=100, help_text=_("如:市级党建经费、街道专项"))


class SpendingForm(forms.Form):
    spent_on = _date_field(_("支出日期"))
    amount = forms.DecimalField(label=_("金额(元)"), max_digits=12, decimal_places=2)
    purpose = forms.CharField(label=_("用途"), max_length=300)
