"""Findings: a run over uploaded batches raises them; they become verification work orders for the grid
worker; the outcome is recorded; a false alarm is not raised again unless its records change; evidence is
masked unless the viewer may unmask, and every unmask is audited; departments see only their findings."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.datahub import services
from gridgov.datahub.models import Finding, FindingStatus, Run, RunStatus, RunTally, Suppression
from gridgov.datahub.services import runs
from gridgov.events.models import Event, State

from .exchange_helpers import csv_bytes, death_rows, department_user, subsistence_rows

SYSTEM = SystemActor("tests.datahub")
pytestmark = pytest.mark.django_db


def load(city, source, rows_fn, people, batch_id, **kw):
    headers, rows = rows_fn(city, people, **kw)
    return services.receive_batch(
        SYSTEM, source, content=csv_bytes(headers, rows), filename=f"{batch_id}.csv", batch_id=batch_id
    ).batch


def collide(rules=("deceased_allowance",)):
    run = runs.create_run(SYSTEM, rules=list(rules))
    return runs.execute(run)


@pytest.fixture
def flagged(city):
    """Resident A is registered dead by civil affairs and still paid the subsistence allowance."""
    resident = city.resident_a
    person = (resident.name, city.id_numbers[resident.pk])
    load(city, "ca_death", death_rows, [person], "d1")
    load(city, "ca_subsistence", subsistence_rows, [person], "s1")
    run = collide()
    return run, Finding.objects.unscoped("test").get(rule="deceased_allowance")


def test_run_raises_the_finding_in_the_residents_area(city, flagged):
    run, finding = flagged
    assert run.status == RunStatus.DONE and run.progress == 100 and run.findings_new == 1
    assert finding.severity == "high" and finding.status == FindingStatus.OPEN
    assert city.resident_a.area_path.startswith(finding.area_path[:15]) and len(finding.area_path) >= 15
    tables = {r["table"] for r in finding.records}
    assert {"src_ca_death", "src_ca_subsistence"} <= tables
    assert finding.departments == ",civil_affairs,"
    assert RunTally.objects.unscoped("test").get(run=run, rule="deceased_allowance").count == 1
    assert set(run.batches) >= {"ca_death", "ca_subsistence"}
    assert AuditEvent.objects.filter(action="datahub.save_findings", object_id=str(run.pk)).exists()


def test_a_second_run_does_not_duplicate_an_open_finding(flagged):
    _run, finding = flagged
    second = collide()
    assert second.findings_new == 0 and second.findings_repeated == 1
    assert Finding.objects.unscoped("test").count() == 1
    finding.refresh_from_db()
    assert finding.last_run_id == second.pk and finding.run_id != second.pk


def test_work_order_verification_and_confirmation(city, users, flagged):
    _run, finding = flagged
    finding = services.dispatch_verification(users["street"], finding)
    assert finding.status == FindingStatus.VERIFYING
    event = Event.objects.unscoped("test").get(pk=finding.work_order_id)
    assert event.state == State.DISPATCHED and event.assignee_area_id == city.grid_a.pk
    assert event.origin == f"datahub:{finding.pk}"
    assert city.id_numbers[city.resident_a.pk] not in event.description  # never a full ID number
    # The worker of the other grid cannot verify it; the worker of grid A can.
    with pytest.raises(OutOfScope):
        services.record_verification(users["grid_worker_b"], finding, note="x")
    with pytest.raises(ServiceError):  # the outcome waits for the worker's report
        services.decide(users["community_secretary"], finding, outcome="confirmed", note="属实")
    services.record_verification(users["grid_worker"], finding, note="上门核实:本人已于1月去世,家属仍在领取")
    assert Event.objects.unscoped("test").get(pk=event.pk).state == State.HANDLED
    finding = services.decide(
        users["community_secretary"], finding, outcome="confirmed", note="属实,已通知民政停发"
    )
    assert finding.status == FindingStatus.CONFIRMED and finding.outcome_by == users["community_secretary"]
    assert Event.objects.unscoped("test").get(pk=event.pk).state == State.CLOSED
    actions = set(AuditEvent.objects.filter(object_id=str(finding.pk)).values_list("action", flat=True))
    assert {"datahub.dispatch_verification", "datahub.record_verification", "datahub.decide"} <= actions
    with pytest.raises(ServiceError):
        services.decide(users["community_secretary"], finding, outcome="false_alarm", note="again")


def test_grid_worker_and_department_roles_may_not_decide(users, city, flagged):
    _run, finding = flagged
    civil = department_user(city, Role.DEPT_CIVIL_AFFAIRS)
    for actor in (users["grid_worker"], civil):
        with pytest.raises(PermissionError):
            services.decide(actor, finding, outcome="confirmed", note="x")
    with pytest.raises(PermissionError):
        services.dispatch_verification(civil, finding)
    assert Finding.objects.unscoped("test").get(pk=finding.pk).status == FindingStatus.OPEN


def test_out_of_scope_dispatcher_gets_nothing(users, flagged):
    _run, finding = flagged
    other_street = users["street"].__class__.objects.get(pk=users["street"].pk)
    from gridgov.areas.models import Area

    other_street.area = Area.objects.unscoped("test").get(path="379902001")
    with pytest.raises(OutOfScope):
        services.dispatch_verification(other_street, finding)
    assert Finding.objects.unscoped("test").get(pk=finding.pk).work_order_id is None


def test_false_alarm_is_not_raised_again_unless_the_records_change(city, users, flagged):
    _run, finding = flagged
    services.decide(users["street"], finding, outcome="false_alarm", note="同名不同人,民政已核")
    assert Suppression.objects.unscoped("test").filter(rule="deceased_allowance").count() == 1
    # The same content in new batches: still suppressed.
    resident = city.resident_a
    person = (resident.name, city.id_numbers[resident.pk])
    load(
        city, "ca_subsistence", subsistence_rows, [person], "s2-same"
    )  # same rows, new batch id → same content
    again = collide()
    assert again.findings_new == 0 and again.findings_suppressed == 1
    assert Finding.objects.unscoped("test").filter(status=FindingStatus.OPEN).count() == 0
    # The death record changes (another date): raised again as a new finding.
    load(city, "ca_death", death_rows, [person], "d2", date="2024-02-15")
    changed = collide()
    assert changed.findings_new == 1
    assert Finding.objects.unscoped("test").filter(status=FindingStatus.OPEN).count() == 1


def test_corrected_outcome_requests_a_registry_correction(city, users, flagged):
    _run, finding = flagged
    from gridgov.people.models import CorrectionRequest

    finding = services.decide(
        users["community_secretary"],
        finding,
        outcome="corrected",
        note="核实已去世,申请注销户籍登记",
        resident=city.resident_a,
        changes={"deregister": ""},
    )
    assert finding.status == FindingStatus.CORRECTED
    request = CorrectionRequest.objects.unscoped("test").get(pk=int(finding.correction_ref))
    assert request.resident_id == city.resident_a.pk and request.origin == "datahub"
    assert request.status == "pending"  # applied only once the community approves it


def test_evidence_is_masked_and_unmask_is_audited(city, users, flagged):
    _run, finding = flagged
    number = city.id_numbers[city.resident_a.pk]
    shown = services.evidence_records(finding)
    flat = repr(shown)
    assert number not in flat and number[:6] + "********" + number[14:] in flat
    with pytest.raises(PermissionError):
        services.unmask(users["grid_worker"], finding)
    assert not AuditEvent.objects.filter(action="datahub.unmask").exists()
    revealed = services.unmask(users["street"], finding)
    assert number in revealed.values()
    assert number in repr(services.evidence_records(finding, reveal=revealed))
    row = AuditEvent.objects.get(action="datahub.unmask")
    assert row.actor == users["street"] and number not in repr(row.after)


def test_departments_see_only_findings_of_their_sources(city, flagged):
    _run, finding = flagged
    civil = department_user(city, Role.DEPT_CIVIL_AFFAIRS)
    police = department_user(city, Role.DEPT_PUBLIC_SECURITY)
    assert list(Finding.objects.visible_to(civil)) == [finding]
    assert list(Finding.objects.visible_to(police)) == []


def test_failed_run_is_marked_failed(monkeypatch, city):
    from gridgov.datahub import extracts

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(extracts, "write_extracts", broken)
    run = runs.create_run(SYSTEM, rules=["deceased_allowance"])
    with pytest.raises(OSError):
        runs.execute(run)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "disk full" in run.error
    assert Run.objects.unscoped("test").filter(status=RunStatus.FAILED).count() == 1


def test_unknown_rule_or_source_is_refused():
    with pytest.raises(ServiceError):
        runs.create_run(SYSTEM, rules=["nope"])
    with pytest.raises(ServiceError):
        runs.create_run(SYSTEM, sources=["nope"])
    assert not Run.objects.unscoped("test").exists()


def test_collide_command_runs_and_reports(city, capsys):
    from django.core.management import call_command

    resident = city.resident_a
    person = (resident.name, city.id_numbers[resident.pk])
    load(city, "ca_death", death_rows, [person], "d1")
    load(city, "ca_subsistence", subsistence_rows, [person], "s1")
    call_command("collide", "--rules", "deceased_allowance")
    out = capsys.readouterr()
    assert "1 new" in out.out and "deceased_allowance" in out.out
    assert "collide" in out.err or "保存发现" in out.err  # the progress bar on stderr
    run = Run.objects.unscoped("test").get()
    assert run.status == RunStatus.DONE and run.started_label == "system:datahub.collide"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("collide", "--rules", "no_such_rule")
