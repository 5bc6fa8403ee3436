"""Findings: saving what a run raised, the verification work order, the outcome, unmasking evidence.

Lifecycle: a run saves a finding (open) → a dispatcher of its area (community, street) sends it to the
grid worker as a work order through the events service (verifying) → the grid worker records what was
found on the spot (the work order is handled) → the community or street records the outcome: confirmed,
false alarm (suppressed: the same rule over the same records is not raised again) or corrected (a
correction request to the registry, approved by the community and applied by the people services).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor, as_user, skips_checks
from gridgov.core.services import RateLimited, ServiceError
from gridgov.events import services as events
from gridgov.events.models import AssigneeKind, Category, Event, State
from gridgov.events.models import Source as EventSource

from ..display import evidence_items
from ..models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    RECORD_MODELS,
    Finding,
    FindingStatus,
    Run,
    RunTally,
    Suppression,
)
from ..rulebook import rule_meta
from ..sources import BY_CODE

if TYPE_CHECKING:
    from gridgov.accounts.models import User

log = logging.getLogger(__name__)
WORK_ORDER_CATEGORY = "other"  # events has no data-check category: verification orders go under 其他
ORIGIN_PREFIX = "datahub:"


def _require(actor, perm: str) -> None:
    if not skips_checks(actor) and not actor.has_perm(perm):
        raise PermissionError(perm)


def _row_dict(row: Any) -> dict:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return dataclasses.asdict(row)
    return dict(row)


def _wrap(values: Iterable[str]) -> str:
    items = sorted({v for v in values if v})
    return f",{','.join(items)}," if items else ""


def _valid_path(path: str, fallback: str) -> str:
    path = (path or "").strip()
    if path.isdigit() and len(path) in PATH_LENGTH.values():
        return path
    return fallback


# --- saving a run's rows ------------------------------------------------------------------------------
@transaction.atomic
def save_findings(run: Run, rows: Iterable[Any]) -> dict[str, int]:
    """Store what a run raised: the rules' `engine.FindingRow`s and the linkage pairs (as rows of the same shape,
    with `explanation` and `match_probability`). A row whose (rule, subject, fingerprint) was closed as a
    false alarm is skipped; one whose (rule, subject) is still open (or confirmed) updates that finding;
    anything else is a new finding. Returns the counts, also kept on the run with a tally per rule and
    community for the trends."""
    rows = [_row_dict(r) for r in rows]
    rules = {r["rule"] for r in rows}
    suppressed = set(
        Suppression.objects.unscoped("the run's suppression check covers the whole city")
        .filter(rule__in=rules)
        .values_list("rule", "subject_key", "fingerprint")
    )
    current = {
        (f.rule, f.subject_key): f
        for f in Finding.objects.unscoped("a run matches its rows against the city's findings")
        .filter(rule__in=rules, status__in=(*OPEN_STATUSES, FindingStatus.CONFIRMED))
        .order_by("id")
    }
    counts = Counter[str]()
    tallies: dict[tuple[str, str], int] = defaultdict(int)
    tally_meta: dict[str, tuple[str, str]] = {}
    seen: set[tuple[str, str]] = set()
    new: list[Finding] = []
    changed: list[Finding] = []
    for row in rows:
        rule, subject = str(row["rule"])[:40], str(row["subject_key"])[:200]
        fingerprint = str(row.get("fingerprint", ""))[:64]
        if (rule, subject) in seen:
            continue
        seen.add((rule, subject))
        if (rule, subject, fingerprint) in suppressed:
            counts["suppressed"] += 1
            continue
        meta = rule_meta(rule)
        read = tuple(row.get("sources") or ()) or meta.sources  # a linkage pair names its records' sources
        departments = _wrap(str(BY_CODE[s].department) for s in read if s in BY_CODE)
        sources = _wrap(read)
        area_path = _valid_path(str(row.get("area_path", "")), run.area_path)
        tallies[(rule, area_path[: PATH_LENGTH[Level.COMMUNITY]])] += 1
        tally_meta[rule] = (meta.severity, departments)
        fields = {
            "records": list(row.get("records") or []),
            "evidence": dict(row.get("evidence") or {}),
            "explanation": list(row.get("explanation") or []),
            "match_probability": row.get("match_probability"),
            "fingerprint": fingerprint,
        }
        existing = current.get((rule, subject))
        if existing is not None:
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.last_run = run
            changed.append(existing)
            counts["repeated"] += 1
            continue
        new.append(
            Finding(
                run=run,
                last_run=run,
                rule=rule,
                severity=meta.severity,
                area_path=area_path,
                subject_key=subject,
                departments=departments,
                sources=sources,
                **fields,
            )
        )
        counts["new"] += 1
    Finding.objects.bulk_create(new, batch_size=1000)
    if changed:
        Finding.objects.unscoped("a run updates the findings it matched above").bulk_update(
            changed,
            [
                "records",
                "evidence",
                "explanation",
                "match_probability",
                "fingerprint",
                "last_run",
                "updated_at",
            ],
            batch_size=1000,
        )
    RunTally.objects.bulk_create(
        RunTally(
            run=run,
            rule=rule,
            severity=tally_meta[rule][0],
            departments=tally_meta[rule][1],
            area_path=path,
            count=n,
        )
        for (rule, path), n in sorted(tallies.items())
    )
    Run.objects.unscoped("a run's own row, updated by the job that runs it").filter(pk=run.pk).update(
        findings_new=counts["new"],
        findings_repeated=counts["repeated"],
        findings_suppressed=counts["suppressed"],
    )
    run.findings_new, run.findings_repeated, run.findings_suppressed = (
        counts["new"],
        counts["repeated"],
        counts["suppressed"],
    )
    by_rule: Counter[str] = Counter()
    for (rule, _path), n in tallies.items():
        by_rule[rule] += n
    audit.record(
        SystemActor("datahub.save_findings"),
        "datahub.save_findings",
        run,
        after={
            "new": counts["new"],
            "repeated": counts["repeated"],
            "suppressed": counts["suppressed"],
            "by_rule": dict(by_rule),
        },
    )
    return {"new": counts["new"], "repeated": counts["repeated"], "suppressed": counts["suppressed"]}


# --- the verification work order ----------------------------------------------------------------------
def _target_area(finding: Finding) -> Area:
    """The grid of the finding (a building or unit path is cut to its grid); a finding placed in a
    community (or higher) goes to that node."""
    path = finding.area_path
    if len(path) > PATH_LENGTH[Level.GRID]:
        path = path[: PATH_LENGTH[Level.GRID]]
    area = (
        Area.objects.unscoped("the finding's own area, re-read by path for the dispatch")
        .filter(path=path)
        .first()
    )
    if area is None:
        raise ServiceError(_("该发现所在的区域已不存在,无法派发核实"))
    return area


def describe(finding: Finding) -> str:
    """The work order's description: the rule and the non-identifying evidence (never a full ID)."""
    meta = rule_meta(finding.rule)
    lines = [str(meta.name), str(meta.description)]
    for label, value in evidence_items(finding.evidence):
        lines.append(f"{label}:{value}")
    lines.append(_("请到现场核实后在工单中填写核实情况。比对发现编号:%(n)s") % {"n": finding.pk})
    return "\n".join(line for line in lines if line)[:2000]


