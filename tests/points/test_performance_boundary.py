"""Points computes performance pay; workforce writes its own payroll rows (issue 11, section 2).

A static check that no module of the points app writes (or locks) a workforce Payroll or PayrollLine,
a runtime check that every write to those tables during `apply_performance_pay` runs inside the
workforce service, and scope: a payroll outside the actor's area is refused, changing nothing.
"""

from __future__ import annotations

import ast
import re
import threading
import traceback
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

import gridgov.points
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.people.models import Resident
from gridgov.points import services
from gridgov.points.models import PerformancePay
from gridgov.points.services.staff import PERFORMANCE_SOURCE
from gridgov.workforce.models import Payroll, PayrollLine
from gridgov.workforce.reference import ensure_defaults

from .conftest import SYSTEM
from .test_staff import make_staff

THREADS = 4

# what writes (or locks for a write) a row through the ORM
WRITES = {
    "save",
    "update",
    "create",
    "bulk_create",
    "bulk_update",
    "delete",
    "get_or_create",
    "update_or_create",
    "select_for_update",
}


def _bound_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for element in target.elts for n in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _mentions(expr: ast.AST, tainted: set[str]) -> bool:
    """Does the expression name a payroll (the models, a `payroll` variable) or a name derived from one?"""
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and (node.id in tainted or "payroll" in node.id.lower()):
            return True
        if isinstance(node, ast.Attribute) and "payroll" in node.attr.lower():
            return True
    return False


def payroll_writes(source: str, filename: str = "<string>") -> list[str]:
    """Calls in `source` that write or lock a payroll row: a write method whose receiver or arguments
    derive from Payroll / PayrollLine (followed through assignments and loops)."""
    tree = ast.parse(source, filename)
    tainted: set[str] = set()
    changed = True
    while changed:  # names bound from payroll-derived values, to a fixed point
        changed = False
        for node in ast.walk(tree):
            pairs: list[tuple[ast.AST, ast.AST | None]] = []
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                pairs = [(node.target, node.value)]
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                pairs = [(node.target, node.iter)]
            for target, value in pairs:
                if value is not None and _mentions(value, tainted):
                    new = set(_bound_names(target)) - tainted
                    tainted |= new
                    changed = changed or bool(new)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in WRITES:
            continue
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if _mentions(node.func.value, tainted) or (
            node.func.attr.startswith("bulk_") and any(_mentions(a, tainted) for a in arguments)
        ):
            found.append((node.lineno, f"{filename}:{node.lineno}: {ast.unparse(node.func)}"))
    return [hit for _line, hit in sorted(found)]


def test_points_code_writes_no_workforce_payroll_rows():
    root = Path(gridgov.points.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert root / "services" / "staff.py" in modules
    found = [
        hit
        for path in modules
        for hit in payroll_writes(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    ]
    assert found == [], "points must call workforce.services.set_performance_pay instead:\n" + "\n".join(
        found
    )


# the shape points used to have (before the write moved to workforce): the check must catch all of it
OLD_POINTS_CODE = """
def apply_performance_pay(actor, payroll):
    payroll = Payroll.objects.unscoped("x").select_for_update().get(pk=payroll.pk)
    lines = list(PayrollLine.objects.unscoped("x").filter(payroll=payroll))
    for line in lines:
        line.performance_pay = 1
    PayrollLine.objects.unscoped("x").bulk_update(lines, ["performance_pay", "total"])
    Other.objects.bulk_update(lines, ["total"])
    payroll.save(update_fields=["total"])
    first = lines[0]
    first.save()
    for row in PayrollLine.objects.unscoped("x").all():
        row.delete()
"""

CLEAN_CODE = """
def apply(actor, payroll):
    payroll = workforce.lock_payroll(actor, payroll)
    lines = list(PayrollLine.objects.unscoped("x").filter(payroll=payroll))
    made = []
    for line in lines:
        made.append(PerformancePay(line=line))
    workforce.set_performance_pay(actor, payroll, {}, source="s")
    PerformancePay.objects.bulk_create(made)
    account.save()
"""


def test_the_static_check_catches_payroll_writes():
    found = payroll_writes(OLD_POINTS_CODE)
    assert [hit.split(": ", 1)[1].rsplit(".", 1)[1] for hit in found] == [
        "select_for_update",
        "bulk_update",
        "bulk_update",
        "save",
        "save",
        "delete",
    ]
    assert payroll_writes(CLEAN_CODE) == []


# --- at runtime ------------------------------------------------------------------------------------------
WRITE_SQL = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?workforce_payroll', re.I)
WORKFORCE_SERVICES = str(Path("gridgov") / "workforce" / "services") + "/"


def _payroll(funded, community_index: int):
    ensure_defaults()  # the scale the migration loads is gone after a transactional test's flush
    community = funded.communities[community_index]
    residents = Resident.objects.unscoped("test").filter(area_path__startswith=community.path)
    for resident in residents.order_by("id")[:2]:
        make_staff(resident)
    from gridgov.workforce import services as wf

    return wf.compute_payroll(SYSTEM, community, timezone.localdate())


def test_every_payroll_write_runs_in_the_workforce_service(funded, users):
    payroll = _payroll(funded, 0)
    writes: list[tuple[str, bool]] = []

    def watch(execute, sql, params, many, context):
        if WRITE_SQL.match(sql):
            frames = traceback.extract_stack()
            writes.append((sql[:60], any(WORKFORCE_SERVICES in f.filename for f in frames)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        made = services.apply_performance_pay(users["district"], payroll)
    assert len(made) == 2
    assert writes, "applying performance pay writes the payroll"
    assert [sql for sql, inside in writes if not inside] == []
    event = AuditEvent.objects.get(action="workforce.set_performance_pay", object_id=str(payroll.pk))
    assert event.after["performance_source"] == PERFORMANCE_SOURCE
    assert AuditEvent.objects.filter(action="points.apply_performance").count() == 2


def test_points_refuses_a_payroll_out_of_scope_changing_nothing(funded, users):
    payroll = _payroll(funded, 2)  # 西一社区, in 西城区: outside the district user's 东城区

    def state():
        row = Payroll.objects.unscoped("test").get(pk=payroll.pk)
        lines = PayrollLine.objects.unscoped("test").filter(payroll=payroll).order_by("id")
        return (
            (row.total, row.city_amount, row.performance_source),
            [(line.performance_pay, line.total) for line in lines],
            PerformancePay.objects.unscoped("test").count(),
            AuditEvent.objects.count(),
        )

    before = state()
    with pytest.raises(OutOfScope):
        services.apply_performance_pay(users["district"], payroll)
    assert state() == before
    services.apply_performance_pay(users["city_admin"], payroll)
    assert state() != before


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-level concurrency needs PostgreSQL (SQLite's in-memory test database is one connection)",
)
def test_racing_applications_apply_once(transactional_db, funded, users):
    payroll = _payroll(funded, 0)
    standard = {
        line.pk: line.performance_pay for line in PayrollLine.objects.unscoped("test").filter(payroll=payroll)
    }
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def client() -> None:
        try:
            barrier.wait()
            services.apply_performance_pay(users["district"], payroll)
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == THREADS  # no thread died of an unexpected error
    assert outcomes.count("ok") == 1
    assert all("不能重复核定" in o for o in outcomes if o != "ok"), outcomes
    pays = list(PerformancePay.objects.unscoped("test").filter(line__payroll=payroll))
    assert {p.line_id: p.standard_amount for p in pays} == standard  # computed from the standard, once
    assert AuditEvent.objects.filter(action="workforce.set_performance_pay").count() == 1
