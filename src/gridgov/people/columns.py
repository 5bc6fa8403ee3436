from django.utils.translation import gettext_lazy as _

from gridgov.core.xlsx import Column

# The import template and the export share these Chinese headers, so an export re-imports as is.
RESIDENT_COLUMNS = [
    Column("name", "姓名", required=True),
    Column("id_number", "身份证号", required=True),
    Column("phone", "手机号"),
    Column("unit_code", "单元编码", required=True),
    Column("household_number", "户号", required=True),
    Column("relation", "与户主关系"),
    Column("tags", "标签"),
]
EXPORT_EXTRA_COLUMNS = [
    Column("sex", "性别"),
    Column("birth_date", "出生日期"),
    Column("age", "年龄"),
    Column("area_name", "所在区域"),
]
EXPORT_TITLE = _("居民名单")

# The household list's export: one row per household, with its unit's unique code and full path of names.
HOUSEHOLD_EXPORT_COLUMNS = [
    Column("household_number", "户号"),
    Column("unit_code", "单元编码"),
    Column("area_name", "所在区域"),
    Column("members", "在册人数"),
]
HOUSEHOLD_EXPORT_TITLE = _("户名单")
