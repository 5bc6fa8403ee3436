from django.utils.translation import gettext_lazy as _

from gridgov.core.xlsx import Column

YES = {"是", "Y", "y", "1", "true", "True", "TRUE"}

# Import template and export share these headers, so an export (with full ID numbers) re-imports.
MEMBER_COLUMNS = [
    Column("name", "姓名"),
    Column("id_number", "身份证号", required=True),
    Column("org", "党组织编号"),
    Column("in_service", "在职党员"),
    Column("workplace", "工作单位党组织"),
    Column("dual_community", "双报到社区编码"),
    Column("joined_on", "入党日期"),
]
MEMBER_EXPORT_COLUMNS = [
    *MEMBER_COLUMNS,
    Column("org_name", "党组织名称"),
    Column("area_name", "所在区域"),
]
MEMBERS_TITLE = _("党员名单")