@transaction.atomic
def dispatch_verification(actor: User | SystemActor, finding: Finding, *, note: str = "") -> Finding:
    """Report, accept and dispatch a verification work order for the finding to its grid (the grid
    worker verifies it); the dispatcher must reach the finding's area (events checks it again)."""
    _require(actor, "events.dispatch_event")
    finding = Finding.objects.lock_in_scope(actor, finding.pk)
    if finding.status != FindingStatus.OPEN or finding.work_order_id:
        raise ServiceError(_("该发现已派发核实或已有结论"))
    area = _target_area(finding)
    category = (
        Category.objects.filter(code=WORK_ORDER_CATEGORY).first() or Category.objects.order_by("pk").first()
    )
    if category is None:
        raise ServiceError(_("请先建立事件分类"))
    meta = rule_meta(finding.rule)
    event = events.report_event(
        actor,
        category=category,
        title=(_("数据核实:%(r)s") % {"r": meta.name})[:100],
        description=describe(finding),
        area=area,
        source=EventSource.SYSTEM,
        origin=f"{ORIGIN_PREFIX}{finding.pk}",
    )
    event = events.accept(actor, event, note=_("比对发现核实"))
    kind = AssigneeKind.GRID if area.level == Level.GRID else AssigneeKind.COMMUNITY
    event = events.dispatch(actor, event, assignee_kind=kind, assignee_area=area, note=note)
    before = audit.snapshot(finding, ["status", "work_order"])
    finding.status = FindingStatus.VERIFYING
    finding.work_order = event
    finding.save(update_fields=["status", "work_order", "updated_at"])
    audit.record(
        actor,
        "datahub.dispatch_verification",
        finding,
        before=before,
        after={"status": finding.status, "work_order": event.pk, "number": event.number},
    )
    return finding


