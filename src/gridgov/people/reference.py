"""Reference data every installation starts with (also restored by the generator after a flush)."""

from __future__ import annotations

DEFAULT_TAGS = [
    ("party_member", "党员", "political", 10),
    ("disabled", "残疾人", "care", 20),
    ("subsistence", "低保对象", "care", 30),
    ("low_income", "低收入", "care", 40),
    ("extreme_hardship", "特困人员", "care", 45),
    ("veteran", "退役军人", "care", 50),
    ("living_alone", "独居", "care", 60),
    ("left_behind", "留守人员", "care", 65),
    ("community_correction", "社区矫正对象", "key", 70),
    ("released_prisoner", "刑满释放人员", "key", 80),
    ("mental_disorder", "严重精神障碍患者", "key", 90),
    ("drug_user", "社区戒毒康复人员", "key", 100),
]


def ensure_default_tags(tag_model=None) -> None:
    if tag_model is None:
        from .models import Tag as tag_model
    for code, name, category, sort in DEFAULT_TAGS:
        tag_model.objects.get_or_create(
            code=code, defaults={"name": name, "category": category, "sort": sort}
        )
