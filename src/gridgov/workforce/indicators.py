"""The workforce's figures, each a count over records (never a stored number).

Staff work for a community, so their figures break down to communities; a grid worker's grid is
their assignment, so per grid the dashboard shows "wf_grid_assigned" (one worker per grid).
"""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, check_indicator, register

from . import queries
from .models import (
    TWO_COMMITTEE_POSTS,
    WORKER_POSTS,
    Certificate,
    GridAssignment,
    PositionRecord,
    Post,
    Presentation,
    Replacement,
    ReplacementReason,
    Staff,
    Studio,
    Successor,
    Training,
    TrainingKind,
)


def _staff():
    return Staff.objects.for_indicator().filter(is_active=True)


def _corps():
    """The community-worker corps: everyone on staff except full-time grid workers."""
    return _staff().exclude(post=Post.GRID_WORKER)


def _entered_two_committees():
    """Staff on duty whose history has a two-committee spell that began after a worker's spell."""
    worker_before = PositionRecord.objects.for_indicator().filter(
        staff=OuterRef("staff"), post__in=WORKER_POSTS, started_on__lt=OuterRef("started_on")
    )
    entered = (
        PositionRecord.objects.for_indicator()
        .filter(staff=OuterRef("pk"), post__in=TWO_COMMITTEE_POSTS)
        .filter(Exists(worker_before))
    )
    return _staff().filter(Exists(entered))


def _qualified():
    certificates = Certificate.objects.for_indicator().filter(staff=OuterRef("pk"))
    return _corps().filter(Exists(certificates))


def _seconded_secretaries():
    """Secretaries (serving or former: a secretary spell in their history) with a secondment elsewhere."""
    secondments = Training.objects.for_indicator().filter(staff=OuterRef("pk"), kind=TrainingKind.SECONDMENT)
    secretary = PositionRecord.objects.for_indicator().filter(staff=OuterRef("pk"), post=Post.SECRETARY)
    return Staff.objects.for_indicator().filter(Exists(secondments), Exists(secretary))


def _on_stage():
    presentations = Presentation.objects.for_indicator().filter(staff=OuterRef("pk"))
    return Staff.objects.for_indicator().filter(Exists(presentations))


def _reg(code, label, unit, rows, path="area_path", level=Level.COMMUNITY, **options):
    """Staff records belong to the community they work for: no per-grid breakdown, except where a
    record names its grid (a grid worker's assignment)."""
    return register(Indicator(code, label, unit, rows, path, breakdown_to=level, chapter="三", **options))


_reg("wf_secretaries", _("社区书记"), _("名"), lambda: _staff().filter(post=Post.SECRETARY))
_reg("wf_corps", _("社区工作者(不含网格员)"), _("名"), _corps)
_reg("wf_grid_workers", _("专职网格员"), _("名"), lambda: _staff().filter(post=Post.GRID_WORKER))
_reg(
    "wf_grid_assigned",
    _("在岗网格员(已配网格)"),
    _("名"),
    lambda: GridAssignment.objects.for_indicator().filter(ended_on__isnull=True),
    level=Level.GRID,
)
_reg(
    "wf_successors",
    _("后备人才"),
    _("名"),
    lambda: Successor.objects.for_indicator().filter(ended_on__isnull=True),
)
_reg("wf_seconded", _("外地挂职书记"), _("名"), _seconded_secretaries)
# Every studio is counted, whoever set it up (the city's 16 or a district's), so the label says no level.
_reg("wf_studios", _("书记工作室"), _("个"), lambda: Studio.objects.for_indicator().all())
_reg(
    "wf_salon_attendances",
    _("书记沙龙参与"),
    _("人次"),
    lambda: Training.objects.for_indicator().filter(kind=TrainingKind.SALON),
    period_field="started_on",
)
_reg("wf_on_stage", _("擂台赛登台书记"), _("名"), _on_stage)
_reg(
    "wf_replaced",
    _("调整撤换书记"),
    _("名"),
    lambda: Replacement.objects.for_indicator().filter(
        reason__in=[ReplacementReason.POOR_PERFORMANCE, ReplacementReason.LOW_SATISFACTION]
    ),
)
_reg("wf_two_committees", _("进入两委的专职工作者"), _("名"), _entered_two_committees)
_reg("wf_qualified", _("持社会工作职业资格"), _("名"), _qualified)
# The report's targets: "一网一员" (every grid has its full-time worker: one open assignment per grid, so
# assignments over grids) and "超30%" of community workers qualified.
_reg(
    "wf_grid_coverage",
    _("一网一员覆盖率"),
    "%",
    None,
    "",
    level=Level.GRID,
    kind="share",
    numerator="wf_grid_assigned",
    denominator="grids",
    higher_is_better=True,
    target=100,
)
_reg(
    "wf_qualified_share",
    _("社会工作职业资格持证率"),
    "%",
    None,
    "",
    kind="share",
    numerator="wf_qualified",
    denominator="wf_corps",
    higher_is_better=True,
    target=30,
)
# The coverage checks that return rows with a path, as counts of problems (target 0).
check_indicator(queries.CHECKS["no_successor"], "path", unit=_("个"), chapter="三", level=Level.COMMUNITY)
check_indicator(queries.CHECKS["grids_without_worker"], "path", unit=_("个"), chapter="三", level=Level.GRID)
check_indicator(queries.CHECKS["grids_without_link"], "path", unit=_("个"), chapter="三", level=Level.GRID)
check_indicator(
    queries.CHECKS["links_outside_community"], "area_path", unit=_("条"), chapter="三", level=Level.GRID
)

CODES = [
    "wf_secretaries",
    "wf_corps",
    "wf_grid_workers",
    "wf_grid_assigned",
    "wf_successors",
    "wf_seconded",
    "wf_studios",
    "wf_salon_attendances",
    "wf_on_stage",
    "wf_replaced",
    "wf_two_committees",
    "wf_qualified",
]
