"""What a finding's rule is (name, description, severity, sources read), whoever raised it: the
deterministic rules of `datahub.rules.RULES` (B) or the probabilistic linkage (C), whose findings all
carry the rule code `LINKAGE_RULE`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext_lazy as _

from .sources import BY_CODE

LINKAGE_RULE = "linkage_duplicate"


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    description: str
    severity: str
    sources: tuple[str, ...]

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({str(BY_CODE[s].department) for s in self.sources if s in BY_CODE}))


LINKAGE = RuleMeta(
    LINKAGE_RULE,
    str(_("疑似同一人的重复记录")),
    str(_("姓名同音或相近、证件号相差一两位或顺序颠倒、出生日期和地址相符的记录,经概率匹配判定为同一人")),
    "medium",
    (),
)


def _rules() -> tuple[dict[str, Any], Any]:
    try:
        from . import rules  # B's module
    except ImportError:
        return {}, None
    table = getattr(rules, "RULES", {})
    items = table.values() if isinstance(table, dict) else table
    return {str(r.code): r for r in items}, getattr(rules, "sources_of", None)


@cache
def all_rules() -> dict[str, RuleMeta]:
    out = {}
    table, sources_of = _rules()
    for code, rule in table.items():
        # every source the rule reads (required and optional): its departments see the finding
        read = sources_of(code) if sources_of is not None else getattr(rule, "sources", ())
        out[code] = RuleMeta(
            code,
            str(getattr(rule, "name", code)),
            str(getattr(rule, "description", "")),
            str(getattr(rule, "severity", "medium")),
            tuple(str(s) for s in read if str(s) in BY_CODE),
        )
    out[LINKAGE_RULE] = LINKAGE
    return out


def rule_meta(code: str, sources: tuple[str, ...] = ()) -> RuleMeta:
    meta = all_rules().get(code)
    if meta is None:
        meta = RuleMeta(code, code, "", "medium", ())
    return meta


def rule_name(code: str) -> str:
    return rule_meta(code).name
