"""The party network's figures, defined once (the dashboard, the area API and the checks read these).

Organisations and leaders are counted where they serve — by covered grid or building, by led
building or unit — so a breakdown shows each grid its own branch. An organisation covering several
grids (a joint branch) or a leader of several buildings counts in each of them and once (distinct)
in every total above: those breakdowns are not additive and say so (`counts_by`).
"""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area, Level
from gridgov.core.indicators import Indicator, check_indicator, register

from . import queries
from .models import (
    BuildingLeader,
    CentralHousehold,
    DualReportService,
    GridFund,
    LeaderKind,
    MutualAidGroup,
    OrgCoverage,
    OrgKind,
    PartyMember,
)


def _rows(model, **filters):
    """The rows of `model` that `filters` keep (all of them without filters)."""
    return lambda: model.objects.for_indicator().filter(**filters)


def _covering(kind: str):
    """Active coverage rows of active organisations of `kind`: one row per covered grid or building."""
    return _rows(OrgCoverage, ended_at__isnull=True, org__kind=kind, org__is_active=True)


def _posts(kind: str):
    """Active leader posts of `kind`, placed at the building or unit led."""
    return _rows(BuildingLeader, kind=kind, is_active=True)


def _led_buildings():
    posts = BuildingLeader.objects.for_indicator().filter(
        area=OuterRef("pk"), kind=LeaderKind.BUILDING, is_active=True
    )
    return Area.objects.for_indicator().filter(level=Level.BUILDING, is_active=True).filter(Exists(posts))


def _at_path(code: str, label, unit, rows, **options) -> Indicator:
    """Register an indicator counting `rows` where each row's own `area_path` places it."""
    return register(Indicator(code, label, unit, rows, "area_path", **{"chapter": "四", **options}))


GRID_BRANCHES = _at_path(
    "party_grid_branches",
    _("网格党支部"),
    _("个"),
    _covering(OrgKind.GRID_BRANCH),
    distinct="org",
    breakdown_to=Level.GRID,
    additive_to=Level.COMMUNITY,  # a branch covers grids of one community only
    counts_by=_("网格党支部按覆盖网格计:联合支部在其覆盖的每个网格各计 1 个,合计按支部去重"),
)
BUILDING_GROUPS = _at_path(
    "party_building_groups",
    _("楼院党小组"),
    _("个"),
    _covering(OrgKind.BUILDING_GROUP),
    distinct="org",
    breakdown_to=Level.BUILDING,
    additive_to=Level.COMMUNITY,  # a group covers buildings under its branch, in one community
    counts_by=_("楼院党小组按覆盖楼院计:覆盖多个楼院的党小组在每个楼院各计 1 个,合计按党小组去重"),
)
CENTRAL_HOUSEHOLDS = _at_path(
    "party_central_households", _("党员中心户"), _("户"), _rows(CentralHousehold, is_active=True)
)
RED_LEADERS = _at_path(
    "party_red_leaders",
    _("红色楼长"),
    _("名"),
    _posts(LeaderKind.BUILDING),
    description=_("在任红色楼长人数(一人可兼任几个楼院)"),
    distinct="resident",
    breakdown_to=Level.BUILDING,
    additive_to=0,  # nothing stops one resident leading buildings anywhere
    counts_by=_("红色楼长按所任楼院计:一人兼任多个楼院时在每处各计 1 名,合计按人去重"),
)
LED_BUILDINGS = register(
    Indicator(
        "party_led_buildings",
        _("有红色楼长的楼院"),
        _("个"),
        _led_buildings,
        "path",
        description=_("楼院数减去有红色楼长的楼院,即“没有红色楼长的楼院”检查的问题数"),
        breakdown_to=Level.BUILDING,
        shown_to=Level.GRID,
        chapter="四",
    )
)
UNIT_LEADERS = _at_path(
    "party_unit_leaders",
    _("单元长"),
    _("名"),
    _posts(LeaderKind.UNIT),
    distinct="resident",
    breakdown_to=Level.UNIT,
    additive_to=0,
    counts_by=_("单元长按所任单元计:一人兼任多个单元时在每处各计 1 名,合计按人去重"),
)
REGISTERED_MEMBERS = register(
    Indicator(
        "party_registered_members",
        _("在册党员(组织关系)"),
        _("人"),
        _rows(PartyMember, is_active=True, resident__is_active=True),
        "resident__area_path",
        description=_("有组织关系记录的党员,按居住地统计"),
        chapter="四",
    )
)
DUAL_REGISTERED = _at_path(
    "party_dual_registered",
    _("双报到在职党员"),
    _("人"),
    _rows(PartyMember, is_active=True, in_service=True, dual_community__isnull=False),
    description=_("按报到社区统计"),
    breakdown_to=Level.COMMUNITY,
)
DUAL_SERVICES = _at_path(
    "party_dual_services",
    _("双报到服务次数"),
    _("次"),
    _rows(DualReportService),
    description=_("在职党员在报到社区的服务记录数(时长合计见双报到服务页)"),
    breakdown_to=Level.COMMUNITY,
    period_field="served_on",
)
DUAL_SERVERS = _at_path(
    "party_dual_servers",
    _("参加双报到服务的在职党员"),
    _("人"),
    _rows(DualReportService),
    description=_("有服务记录的在职党员人数,按报到社区统计"),
    distinct="member",
    breakdown_to=Level.COMMUNITY,  # a member registers with one community: the children add up
    period_field="served_on",
)
AID_GROUPS = _at_path(
    "party_aid_groups",
    _("网格互助组"),
    _("个"),
    _rows(MutualAidGroup, is_active=True),
    breakdown_to=Level.GRID,
)
FUNDED_GRIDS = _at_path(
    "party_funded_grids",
    _("有专项经费的网格"),
    _("个"),
    _rows(GridFund),
    description=_("登记过专项经费的网格数(金额见专项经费进网格页)"),
    distinct="grid",
    breakdown_to=Level.GRID,
)

# The coverage checks as counts of problems (target 0); branch size depends on the thresholds a check
# page is given, so only the default-free checks are indicators.
check_indicator(queries.CHECKS["grids_without_branch"], "path", unit=_("个"), chapter="四", level=Level.GRID)
check_indicator(
    queries.CHECKS["buildings_without_group"], "path", unit=_("个"), chapter="四", level=Level.BUILDING
)
check_indicator(
    queries.CHECKS["buildings_without_leader"], "path", unit=_("个"), chapter="四", level=Level.BUILDING
)
check_indicator(
    queries.CHECKS["households_not_served"], "area_path", unit=_("户"), chapter="四", level=Level.UNIT
)

# The dashboard's figures. 党员 is the same indicator the area pages show ("party_members", residents
# tagged 党员 where they live), so a grid's figure is the same on both pages.
CODES = [
    "party_grid_branches",
    "party_building_groups",
    "party_central_households",
    "buildings",
    "party_led_buildings",
    "party_red_leaders",
    "party_unit_leaders",
    "party_members",
    "party_registered_members",
    "party_dual_registered",
    "party_dual_services",
    "party_dual_servers",
    "party_aid_groups",
    "party_funded_grids",
]
