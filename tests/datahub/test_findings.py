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

from .exchange_helpers import csv_bytes, death_rows, department_user, spec, subsistence_rows

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


@pytest.fixture(autouse=True)
def _manual_dispatch(settings):
    """These tests walk the dispatch by a person; the automatic dispatch has its own tests below."""
    settings.GRIDGOV_DATAHUB_AUTO_DISPATCH = ()


def register_dead_but_paid(city) -> None:
    """Resident A is registered dead by civil affairs and still paid the subsistence allowance."""
    resident = city.resident_a
    person = (resident.name, city.id_numbers[resident.pk])
    load(city, "ca_death", death_rows, [person], "d1")
    load(city, "ca_subsistence", subsistence_rows, [person], "s1")


@pytest.fixture
def flagged(city):
    register_dead_but_paid(city)
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
    # Codes read as words: the sex of a department's record, a place by its names, never a path.
    fields = {label: value for item in shown for label, value in item["fields"]}
    assert fields["性别"] in ("男", "女")
    community = city.resident_a.area_path[:12]
    name = next(c.name for c in city.communities if c.path == community)
    assert fields["户籍社区代码"] == f"{name}({community})"
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


def test_high_severity_findings_become_work_orders_at_once(city, users, settings):
    settings.GRIDGOV_DATAHUB_AUTO_DISPATCH = ("high",)
    register_dead_but_paid(city)
    run = collide()
    finding = Finding.objects.unscoped("test").get(rule="deceased_allowance")
    assert run.findings_dispatched == 1 and Run.objects.unscoped("test").get().findings_dispatched == 1
    assert finding.status == FindingStatus.VERIFYING
    event = Event.objects.unscoped("test").get(pk=finding.work_order_id)
    assert event.state == State.DISPATCHED and event.assignee_area_id == city.grid_a.pk
    assert event.transitions.filter(action="dispatch").get().actor is None  # no person: the system
    # The rest of the chain is the people's: the grid worker reports, the community decides.
    services.record_verification(users["grid_worker"], finding, note="上门核实属实")
    finding = services.decide(users["community_secretary"], finding, outcome="confirmed", note="属实")
    assert Event.objects.unscoped("test").get(pk=event.pk).state == State.CLOSED
    # A second run neither raises nor dispatches it again.
    second = collide()
    assert second.findings_dispatched == 0 and Event.objects.unscoped("test").count() == 1


def test_work_order_page_names_the_finding_and_its_result_is_the_verification(
    city, users, settings, client_for, django_capture_on_commit_callbacks
):
    from gridgov.events import services as events

    settings.GRIDGOV_DATAHUB_AUTO_DISPATCH = ("high",)
    register_dead_but_paid(city)
    collide()
    finding = Finding.objects.unscoped("test").get(rule="deceased_allowance")
    # The grid worker's work order page: a panel names the finding and links to it.
    page = client_for("grid_worker").get(f"/events/{finding.work_order_id}/")
    panel = page.content.decode()
    assert page.status_code == 200 and 'data-testid="origin-panel"' in panel
    assert f"比对发现 #{finding.pk}" in panel and f"/datahub/findings/{finding.pk}/" in panel
    assert "已故人员仍在领取补贴" in panel and "核实中" in panel
    # The worker of the other grid cannot open the work order at all.
    assert client_for("grid_worker_b").get(f"/events/{finding.work_order_id}/").status_code == 404
    # Finished from the events pages, the result is the finding's verification note (audited) ...
    event = Event.objects.unscoped("test").get(pk=finding.work_order_id)
    with django_capture_on_commit_callbacks(execute=True):
        event = events.start(users["grid_worker"], event)
        events.finish(users["grid_worker"], event, result="上门核实:已去世,家属仍在领取")
    finding.refresh_from_db()
    assert finding.verification_note == "上门核实:已去世,家属仍在领取"
    assert AuditEvent.objects.filter(action="datahub.record_verification", object_id=str(finding.pk)).exists()
    # ... and the community can decide on it.
    finding = services.decide(users["community_secretary"], finding, outcome="confirmed", note="属实")
    assert finding.status == FindingStatus.CONFIRMED


