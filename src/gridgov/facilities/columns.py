"""xlsx columns of the facility registry: the import template and the export share them."""

from django.utils.translation import gettext_lazy as _

from gridgov.core.xlsx import Column

FACILITY_COLUMNS = [
    Column("kind", "类型", required=True),
    Column("name", "名称", required=True),
    Column("area_code", "区域编码"),
    Column("x", "X"),
    Column("y", "Y"),
    Column("floor_area", "面积"),
    Column("host_type", "用房类型"),
    Column("host_name", "承载单位"),
    Column("services", "服务内容"),
    Column("opening_hours", "开放时间"),
    Column("unified_sign", "统一标识"),
    Column("shared_use", "开放共用"),
    Column("shared_with", "共用单位"),
    Column("contact_phone", "联系电话"),
    Column("address", "地址"),
    Column("note", "备注"),
]
EXPORT_EXTRA_COLUMNS = [Column("area_name", "所属区域"), Column("is_active", "在用")]
EXPORT_TITLE = _("阵地")

UNCOVERED_COLUMNS = [
    Column("code", "楼院编码"),
    Column("name", "楼院"),
    Column("grid", "网格"),
    Column("households", "户数"),
    Column("residents", "居民数"),
    Column("minutes_any", "到最近阵地(分钟)"),
]
