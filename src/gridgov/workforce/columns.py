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

# Exports of the workforce lists, in the columns the pages show.
GRID_HISTORY_COLUMNS = [
    Column("grid", "网格"),
    Column("grid_code", "网格编码"),
    Column("staff", "网格员"),
    Column("started_on", "开始日期"),
    Column("ended_on", "结束日期"),
    Column("reason", "原因"),
]
PAYROLL_LIST_COLUMNS = [
    Column("month", "月份"),
    Column("community", "社区"),
    Column("community_code", "社区编码"),
    Column("headcount", "人数"),
    Column("total", "合计"),
    Column("city_amount", "市级财政承担"),
    Column("district_amount", "区县财政承担"),
]
STUDIO_COLUMNS = [
    Column("name", "名称"),
    Column("lead", "领衔书记"),
    Column("training_base", "实训体悟基地"),
    Column("established_on", "创建日期"),
    Column("members", "学员"),
]
SALON_COLUMNS = [Column("held_on", "举办日期"), Column("title", "主题"), Column("attendance", "参加人次")]
COMPETITION_COLUMNS = [
    Column("rank", "名次"),
    Column("name", "书记"),
    Column("community", "社区"),
    Column("judges", "评委人数"),
    Column("mean", "平均分"),
]
