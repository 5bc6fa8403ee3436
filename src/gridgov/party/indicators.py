"""The party network's figures, defined once (the dashboard, the area API and the checks read these)."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from gridgov.core.indicators import Indicator, register
from gridgov.people.models import Resident

from .models import BuildingLeader, CentralHousehold, LeaderKind, OrgKind, PartyMember, PartyOrg


def _orgs(kind: str):
    return lambda: PartyOrg.objects.unscoped("indicator").filter(kind=kind, is_active=True)


def _leaders(kind: str):
    """Distinct residents holding an active leader post, counted where they live."""

    def rows():
        posts = BuildingLeader.objects.unscoped("indicator").filter(
            resident=OuterRef("pk"), kind=kind, is_active=True
        )
        return Resident.objects.unscoped("indicator").filter(Exists(posts))

    return rows


GRID_BRANCHES = register(
    Indicator("party_grid_branches", _("网格党支部"), _("个"), _orgs(OrgKind.GRID_BRANCH), "area_path")
)
BUILDING_GROUPS = register(
    Indicator("party_building_groups", _("楼院党小组"), _("个"), _orgs(OrgKind.BUILDING_GROUP), "area_path")
)
CENTRAL_HOUSEHOLDS = register(
    Indicator(
        "party_central_households",
        _("党员中心户"),
        _("户"),
        lambda: CentralHousehold.objects.unscoped("indicator").filter(is_active=True),
        "area_path",
    )
)
RED_LEADERS = register(
    Indicator("party_red_leaders", _("红色楼长"), _("名"), _leaders(LeaderKind.BUILDING), "area_path")
)
UNIT_LEADERS = register(
    Indicator("party_unit_leaders", _("单元长"), _("名"), _leaders(LeaderKind.UNIT), "area_path")
)
REGISTERED_MEMBERS = register(
    Indicator(
        "party_registered_members",
        _("在册党员(组织关系)"),
        _("人"),
        lambda: PartyMember.objects.unscoped("indicator").filter(is_active=True),
        "area_path",
    )
)
DUAL_REGISTERED = register(
    Indicator(
        "party_dual_registered",
        _("双报到在职党员"),
        _("人"),
        lambda: PartyMember.objects.unscoped("indicator").filter(
            is_active=True, in_service=True, dual_community__isnull=False
        ),
        "area_path",
    )
)

CODES = [
    "party_grid_branches",
    "party_building_groups",
    "party_central_households",
    "party_red_leaders",
    "party_unit_leaders",
    "party_registered_members",
    "party_dual_registered",
]