AUTO_DISPATCHER = SystemActor("datahub.auto_dispatch")
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def auto_dispatch(run: Run) -> int:
    """The run's new findings of the severities in GRIDGOV_DATAHUB_AUTO_DISPATCH become verification work
    orders for their grids at once, the most severe first, at most GRIDGOV_DATAHUB_AUTO_DISPATCH_LIMIT a
    run; the rest stay open for a person to dispatch. Returns how many were dispatched."""
    severities = [s for s in getattr(settings, "GRIDGOV_DATAHUB_AUTO_DISPATCH", ()) if s in _SEVERITY_ORDER]
    limit = int(getattr(settings, "GRIDGOV_DATAHUB_AUTO_DISPATCH_LIMIT", 2000))
    if not severities or limit <= 0:
        return 0
    candidates = list(
        Finding.objects.unscoped("a run's own new findings, dispatched by the system")
        .filter(run=run, status=FindingStatus.OPEN, work_order__isnull=True, severity__in=severities)
        .values_list("pk", "severity")
    )
    candidates.sort(key=lambda item: (_SEVERITY_ORDER[item[1]], item[0]))
    chosen = [pk for pk, _severity in candidates[:limit]]
    findings = Finding.objects.unscoped("the findings chosen above").in_bulk(chosen)
    done = dispatch_open(AUTO_DISPATCHER, (findings[pk] for pk in chosen), limit=limit)
    if done < len(chosen):  # refused ones stay open for a person; say so where operators look
        log.warning(
            "datahub run %s: %d of %d findings could not be dispatched",
            run.pk,
            len(chosen) - done,
            len(chosen),
        )
    Run.objects.unscoped("a run's own row, updated by the job that runs it").filter(pk=run.pk).update(
        findings_dispatched=done
    )
    run.findings_dispatched = done
    return done


def dispatch_open(actor: User | SystemActor, findings: Iterable[Finding], *, limit: int = 200) -> int:
    """Dispatch several open findings (one transaction each: one refused does not undo the others)."""
    done = 0
    for finding in list(findings)[:limit]:
        try:
            dispatch_verification(actor, finding)
        except (ServiceError, PermissionError):
            continue
        done += 1
    return done


@transaction.atomic
def record_verification(actor: User | SystemActor, finding: Finding, *, note: str) -> Finding:
    """The grid worker's report from the spot: the work order is handled with it as the result."""
    _require(actor, "datahub.verify_finding")
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写核实情况"))
    if len(note) > 500:
        raise ServiceError(_("核实情况过长(最多500字)"))
    finding = Finding.objects.lock_in_scope(actor, finding.pk)
    if finding.status != FindingStatus.VERIFYING or finding.work_order_id is None:
        raise ServiceError(_("该发现当前不在核实中"))
    event = Event.objects.lock_in_scope(actor, finding.work_order_id)
    if event.state == State.DISPATCHED:
        event = events.start(actor, event)
    if event.state != State.HANDLING:
        raise ServiceError(_("核实工单当前状态为“%(s)s”,不能提交核实情况") % {"s": event.get_state_display()})
    events.finish(actor, event, result=note)
    finding.verification_note = note
    finding.save(update_fields=["verification_note", "updated_at"])
    audit.record(actor, "datahub.record_verification", finding, after={"verification_note": note})
    return finding


OUTCOMES = (FindingStatus.CONFIRMED, FindingStatus.FALSE_ALARM, FindingStatus.CORRECTED)


@transaction.atomic
def note_from_work_order(event: Event) -> Finding | None:
    """A verification work order finished from the events pages: its result becomes the finding's
    verification note, once (idempotent: a note already there, e.g. from `record_verification`, stays)."""
    if not (event.origin or "").startswith(ORIGIN_PREFIX) or not (event.result or "").strip():
        return None
    finding = (
        Finding.objects.unscoped("the finding a handled verification work order was made for")
        .select_for_update()
        .filter(work_order_id=event.pk, verification_note="")
        .first()
    )
    if finding is None:
        return None
    finding.verification_note = event.result.strip()[:500]
    finding.save(update_fields=["verification_note", "updated_at"])
    audit.record(
        SystemActor("events→datahub: handled"),
        "datahub.record_verification",
        finding,
        after={"verification_note": finding.verification_note, "work_order": event.pk},
    )
    return finding


