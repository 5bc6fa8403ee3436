"""Audited xlsx exports: staff lists and pay are personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import SystemActor
from gridgov.core.scope import check_reach

from ..models import Payroll, PostCategory

if TYPE_CHECKING:
    from gridgov.accounts.models import User


@transaction.atomic
def export_staff(actor: User | SystemActor, qs) -> bytes:
    from gridgov.core.xlsx import write_sheet

    from ..columns import STAFF_EXPORT_COLUMNS, STAFF_TITLE
    from ..queries import staff_export_rows

    rows = list(staff_export_rows(qs))
    audit.record(
        actor, "workforce.export_staff", None, object_repr=str(STAFF_TITLE), after={"rows": len(rows)}
    )
    return write_sheet(str(STAFF_TITLE), STAFF_EXPORT_COLUMNS, rows)


@transaction.atomic
def export_payroll(actor: User | SystemActor, payroll: Payroll) -> bytes:
    from gridgov.core.xlsx import write_sheet

    from ..columns import PAYROLL_COLUMNS, PAYROLL_TITLE

    check_reach(actor, payroll.area_path)
    rows = [
        {
            "name": line.staff.resident.name,
            "post": line.staff.get_post_display(),
            "category": str(PostCategory(line.category).label),
            "grade": line.grade,
            "post_pay": line.post_pay,
            "grade_pay": line.grade_pay,
            "performance_pay": line.performance_pay,
            "allowance": line.allowance,
            "total": line.total,
        }
        for line in payroll.lines.select_related("staff__resident").order_by("id")
    ]
    rows.append({"name": str(_("合计")), "total": payroll.total})
    rows.append({"name": str(_("市级财政承担")), "total": payroll.city_amount})
    rows.append({"name": str(_("区县财政承担")), "total": payroll.district_amount})
    audit.record(actor, "workforce.export_payroll", payroll, after={"rows": len(rows) - 3})
    return write_sheet(f"{PAYROLL_TITLE} {payroll.month:%Y-%m}", PAYROLL_COLUMNS, rows)
