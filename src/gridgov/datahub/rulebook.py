"""What a finding's rule is (name, description, severity, sources read), whoever raised it: the
deterministic rules of `datahub.rules.RULES` or the probabilistic linkage, whose findings all carry the
rule code `LINKAGE_RULE`. Names and descriptions stay lazy, so each page shows them in its own language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import rules
from .sources import BY_CODE

LINKAGE_RULE = "linkage_duplicate"


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str | Promise
    description: str | Promise
    severity: str
    sources: tuple[str, ...]

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({str(BY_CODE[s].department) for s in self.sources if s in BY_CODE}))


LINKAGE = RuleMeta(
    LINKAGE_RULE,
    _("疑似同一人的重复记录"),
    _("姓名同音或相近、证件号相差一两位或顺序颠倒、出生日期和地址相符的记录,经概率匹配判定为同一人"),
    "medium",
    (),
)


@cache
def all_rules() -> dict[str, RuleMeta]:
    out = {
        rule.code: RuleMeta(
            rule.code,
            rule.name,
            rule.description,
            rule.severity,
            # every source the rule reads (required and optional): its departments see the finding
            tuple(s for s in rules.sources_of(rule.code) if s in BY_CODE),
        )
        for rule in rules.RULES
    }
    out[LINKAGE_RULE] = LINKAGE
    return out


def rule_meta(code: str, sources: tuple[str, ...] = ()) -> RuleMeta:
    meta = all_rules().get(code)
    if meta is None:
        meta = RuleMeta(code, code, "", "medium", ())
    return meta


def rule_name(code: str) -> str:
    return str(rule_meta(code).name)
