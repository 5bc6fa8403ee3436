from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FacilityKind, HostType, Service


class FacilityForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=FacilityKind.choices)
    name = forms.CharField(label=_("名称"), max_length=100)
    area_code = forms.CharField(
        label=_("区域编码"),
        max_length=20,
        required=False,
        help_text=_("所在社区、网格或楼院的编码;不填则按坐标自动确定"),
    )
    x = forms.FloatField(label=_("平面坐标 X(米)"), required=False)
    y = forms.FloatField(label=_("平面坐标 Y(米)"), required=False)
    floor_area = forms.CharField(label=_("面积(平方米)"), required=False)
    host_type = forms.ChoiceField(label=_("用房类型"), choices=HostType.choices, initial=HostType.PUBLIC)
    host_name = forms.CharField(label=_("承载单位"), max_length=100, required=False)
    services = forms.MultipleChoiceField(
        label=_("服务内容"), choices=Service.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    opening_hours = forms.CharField(label=_("开放时间"), max_length=100, required=False)
    unified_sign = forms.BooleanField(label=_("统一标识"), required=False)
    shared_use = forms.BooleanField(label=_("开放共用"), required=False)
    shared_with = forms.CharField(label=_("共用单位"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class FacilityEditForm(FacilityForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class PhotoForm(forms.Form):
    file = forms.FileField(label=_("照片"))
    caption = forms.CharField(label=_("说明"), max_length=100, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件"))


class NetworkForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON 文件"))
    name = forms.CharField(label=_("名称"), max_length=200, required=False)
    drop_fragments = forms.BooleanField(label=_("丢弃与主路网不连通的碎片(默认拒绝整个文件)"), required=False)


class SitingForm(forms.Form):
    k = forms.IntegerField(label=_("新设驿站数量"), min_value=1, max_value=200, initial=5)
    kind = forms.ChoiceField(
        label=_("按哪类阵地计算未覆盖"),
        choices=[("", _("任一阵地")), *FacilityKind.choices],
        required=False,
    )


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("关闭原因"), max_length=200)
    confirm = forms.BooleanField(
        label=_("确认关闭:关闭后不再计入10分钟生活圈和达标检查,登记信息和记录保留"), required=True
    )


class CandidateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    room_type = forms.ChoiceField(label=_("用房类型"), choices=HostType.choices, initial=HostType.IDLE)
    area_code = forms.CharField(
        label=_("区域编码"),
        max_length=20,
        required=False,
        help_text=_("所在社区、网格或楼院的编码;不填则按坐标自动确定"),
    )
    x = forms.FloatField(label=_("平面坐标 X(米)"), required=False)
    y = forms.FloatField(label=_("平面坐标 Y(米)"), required=False)
    floor_area = forms.CharField(label=_("面积(平方米)"), required=False)
    host_name = forms.CharField(label=_("产权或经营单位"), max_length=100, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)


class CandidateEditForm(CandidateForm):
    is_available = forms.BooleanField(label=_("可用"), required=False)
