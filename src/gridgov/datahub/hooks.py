"""The data hub's side of its verification work orders (events knows nothing of findings):

* on the work order's page, a panel names the finding it was made for and links to it
  (`events.origins`, registered in apps.ready);
* a grid worker who finishes the work order from the events pages instead of the finding's page has
  reported just the same: the result becomes the finding's verification note (the "handled" hook).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.events import hooks
from gridgov.events.origins import OriginLink


def read_finding(user, event, key: str) -> OriginLink | None:
    from .models import FindingStatus
    from .rulebook import rule_meta
    from .services.findings import finding_for_work_order

    finding = finding_for_work_order(user, event)
    if finding is None:
        return None
    meta = rule_meta(finding.rule)
    hint = ""
    if finding.status == FindingStatus.VERIFYING and user.has_perm("datahub.verify_finding"):
        hint = _("核实情况请在比对发现页填写(可查看双方记录);在此处置完成的结果也会记为核实情况。")
    return OriginLink(
        title=_("比对发现 #%(n)s:%(rule)s") % {"n": finding.pk, "rule": meta.name},
        url=reverse("datahub:finding", args=[finding.pk]),
        facts=[
            (_("严重程度"), finding.get_severity_display()),
            (_("发现状态"), finding.get_status_display()),
            (_("规则说明"), str(meta.description)),
        ],
        hint=hint,
    )


@hooks.on("handled")
def note_verification_from_work_order(event, handler) -> None:
    from .services.findings import note_from_work_order

    note_from_work_order(event)
