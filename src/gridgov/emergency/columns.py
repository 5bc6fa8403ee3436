"""xlsx columns of the responder import and export (Chinese headers)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.core.xlsx import Column

RESPONDER_COLUMNS = [
    Column("kind", "类别", required=True),
    Column("name", "姓名", required=True),
    Column("id_number", "身份证号", required=True),
    Column("phone", "手机号"),
    Column("employer_code", "单位代码"),
    Column("community_code", "报到社区代码", required=True),
    Column("home_x", "住址X(米)", required=True),
    Column("home_y", "住址Y(米)", required=True),
    Column("skills", "技能", required=True),
    Column("restricted", "健康限制岗位"),
    Column("health_note", "健康情况"),
    Column("on_leave_until", "请假至"),
]
EXPORT_COLUMNS = [
    Column("kind", "类别"),
    Column("name", "姓名"),
    Column("id_number", "身份证号"),
    Column("phone", "手机号"),
    Column("employer_code", "单位代码"),
    Column("employer", "工作单位"),
    Column("community_code", "报到社区代码"),
    Column("community", "报到社区"),
    Column("home_x", "住址X(米)"),
    Column("home_y", "住址Y(米)"),
    Column("skills", "技能"),
    Column("restricted", "健康限制岗位"),
    Column("health_note", "健康情况"),
    Column("on_leave_until", "请假至"),
]
EXPORT_TITLE = _("应急人员库")
