"""Staff points for emergency handling (points.services.award_staff_points, category 应急处置).

At deactivation, each community staff member (workforce.Staff) who served in the activation — acknowledged
a post, or led one of its emergency groups — gets one award. A responder is matched to a staff member by ID
number (each app keeps its own keyed blind index, so the number is decrypted once and re-indexed under
people's purpose). The key `emergency:<activation>:<staff>` makes a second run post nothing, so the run is
queued after the deactivation commits and may be repeated (`award_activation_points`); one failing award
is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from gridgov.core import pii
from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError
from gridgov.people.models import ID_PURPOSE as RESIDENT_ID_PURPOSE
from gridgov.points import services as points
from gridgov.points.models import AwardCategory
from gridgov.workforce.models import Staff

from ..models import ID_PURPOSE, Activation, Mode, Post, Responder, ResponderKind, WorkGroup

log = logging.getLogger(__name__)

POINTS_SERVED = 10  # an emergency
POINTS_DRILL = 5  # a drill


@dataclass
class AwardResult:
    awarded: int = 0
    skipped: int = 0  # responders who are not community staff
    failed: list[str] = field(default_factory=list)


def award_source(activation_id: int, staff_id: int) -> str:
    return f"emergency:{activation_id}:{staff_id}"


def _served(act: Activation) -> set[int]:
    """Responders who served: acknowledged a post of the activation, or led one of its emergency groups."""
    acked = set(
        Post.objects.unscoped("posts of an activation being settled")
        .filter(activation=act, ack__isnull=False)
        .values_list("responder_id", flat=True)
    )
    leaders = set(
        WorkGroup.objects.unscoped("groups of an activation being settled")
        .filter(mode=Mode.EMERGENCY, community__in=act.communities.all(), leader__isnull=False)
        .values_list("leader_id", flat=True)
    )
    return acked | leaders


def staff_by_responder(responder_ids: set[int]) -> dict[int, Staff]:
    # community staff are registered as frontline responders; cadres (most of the posts) are never staff,
    # so only frontline numbers are decrypted
    rows = Responder.objects.unscoped("responders of an activation being settled").filter(
        pk__in=responder_ids, is_active=True, kind=ResponderKind.FRONTLINE
    )
    index: dict[str, int] = {}
    for r in rows.only("pk", "id_cipher"):
        number = pii.decrypt(r.id_cipher, purpose=ID_PURPOSE)
        index[pii.blind_index(number, purpose=RESIDENT_ID_PURPOSE)] = r.pk
    staff = Staff.objects.unscoped("staff records matching the responders by ID number").filter(
        resident__id_index__in=list(index), is_active=True
    )
    return {index[s.resident.id_index]: s for s in staff.select_related("resident")}


def award_activation_points(actor, activation: Activation | int) -> AwardResult:
    """Post the staff points of an ended activation; idempotent (keyed per activation and staff member)."""
    pk = activation.pk if isinstance(activation, Activation) else activation
    act = Activation.objects.unscoped("an activation being settled by id").filter(pk=pk).first()
    result = AwardResult()
    if act is None or act.state != Activation.State.ENDED:
        return result
    served = _served(act)
    matched = staff_by_responder(served)
    result.skipped = len(served) - len(matched)
    amount = POINTS_DRILL if act.is_drill else POINTS_SERVED
    kind = _("应急演练") if act.is_drill else _("应急处置")
    for responder_id, staff in sorted(matched.items()):
        try:
            points.award_staff_points(
                actor,
                staff,
                points=amount,
                category=AwardCategory.EMERGENCY,
                reason=f"{kind}:{act.reason}"[:200],
                source=award_source(act.pk, staff.pk),
                on=(act.ended_at or act.started_at).date(),
            )
        except ServiceError as exc:
            log.warning("emergency points for responder %s failed: %s", responder_id, exc)
            result.failed.append(str(exc))
        else:
            result.awarded += 1
    return result


def award_after_deactivation(activation_id: int) -> None:
    """Run after the deactivation commits (a failure is logged and never undoes the deactivation)."""
    try:
        award_activation_points(SystemActor("emergency-points"), activation_id)
    except Exception:
        log.exception("emergency points for activation %s failed", activation_id)


__all__ = ["AwardResult", "award_activation_points", "award_after_deactivation", "award_source"]