@transaction.atomic
def decide(
    actor: User | SystemActor,
    finding: Finding,
    *,
    outcome: str,
    note: str,
    resident=None,
    changes: dict[str, str] | None = None,
) -> Finding:
    """The community's or street's conclusion. The verification work order (if any) must have been
    handled by the grid worker; it is verified and closed here. A false alarm is suppressed; a correction
    is requested from the registry (people.services.request_correction: approved by the community)."""
    _require(actor, "datahub.decide_finding")
    if outcome not in OUTCOMES:
        raise ServiceError(_("结论无效"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写处理结论说明"))
    if len(note) > 500:
        raise ServiceError(_("结论说明过长(最多500字)"))
    finding = Finding.objects.lock_in_scope(actor, finding.pk)
    if finding.status not in OPEN_STATUSES:
        raise ServiceError(_("该发现已有结论:%(s)s") % {"s": finding.get_status_display()})
    if finding.work_order_id is not None:
        event = Event.objects.lock_in_scope(actor, finding.work_order_id)
        if event.state != State.HANDLED:
            raise ServiceError(_("网格员尚未提交核实情况(工单状态:%(s)s)") % {"s": event.get_state_display()})
        event = events.verify(actor, event, note=note)
        events.close(actor, event, note=note)
    before = audit.snapshot(finding, ["status", "outcome_note"])
    if outcome == FindingStatus.CORRECTED:
        finding.correction_ref = _request_correction(actor, finding, resident, changes or {}, note)
    finding.status = outcome
    finding.outcome_note = note
    finding.outcome_by = as_user(actor)
    finding.outcome_at = timezone.now()
    finding.save()
    if outcome == FindingStatus.FALSE_ALARM:
        Suppression.objects.unscoped("one suppression per rule, subject and records city-wide").get_or_create(
            rule=finding.rule,
            subject_key=finding.subject_key,
            fingerprint=finding.fingerprint,
            defaults={"finding": finding, "area_path": finding.area_path, "created_by": as_user(actor)},
        )
    audit.record(
        actor,
        "datahub.decide",
        finding,
        before=before,
        after={"status": outcome, "outcome_note": note, "correction_ref": finding.correction_ref},
    )
    return finding


def _request_correction(actor, finding: Finding, resident, changes: dict[str, str], note: str) -> str:
    """The registry is corrected through an approval: one correction request per changed item."""
    if resident is None:
        return ""  # the departments correct their own source; the next batch shows it
    from gridgov.people import services as people

    if not changes:
        raise ServiceError(_("请选择要更正的登记项目"))
    made = people.request_correction(
        actor,
        resident,
        changes=changes,
        reason=note,
        origin="datahub",
        origin_ref=f"{ORIGIN_PREFIX}{finding.pk}",
    )
    return ",".join(str(r.pk) for r in made)[:100]


def finding_for_work_order(user, event: Event) -> Finding | None:
    """The finding a verification work order was made for (the work order page's finding panel)."""
    if not (event.origin or "").startswith(ORIGIN_PREFIX):
        return None
    try:
        pk = int(event.origin[len(ORIGIN_PREFIX) :])
    except ValueError:
        return None
    return Finding.objects.visible_to(user).filter(pk=pk).first()


# --- evidence -----------------------------------------------------------------------------------------
def _record_rows(finding: Finding) -> list[tuple[dict, Any]]:
    """(the record reference, the row or None) for each record the finding names."""
    by_table: dict[str, list[int]] = defaultdict(list)
    refs = []
    for ref in finding.records or []:
        table, key = str(ref.get("table", "")), str(ref.get("key", ""))
        refs.append((ref, table, key))
        if key.isdigit():
            by_table[table].append(int(key))
    loaded: dict[tuple[str, int], Any] = {}
    for table, ids in by_table.items():
        model = _model_of(table)
        if model is None:
            continue
        manager = model.objects
        for obj in manager.unscoped("the rows a finding names; the viewer was checked on the finding").filter(
            pk__in=ids
        ):
            loaded[(table, obj.pk)] = obj
    return [(ref, loaded.get((table, int(key))) if key.isdigit() else None) for ref, table, key in refs]


def _model_of(table: str):
    from gridgov.people.models import Household, Resident

    if table.startswith("src_") and table[4:] in RECORD_MODELS:
        return RECORD_MODELS[table[4:]]
    if table in ("residents", "resident"):
        return Resident
    if table == "households":
        return Household
    return None


def _label_of(table: str) -> str:
    from ..sources import BY_CODE

    if table.startswith("src_") and table[4:] in BY_CODE:
        return BY_CODE[table[4:]].name
    return {"residents": "居民登记", "resident": "居民登记", "households": "户籍登记"}.get(table, table)


DISPLAY_FIELDS = (
    "name",
    "id_masked",
    "birth_date",
    "sex",
    "address",
    "community_code",
    "area_path",
    "status",
)


def evidence_records(finding: Finding, *, reveal: dict[str, str] | None = None) -> list[dict]:
    """The records on both sides as the page shows them: masked ID numbers, or the full ones in `reveal`
    (what `unmask` returned, audited)."""
    from gridgov.events.places import place_labels

    rows = _record_rows(finding)
    paths = {
        str(getattr(obj, name, "") or "")
        for _ref, obj in rows
        if obj is not None
        for name in ("area_path", "community_code")
    } - {""}
    places = place_labels(sorted(paths)) if paths else {}
    out = []
    for ref, obj in rows:
        table, key = str(ref.get("table", "")), str(ref.get("key", ""))
        item: dict[str, Any] = {"table": table, "key": key, "label": _label_of(table), "fields": []}
        if obj is not None:
            for field in obj._meta.concrete_fields:
                if field.name in (
                    "id",
                    "id_cipher",
                    "id_index",
                    "phone_cipher",
                    "phone_index",
                    "batch",
                    "line",
                    "name_pinyin",
                    "name_initials",
                    "id_tail",
                    "household",
                    "created_at",
                    "updated_at",
                ):
                    continue
                value = getattr(obj, field.attname)
                if field.name == "birth_date" and reveal is None:
                    continue  # the hidden middle of a masked ID number
                if field.choices:
                    value = getattr(obj, f"get_{field.name}_display")()
                if isinstance(value, bool):
                    value = _("是") if value else _("否")
                if field.name == "id_masked" and reveal and f"{table}:{key}" in reveal:
                    value = reveal[f"{table}:{key}"]
                if field.name == "area_path":
                    if table.startswith("src_"):
                        continue  # a department's record is kept at the city node: its place is its community
                    value = places.get(value, value)  # the place's name, not its code
                if field.name == "community_code" and value in places:
                    value = f"{places[value]}({value})"
                if field.is_relation:  # a household's unit, say: named by its path above
                    continue
                if value in (None, ""):
                    continue
                label = _("所在位置") if field.name == "area_path" else field.verbose_name
                item["fields"].append((str(label), str(value)))
            batch_id = getattr(obj, "batch_id", None)
            if batch_id:
                item["batch"] = batch_id
        out.append(item)
    return out


UNMASK_WINDOW_SECONDS = 3600


@transaction.atomic
def unmask(actor: User | SystemActor, finding: Finding) -> dict[str, str]:
    """The full ID numbers of the finding's records, for a viewer allowed to see them; audited, and
    limited per hour like the registry's unmasking (GRIDGOV_UNMASK_PER_HOUR)."""
    _require(actor, "datahub.unmask_finding")
    finding = Finding.objects.get_in_scope(actor, finding.pk)
    if not isinstance(actor, SystemActor):
        from gridgov.core.models import AuditEvent

        limit = int(getattr(settings, "GRIDGOV_UNMASK_PER_HOUR", 30))
        since = timezone.now() - dt.timedelta(seconds=UNMASK_WINDOW_SECONDS)
        if (
            AuditEvent.objects.filter(actor=actor, action="datahub.unmask", created_at__gte=since).count()
            >= limit
        ):
            raise RateLimited(
                _("一小时内查看完整证件号已达 %(n)d 次上限,请稍后再试") % {"n": limit}, retry_after=600
            )
    revealed: dict[str, str] = {}
    for ref, obj in _record_rows(finding):
        if obj is not None and hasattr(obj, "reveal_id_number"):
            number = obj.reveal_id_number()
            if number:
                revealed[f"{ref.get('table')}:{ref.get('key')}"] = number
    audit.record(actor, "datahub.unmask", finding, after={"records": sorted(revealed)})
    return revealed


__all__ = [
    "CLOSED_STATUSES",
    "OUTCOMES",
    "auto_dispatch",
    "decide",
    "describe",
    "dispatch_open",
    "dispatch_verification",
    "evidence_records",
    "finding_for_work_order",
    "note_from_work_order",
    "record_verification",
    "save_findings",
    "unmask",
]
