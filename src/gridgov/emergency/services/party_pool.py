"""双报到 members into the volunteer pool: in-service party members registered with a community become
candidate cadres (下沉干部/志愿者) of that community's responder database."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from gridgov.areas.models import Area, Level
from gridgov.core import audit, idcard, pii
from gridgov.core.actors import SystemActor
from gridgov.core.signals import imports_records
from gridgov.party.models import PartyMember

from ..models import ID_PURPOSE, EmployerUnit, Responder, ResponderKind, Skill, skills_to_mask
from ._common import require
from .responders import _community, create_employer

DUAL_UNIT_NAME = "在职党员(双报到)"


@dataclass
class PartyImportResult:
    created: int
    already: int  # already in the responder database (by ID number)
    members: int  # in-service members dual-registered with the community


def _employer(city: Area, workplace: str) -> EmployerUnit:
    """The member's workplace when the directory has it by name, else the city's 双报到 unit."""
    if workplace:
        found = EmployerUnit.objects.filter(name=workplace.strip()).order_by("code").first()
        if found is not None:
            return found
    code = f"{city.path}-dual"
    found = EmployerUnit.objects.filter(code=code).first()
    if found is not None:
        return found
    # the directory is city-wide and platform-maintained: its 双报到 entry is created by the platform
    return create_employer(SystemActor("emergency-party-pool"), name=DUAL_UNIT_NAME, code=code, area=city)


def _home(path: str) -> tuple[float, float] | None:
    """The plane position of the member's home: the deepest area of their path that has one."""
    prefixes = [path[:n] for n in (20, 18, 15, 12) if len(path) >= n]
    rows = {
        p: (x, y)
        for p, x, y in Area.objects.unscoped("where an in-service member lives, for the distance to posts")
        .filter(path__in=prefixes, x__isnull=False, y__isnull=False)
        .values_list("path", "x", "y")
    }
    for p in prefixes:
        if p in rows:
            return rows[p]
    return None


@imports_records
@transaction.atomic
def import_party_members(actor, community: Area | int) -> PartyImportResult:
    """Every active in-service member dual-registered with the community who is not yet a responder becomes
    a cadre of the community (skill 综合事务, available every day; the community adds skills and hours
    afterwards). Idempotent: members already registered (same ID number) are counted, not duplicated."""
    require(actor, "emergency.add_responder")
    area = _community(actor, community)
    members = list(
        PartyMember.objects.unscoped(
            "in-service members dual-registered with a community in the actor's scope"
        )
        .filter(in_service=True, is_active=True, dual_community=area)
        .select_related("resident")
        .order_by("pk")
    )
    city = Area.objects.unscoped("the city of a community in the actor's scope").get(
        path=area.path[:4], level=Level.CITY
    )
    made: list[Responder] = []
    already = 0
    for m in members:
        resident = m.resident
        card = idcard.parse(resident.reveal_id_number())
        key = pii.blind_index(card.number, purpose=ID_PURPOSE)
        taken = Responder.objects.unscoped("ID uniqueness is city-wide").filter(id_index=key).exists()
        if taken or any(r.id_index == key for r in made):
            already += 1
            continue
        home = _home(resident.area_path) or (float(area.x or 0), float(area.y or 0))
        r = Responder(
            kind=ResponderKind.CADRE,
            name=resident.name,
            employer=_employer(city, m.workplace),
            community=area,
            area_path=area.path,
            home_x=home[0],
            home_y=home[1],
            skills=skills_to_mask([Skill.GENERAL]),
        )
        r.set_id_number(card)
        r.set_phone(resident.reveal_phone())
        made.append(r)
    if made:
        Responder.objects.bulk_create(made)
    audit.record(
        actor,
        "emergency.import_party_members",
        area,
        after={"created": len(made), "already": already, "members": len(members)},
    )
    return PartyImportResult(len(made), already, len(members))


__all__ = ["DUAL_UNIT_NAME", "ID_PURPOSE", "PartyImportResult", "import_party_members"]
