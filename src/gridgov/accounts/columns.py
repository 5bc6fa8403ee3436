"""Columns of the account list export: Chinese headers, as in the other exports (what staff open in Excel)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.xlsx import Column

from .models import User

USER_COLUMNS = [
    Column("username", "用户名"),
    Column("display_name", "姓名"),
    Column("role", "角色"),
    Column("area", "所属区域"),
    Column("area_code", "区划代码"),
    Column("status", "状态"),
    Column("last_login", "最近登录"),
    Column("date_joined", "创建时间"),
]


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def user_rows(qs: Iterable[User]) -> Iterator[dict]:
    for user in qs:
        yield {
            "username": user.username,
            "display_name": user.display_name,
            "role": str(user.get_role_display()),
            "area": user.area.name if user.area else "",
            "area_code": user.area.code if user.area else "",
            "status": str(_("启用") if user.is_active else _("已停用")),
            "last_login": _local(user.last_login),
            "date_joined": _local(user.date_joined),
        }