def test_an_ordinary_work_order_has_no_origin_panel(city, users, client_for):
    from gridgov.events import services as events
    from gridgov.events.models import Category

    event = events.report_event(
        users["grid_worker"],
        category=Category.objects.order_by("pk").first(),
        title="路灯不亮",
        description="",
        area=city.grid_a,
        origin="datahub:not-a-number",
    )
    page = client_for("grid_worker").get(f"/events/{event.pk}/")
    assert page.status_code == 200 and 'data-testid="origin-panel"' not in page.content.decode()


@pytest.mark.parametrize(
    ("severities", "limit"), [(("medium", "low"), 2000), (("high",), 0), (("bogus",), 5)]
)
def test_auto_dispatch_follows_the_severities_and_the_limit(city, settings, severities, limit):
    settings.GRIDGOV_DATAHUB_AUTO_DISPATCH = severities
    settings.GRIDGOV_DATAHUB_AUTO_DISPATCH_LIMIT = limit
    register_dead_but_paid(city)
    run = collide()
    assert run.findings_new == 1 and run.findings_dispatched == 0
    assert Finding.objects.unscoped("test").get().status == FindingStatus.OPEN
    assert not Event.objects.unscoped("test").exists()


def test_collide_command_runs_and_reports(city, capsys, settings):
    from django.core.management import call_command

    settings.GRIDGOV_DATAHUB_AUTO_DISPATCH = ("high",)
    register_dead_but_paid(city)
    call_command("collide", "--rules", "deceased_allowance")
    out = capsys.readouterr()
    assert "1 new" in out.out and "deceased_allowance" in out.out
    assert "1 dispatched for verification" in out.out  # a high-severity finding goes out at once
    assert "派发核实工单" in out.err  # the progress bar on stderr, at its last stage
    run = Run.objects.unscoped("test").get()
    assert run.status == RunStatus.DONE and run.started_label == "system:datahub.collide"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("collide", "--rules", "no_such_rule")


def test_linkage_finds_a_homophone_without_an_id_and_names_the_whole_cluster(city):
    """Resident A appears twice more without an ID number: in the floating register under a homophone
    (甲 → 假) and as a tenant. The three records are one person: three pair findings, each naming all three;
    nobody else is linked — not the namesake born the same day in another district (远户主甲, 0.989 < 0.99).
    A city this small is not trained on: the comparisons' prior m and u decide."""
    from gridgov.datahub.services.runs import _address_names, registry_address
    from gridgov.people.models import Resident

    resident = Resident.objects.unscoped("test").select_related("household").get(pk=city.resident_a.pk)
    address = registry_address(_address_names(), resident.household.area_path, resident.household.number)
    community = resident.area_path[:12]
    birth, sex = resident.birth_date.isoformat(), "男" if resident.sex == "M" else "女"
    homophone = resident.name.replace("甲", "假")
    assert homophone != resident.name
    floating = spec("ps_floating").headers
    services.receive_batch(
        SYSTEM,
        "ps_floating",
        content=csv_bytes(floating, [[homophone, "", birth, sex, community, address, "2024-03-01", ""]]),
        filename="f.csv",
        batch_id="f1",
    )
    rental = spec("housing_rental").headers
    row = [
        "ZL0000001",
        resident.name,
        "",
        birth,
        sex,
        community,
        address,
        "王建国",
        "2024-01-01",
        "2025-12-31",
    ]
    services.receive_batch(
        SYSTEM, "housing_rental", content=csv_bytes(rental, [row]), filename="r.csv", batch_id="r1"
    )
    run = collide(rules=("linkage_duplicate",))
    found = list(Finding.objects.unscoped("test").filter(rule="linkage_duplicate"))
    assert run.findings_new == len(found) == 3, [f.subject_key for f in found]
    for finding in found:
        assert finding.evidence["聚类记录数"] == 3 and len(finding.evidence["同一人的全部记录"]) == 3
        assert finding.match_probability >= 0.99
        assert {t["term"] for t in finding.explanation} >= {"prior", "name", "birth_date", "address"}
    resident_pairs = [f for f in found if f"resident:{resident.pk}" in f.subject_key]
    assert len(resident_pairs) == 2 and all(f.area_path.startswith(community) for f in found)
    labels = [{item["label"] for item in services.evidence_records(f)} for f in resident_pairs]
    assert sorted(map(sorted, labels)) == [["公安流动人口", "居民登记"], ["居民登记", "房屋租赁"]]
