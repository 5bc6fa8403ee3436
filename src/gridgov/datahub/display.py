"""How a finding's evidence and a linkage explanation read on a Chinese page: the rules and the linkage
write plain keys and codes (`death_date`, `allowances: ["subsistence"]`, term `id`); this names them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

EVIDENCE_LABELS = {
    "age": _("年龄"),
    "allowances": _("在领补贴"),
    "assignments": _("挂包记录数"),
    "communities": _("涉及社区"),
    "death_date": _("死亡日期"),
    "dual_registered_on": _("双报到日期"),
    "floor_area": _("建筑面积合计(平方米)"),
    "grids": _("负责网格"),
    "kinds": _("类别"),
    "latest_registration": _("最近登记日期"),
    "lease_end": _("租约到期"),
    "leases": _("租约数"),
    "monthly_amount": _("月保障金(元)"),
    "properties": _("房产套数"),
    "reason": _("原因"),
    "registered_on": _("登记日期"),
    "registrations": _("登记数"),
    "registry_community": _("登记社区"),
    "still_listed_in": _("仍登记于"),
    "vehicle_types": _("车辆类型"),
    "vehicles": _("车辆数"),
    "deregistered_resident": _("居民登记已注销"),
}
VALUE_LABELS = {
    "subsistence": _("低保"),
    "disability": _("残疾人补贴"),
    "registry": _("居民登记"),
    "ps_household": _("公安户籍人口"),
    "residence": _("居住登记"),
    "hukou": _("户籍"),
    "missing": _("户不存在"),
    "deregistered": _("户已注销"),
    "no_residents": _("户内已无在册居民"),
    "cadre": _("机关干部"),
    "committee": _("社区两委成员"),
    "party_member": _("党员"),
}
TERM_LABELS = {
    "prior": _("先验(任意两条记录为同一人的概率)"),
    "name": _("姓名"),
    "id": _("身份证号"),
    "id_number": _("身份证号"),
    "birth_date": _("出生日期"),
    "sex": _("性别"),
    "address": _("住址"),
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list | tuple):
        return "、".join(_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return str(VALUE_LABELS.get(text, text))


def evidence_items(evidence: dict | None) -> list[tuple[str, str]]:
    return [(str(EVIDENCE_LABELS.get(str(k), k)), _value(v)) for k, v in (evidence or {}).items()]


def term_label(term: str) -> str:
    if term.endswith("_tf") and term[:-3] in TERM_LABELS:  # Splink's term-frequency adjustment of a term
        return str(_("%(t)s常见程度调整") % {"t": TERM_LABELS[term[:-3]]})
    return str(TERM_LABELS.get(term, term))
