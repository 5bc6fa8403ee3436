"""The city-wide staffing quota rule (总量配备): versions by start date, set by the city."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import SystemActor, actor_may
from gridgov.core.services import ServiceError

from ..models import QuotaRule
from ._common import _text

if TYPE_CHECKING:
    from gridgov.accounts.models import User

LIMIT = 1000  # PositiveSmallIntegerField columns; a community of more than this is not a staffing rule


def _whole(value, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(_("%(f)s应为整数") % {"f": label}) from None
    if not low <= number <= high:
        raise ServiceError(_("%(f)s应在 %(a)d 到 %(b)d 之间") % {"f": label, "a": low, "b": high})
    return number


@transaction.atomic
def set_quota_rule(
    actor: User | SystemActor,
    *,
    name: str,
    effective_from: dt.date,
    base,
    households_per_worker,
    minimum,
    maximum,
) -> QuotaRule:
    """Set the quota rule in force from `effective_from`: a new version, or that date's version changed.

    quota = base + ceil(households / households_per_worker), clamped to [minimum, maximum]."""
    if not actor_may(actor, "workforce.change_quotarule"):
        raise ServiceError(_("只有市级管理员可以调整总量配备规则"))
    if not isinstance(effective_from, dt.date):
        raise ServiceError(_("请填写生效日期"))
    values: dict[str, Any] = {
        "name": _text(name, _("名称"), 100),
        "base": _whole(base, _("每社区基数"), 0, LIMIT),
        "households_per_worker": _whole(households_per_worker, _("每名工作者服务户数"), 1, 100000),
        "minimum": _whole(minimum, _("最少人数"), 0, LIMIT),
        "maximum": _whole(maximum, _("最多人数"), 0, LIMIT),
    }
    if values["minimum"] > values["maximum"]:
        raise ServiceError(_("最少人数不能大于最多人数"))
    rule = QuotaRule.objects.select_for_update().filter(effective_from=effective_from).first()
    before = audit.snapshot(rule) if rule is not None else None
    if rule is None:
        rule = QuotaRule.objects.create(effective_from=effective_from, **values)
    else:
        for key, value in values.items():
            setattr(rule, key, value)
        rule.save()
    audit.record(actor, "workforce.set_quota_rule", rule, before=before, after=audit.snapshot(rule))
    return rule
