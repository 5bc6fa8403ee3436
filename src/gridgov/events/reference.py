"""The default category tree with SLA (working hours) and default assignee; loaded by a data migration."""

from __future__ import annotations

# code, name, parent code, accept hours, finish hours, default assignee, counts as a property complaint
DEFAULT_CATEGORIES = [
    ("env", "环境卫生", None, 2, 24, "community", False),
    ("env.garbage", "垃圾清运", "env", 2, 8, "property", True),
    ("env.greening", "绿化养护", "env", 4, 40, "property", True),
    ("safety", "安全隐患", None, 1, 8, "community", False),
    ("safety.fire", "消防通道堵塞", "safety", 1, 4, "property", True),
    ("safety.building", "房屋安全", "safety", 1, 16, "department", False),
    ("property", "物业服务", None, 2, 24, "property", True),
    ("property.repair", "公共设施报修", "property", 2, 16, "property", True),
    ("property.elevator", "电梯故障", "property", 1, 4, "property", True),
    ("property.fee", "物业收费争议", "property", 4, 40, "community", True),
    ("dispute", "邻里纠纷", None, 4, 24, "grid", False),
    ("facility", "市政设施", None, 4, 40, "department", False),
    ("facility.road", "道路破损", "facility", 4, 40, "department", False),
    ("facility.light", "路灯故障", "facility", 4, 24, "department", False),
    ("other", "其他", None, 4, 40, "community", False),
]


def ensure_default_categories(category_model) -> None:
    by_code = {c.code: c for c in category_model.objects.all()}
    for code, name, parent, accept, finish, assignee, complaint in DEFAULT_CATEGORIES:
        if code in by_code:
            continue
        by_code[code] = category_model.objects.create(
            code=code,
            name=name,
            parent=by_code.get(parent) if parent else None,
            accept_hours=accept,
            finish_hours=finish,
            default_assignee=assignee,
            is_complaint=complaint,
        )
