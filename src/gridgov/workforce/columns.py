from django.utils.translation import gettext_lazy as _

from gridgov.core.xlsx import Column

from .models import Education, Post, PostCategory, Source

POST_BY_LABEL = {str(label): value for value, label in Post.choices}
EDUCATION_BY_LABEL = {str(label): value for value, label in Education.choices}
SOURCE_BY_LABEL = {str(label): value for value, label in Source.choices}
CATEGORY_BY_LABEL = {str(label): value for value, label in PostCategory.choices}

STAFF_COLUMNS = [
    Column("name", "姓名"),
    Column("id_number", "身份证号", required=True),
    Column("community_code", "社区编码", required=True),
    Column("post", "岗位", required=True),
    Column("education", "学历", required=True),
    Column("hired_on", "入职日期", required=True),
    Column("source", "来源"),
]
STAFF_EXPORT_COLUMNS = [
    *STAFF_COLUMNS,
    Column("community_name", "社区"),
    Column("category", "岗位类别"),
    Column("grade", "薪级"),
    Column("grid", "所在网格"),
    Column("certificates", "职业资格"),
]
RATE_COLUMNS = [
    Column("category", "岗位类别", required=True),
    Column("grade", "薪级", required=True),
    Column("post_pay", "岗位工资", required=True),
    Column("grade_pay", "薪级工资", required=True),
    Column("performance_pay", "绩效工资", required=True),
    Column("allowance", "津贴补贴", required=True),
]
RATE_EXPORT_COLUMNS = [*RATE_COLUMNS, Column("total", "月应发合计")]
PAYROLL_COLUMNS = [
    Column("name", "姓名"),
    Column("post", "岗位"),
    Column("category", "岗位类别"),
    Column("grade", "薪级"),
    Column("post_pay", "岗位工资"),
    Column("grade_pay", "薪级工资"),
    Column("performance_pay", "绩效工资"),
    Column("allowance", "津贴补贴"),
    Column("total", "应发合计"),
]
STAFF_TITLE = _("社区工作人员名单")
SCALE_TITLE = _("3岗18级薪酬标准")
PAYROLL_TITLE = _("社区工作者工资表")
