"""Every write about community staff (each @transaction.atomic, audited, scope-checked against the community).

One module per topic, as Zulip's `actions/`:

- `grades`      the salary scale in force, the grade rules, promotion by them
- `staff`       hiring, change of post, qualifications, reserve successors, training, evaluation
- `ladders`     the two career ladders as rules; grid workers joining the corps
- `grids`       full-time grid workers on grids (一网一员)
- `links`       committee members and full-time workers linked to grids (联网格 / 挂包)
- `secretaries` community secretaries: replacement, competitions (擂台赛), studios, salons
- `quota`       the city-wide staffing quota rule (总量配备)
- `payroll`     monthly payrolls, and the performance pay points sets on them (`set_performance_pay`)
- `imports`     spreadsheet imports of staff and of a salary scale
- `exports`     audited xlsx exports

Callers import the package (`from gridgov.workforce import services; services.hire_staff(...)`); every
public name is re-exported here. Other apps change workforce rows only through these functions: points
computes the performance pay and calls `set_performance_pay`.
"""

from ._common import CENT
from .exports import export_payroll, export_staff
from .grades import compute_grade, promote_staff, scale_for, years_between
from .grids import assign_grid, unassign_grid
from .imports import StaffImportResult, import_salary_scale, import_staff
from .ladders import CORPS_MIN_YEARS, corps_refusal, eligible_grid_workers
from .links import link_grid, unlink_grid
from .payroll import compute_payroll, lock_payroll, rates_of, set_performance_pay, split
from .quota import set_quota_rule
from .secretaries import (
    SALON_LEVELS,
    add_presentation,
    add_round,
    create_competition,
    create_salon,
    create_studio,
    replace_secretary,
    score_presentation,
    update_competition,
    update_studio,
)
from .staff import (
    add_certificate,
    change_post,
    designate_successor,
    evaluate,
    hire_staff,
    join_corps,
    record_training,
)

__all__ = [
    "CENT",
    "CORPS_MIN_YEARS",
    "SALON_LEVELS",
    "StaffImportResult",
    "add_certificate",
    "add_presentation",
    "add_round",
    "assign_grid",
    "change_post",
    "compute_grade",
    "compute_payroll",
    "corps_refusal",
    "create_competition",
    "create_salon",
    "create_studio",
    "designate_successor",
    "eligible_grid_workers",
    "evaluate",
    "export_payroll",
    "export_staff",
    "hire_staff",
    "import_salary_scale",
    "import_staff",
    "join_corps",
    "link_grid",
    "lock_payroll",
    "promote_staff",
    "rates_of",
    "record_training",
    "replace_secretary",
    "scale_for",
    "score_presentation",
    "set_performance_pay",
    "set_quota_rule",
    "split",
    "unassign_grid",
    "unlink_grid",
    "update_competition",
    "update_studio",
    "years_between",
]
