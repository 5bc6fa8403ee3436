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

ORG_EXPORT_COLUMNS = [
    Column("name", "名称"),
    Column("kind", "类型"),
    Column("area", "所在区域"),
    Column("area_code", "区划代码"),
    Column("parent", "上级党组织"),
    Column("covers", "覆盖网格/楼院"),
    Column("members", "党员人数"),
    Column("established_on", "成立日期"),
    Column("state", "状态"),
]
ORGS_TITLE = _("党组织名录")

DUAL_SERVICE_COLUMNS = [
    Column("name", "姓名"),
    Column("id_number", "身份证号", required=True),
    Column("served_on", "服务日期", required=True),
    Column("hours", "服务时长(小时)", required=True),
    Column("category", "服务类别", required=True),
    Column("content", "服务内容", required=True),
]
DUAL_SERVICE_EXPORT_COLUMNS = [
    *DUAL_SERVICE_COLUMNS,
    Column("community", "报到社区"),
    Column("workplace", "工作单位党组织"),
]
DUAL_SERVICES_TITLE = _("双报到服务记录")
