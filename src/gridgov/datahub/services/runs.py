"""Collision runs: extracts (B) → deterministic rules on DuckDB (B) → probabilistic linkage (C) →
`save_findings`. A run started from the page is a Celery job with a progress bar (core.Job, polled by the
page); `manage.py collide` runs the same function with a text progress bar.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import SystemActor, as_user, skips_checks
from gridgov.core.models import Job, JobStatus
from gridgov.core.services import ServiceError

from ..models import RECORD_MODELS, Run, RunStatus
from ..rulebook import LINKAGE_RULE, all_rules
from ..sources import SOURCE_CODES
from .exchange import _city_path

if TYPE_CHECKING:
    from gridgov.accounts.models import User

log = logging.getLogger(__name__)

# The people-like sources whose records take part in the probabilistic linkage, with the registry.
LINKAGE_SOURCES = (
    "ps_household",
    "ps_floating",
    "housing_rental",
    "ca_subsistence",
    "ca_disability",
    "ca_death",
)
# The stages and the share of the bar each ends at.
STAGES = (("extracts", 30), ("rules", 55), ("linkage", 90), ("save", 96), ("dispatch", 100))
STAGE_LABELS = {
    "extracts": "导出列式数据",
    "rules": "确定性规则",
    "linkage": "模糊匹配",
    "save": "保存发现",
    "dispatch": "派发核实工单",
}

Reporter = Callable[[str, int], None]  # (stage label, percent)


def clean_selection(rules: list[str] | None, sources: list[str] | None) -> tuple[list[str], list[str]]:
    known_rules = set(all_rules())
    rules = sorted({r.strip() for r in rules or [] if r.strip()})
    sources = sorted({s.strip() for s in sources or [] if s.strip()})
    bad = [r for r in rules if r not in known_rules]
    if bad:
        raise ServiceError(_("未知规则:%(r)s") % {"r": "、".join(bad)[:200]})
    bad = [s for s in sources if s not in SOURCE_CODES]
    if bad:
        raise ServiceError(_("未知数据源:%(s)s") % {"s": "、".join(bad)[:200]})
    return rules, sources


@transaction.atomic
def create_run(
    actor: User | SystemActor, *, rules: list[str] | None = None, sources: list[str] | None = None
) -> Run:
    if not skips_checks(actor) and not actor.has_perm("datahub.start_run"):
        raise PermissionError("datahub.start_run")
    rules, sources = clean_selection(rules, sources)
    busy = Run.objects.unscoped("is a run of the city already going").filter(
        status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
    )
    if busy.filter(created_at__gte=timezone.now() - dt.timedelta(hours=2)).exists():
        raise ServiceError(_("已有比对正在进行,请等待其完成"))
    run = Run.objects.create(
        rules=rules,
        sources=sources,
        started_by=as_user(actor),
        started_label=str(actor)[:150],
        area_path=_city_path(),
    )
    audit.record(actor, "datahub.start_run", run, after={"rules": rules, "sources": sources})
    return run


def start_run(actor: User, *, rules: list[str] | None = None, sources: list[str] | None = None) -> Run:
    """The page's button: a run as a background job whose progress the page polls."""
    from ..tasks import collide_task

    with transaction.atomic():
        run = create_run(actor, rules=rules, sources=sources)
        job = Job.objects.create(kind="datahub.collide", owner=actor, params={"run": run.pk}, total=100)
        _own(run).update(job=job)
        run.job = job
        transaction.on_commit(lambda: collide_task.delay(run.pk))
    return run


def _own(run: Run):
    """The run's own row, written by the job running it (the run was checked when it was created)."""
    return Run.objects.unscoped("a run's own row, updated by the job that runs it").filter(pk=run.pk)


def _report_to(run: Run, extra: Reporter | None) -> Reporter:
    def report(stage: str, percent: int) -> None:
        percent = max(0, min(100, int(percent)))
        _own(run).update(stage=stage[:50], progress=percent)
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(done=percent, total=100, status=JobStatus.RUNNING)
        if extra is not None:
            extra(stage, percent)

    return report


def execute(run: Run, *, report: Reporter | None = None, workdir: Path | None = None) -> Run:
    """Run the collision for `run` (a queued run): every stage, then the findings. A failure marks the run
    (and its job) failed with the reason and re-raises."""
    from . import findings

    say = _report_to(run, report)
    _own(run).update(status=RunStatus.RUNNING, started_at=timezone.now(), error="")
    try:
        with tempfile.TemporaryDirectory(prefix="datahub-run-", dir=_tmp_root()) as tmp:
            work = Path(workdir or tmp)
            rows, batches, stats = _stages(run, work, say)
        say(STAGE_LABELS["save"], 92)
        counts = findings.save_findings(run, rows)
        say(STAGE_LABELS["dispatch"], 96)
        counts["dispatched"] = findings.auto_dispatch(run)  # for the log line below
    except Exception as exc:
        now = timezone.now()
        _own(run).update(status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=now)
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=now
            )
        raise
    now = timezone.now()
    _own(run).update(
        status=RunStatus.DONE,
        stage=STAGE_LABELS["save"],
        progress=100,
        finished_at=now,
        batches=batches,
        counts=stats["counts"],
        linkage_stats=stats["linkage"],
    )
    if run.job_id:
        Job.objects.filter(pk=run.job_id).update(status=JobStatus.DONE, done=100, total=100, finished_at=now)
    run.refresh_from_db()
    log.info("datahub run %s: %s", run.pk, counts)
    return run


def _tmp_root() -> str | None:
    root = getattr(settings, "GRIDGOV_DATAHUB_WORKDIR", "")
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
        return str(root)
    return None


def _stages(run: Run, work: Path, say: Reporter) -> tuple[list[Any], dict, dict]:
    from .. import engine, extracts

    selected_rules = [r for r in run.rules if r != LINKAGE_RULE] or None
    want_rules = not run.rules or bool(selected_rules)
    want_linkage = not run.rules or LINKAGE_RULE in run.rules

    def stage_progress(start: int, end: int):
        def progress(stage: str, done: int, total: int) -> None:
            say(str(stage), start + (end - start) * done // max(total, 1))

        return progress

    say(STAGE_LABELS["extracts"], 1)
    extracts.write_extracts(work, sources=run.sources or None, progress=stage_progress(1, 30))
    manifest = extracts.read_manifest(work)
    batches = {code: (info or {}).get("batch") for code, info in manifest.get("sources", {}).items() if info}
    rows: list[Any] = []
    counts: dict[str, Any] = {}
    if want_rules:
        say(STAGE_LABELS["rules"], 30)
        rule_rows = engine.run_rules(work, rules=selected_rules, progress=stage_progress(30, 55))
        rows.extend(rule_rows)
        for row in rule_rows:
            counts[row.rule] = counts.get(row.rule, 0) + 1
        counts["skipped"] = engine.skipped_rules(work, rules=selected_rules)
    linkage: dict[str, Any] = {}
    if want_linkage:
        say(STAGE_LABELS["linkage"], 55)
        link_rows, linkage = linkage_rows(run, say)
        rows.extend(link_rows)
        counts[LINKAGE_RULE] = len(link_rows)
    return rows, batches, {"counts": counts, "linkage": linkage}


# --- the probabilistic stage --------------------------------------------------------------------------
def _address_names() -> dict[str, str]:
    from gridgov.areas.models import Area, Level

    return dict(
        Area.objects.unscoped("area names for the addresses the linkage compares; names only")
        .filter(level__gte=Level.DISTRICT)
        .values_list("path", "name")
    )


def registry_address(names: dict[str, str], area_path: str, number: str) -> str:
    """A resident's address as the departments write it: district, street, community, building, unit,
    room (the area names along the unit's path)."""
    from gridgov.areas.models import PATH_LENGTH, Level

    levels = (
        Level.DISTRICT,
        Level.STREET,
        Level.COMMUNITY,
        Level.BUILDING,
        Level.UNIT,
    )  # a grid is no address
    text, previous = "", ""
    for lvl in levels:
        if len(area_path) < PATH_LENGTH[lvl]:
            break
        part = names.get(area_path[: PATH_LENGTH[lvl]], "")
        # A unit is named with its building ("7号楼1单元" under "7号楼"): the building is written once.
        text += part[len(previous) :] if previous and part.startswith(previous) else part
        previous = part
    return text + (f"{number}室" if number else "")


def linkage_input(sources: list[str] | None = None):
    """The people records for the linkage — every registered resident and the records of the people-like
    sources' current batches (ID numbers decrypted in memory only) — and where each lies (the resident's
    grid, the record's community), for the finding's area."""
    import pandas as pd

    from gridgov.people.models import Resident

    from ..models import Source

    names = _address_names()
    rows: list[dict] = []
    where: dict[str, str] = {}
    residents = (
        Resident.objects.unscoped("the linkage compares every registered resident with the sources")
        .filter(is_active=True)
        .values_list("pk", "name", "id_cipher", "birth_date", "sex", "area_path", "household__number")
    )
    from gridgov.core import pii
    from gridgov.people.models import ID_PURPOSE

    for pk, name, cipher, birth, sex, path, number in residents.iterator(chunk_size=5000):
        rows.append(
            {
                "record_id": f"resident:{pk}",
                "source": "residents",
                "name": name,
                "id_number": pii.decrypt(cipher, purpose=ID_PURPOSE) if cipher else "",
                "birth_date": birth,
                "sex": sex,
                "address": registry_address(names, path, number),
            }
        )
        where[f"resident:{pk}"] = path[:15]
    # A source record whose ID number is a registered resident's is joined exactly (the rules do that):
    # only the others — no ID, or one no resident has — need the probabilistic linkage.
    registered = {r["id_number"] for r in rows}
    codes = [c for c in LINKAGE_SOURCES if not sources or c in sources]
    current = dict(Source.objects.filter(code__in=codes).values_list("code", "current_batch"))
    for code in codes:
        batch = current.get(code)
        if not batch:
            continue
        model = RECORD_MODELS[code]
        has_address = any(f.name == "address" for f in model._meta.concrete_fields)
        fields = [
            "pk",
            "name",
            "id_cipher",
            "birth_date",
            "sex",
            "address" if has_address else "pk",
            "community_code",
        ]
        for values in (
            model.objects.unscoped("the linkage reads the current batch of each people-like source")
            .filter(batch_id=batch)
            .values_list(*fields)
            .iterator(chunk_size=5000)
        ):
            pk, name, cipher, birth, sex, address, community = values
            number = pii.decrypt(cipher, purpose=ID_PURPOSE) if cipher else ""
            if number and number in registered:
                continue
            if community:
                where[f"src_{code}:{pk}"] = community
            rows.append(
                {
                    "record_id": f"src_{code}:{pk}",
                    "source": code,
                    "name": name,
                    "id_number": number,
                    "birth_date": birth,
                    "sex": sex,
                    "address": address if has_address else registry_address(names, community or "", ""),
                }
            )
    columns = ["record_id", "source", "name", "id_number", "birth_date", "sex", "address"]
    return pd.DataFrame(rows, columns=columns), where


def linkage_rows(run: Run, say: Reporter) -> tuple[list[dict], dict]:
    """Pairs at or above the threshold whose ID numbers differ (or one is missing): the same ID on both
    sides is a deterministic join, not a linkage finding."""
    from .. import linkage

    records, community_of = linkage_input(run.sources or None)
    if len(records) < 2:
        return [], {"records": len(records)}
    threshold = float(getattr(settings, "GRIDGOV_DATAHUB_LINK_THRESHOLD", linkage.DEFAULT_THRESHOLD))

    def progress(done: int, total: int, label: str) -> None:
        say(STAGE_LABELS["linkage"], 55 + 35 * done // max(total, 1))

    result = linkage.link(records, threshold=threshold, progress=progress)
    by_id = records.set_index("record_id")
    # Clusters: every record the pairs join into one person (connected pairs), named on each pair's finding.
    cluster_of: dict[str, Any] = {}
    members: dict[Any, list[str]] = defaultdict(list)
    for record_id, cluster_id in zip(
        result.clusters["record_id"], result.clusters["cluster_id"], strict=True
    ):
        cluster_of[str(record_id)] = cluster_id
        members[cluster_id].append(str(record_id))
    out = []
    for pair in result.pairs.itertuples(index=False):
        left, right = by_id.loc[pair.record_id_l], by_id.loc[pair.record_id_r]
        if left["id_number"] and left["id_number"] == right["id_number"]:
            continue
        ids = sorted([pair.record_id_l, pair.record_id_r])
        refs = [_ref(i) for i in ids]
        content = "|".join(
            f"{i}:{by_id.loc[i]['name']}:{by_id.loc[i]['id_number']}:{by_id.loc[i]['birth_date']}:{by_id.loc[i]['address']}"
            for i in ids
        )
        sources = sorted({str(by_id.loc[i]["source"]) for i in ids} - {"residents"})
        out.append(
            {
                "rule": LINKAGE_RULE,
                "area_path": community_of.get(ids[0]) or community_of.get(ids[1]) or run.area_path,
                "subject_key": "pair:" + "|".join(ids),
                "records": refs,
                "fingerprint": hashlib.sha256(content.encode()).hexdigest(),
                "evidence": {
                    "匹配概率": f"{float(pair.match_probability):.4f}",
                    "匹配权重": f"{float(pair.match_weight):.2f}",
                    "来源": " / ".join(_source_label(str(by_id.loc[i]["source"])) for i in ids),
                    **_cluster_evidence(members.get(cluster_of.get(ids[0]), ids), by_id),
                },
                "explanation": _explanation(pair.explanation),
                "match_probability": float(pair.match_probability),
                "sources": sources,
            }
        )
    stats = {k: v for k, v in (result.stats or {}).items() if isinstance(v, (int, float, str))}
    stats.update(
        {"records": len(records), "pairs": len(result.pairs), "findings": len(out), "threshold": threshold}
    )
    return out, stats


def _cluster_evidence(cluster: list[str], by_id) -> dict[str, Any]:
    """The size of the pair's cluster and, when it holds more than the pair, every record in it."""
    evidence: dict[str, Any] = {"聚类记录数": len(cluster)}
    if len(cluster) > 2:
        evidence["同一人的全部记录"] = [
            f"{_source_label(str(by_id.loc[i]['source']))} #{i.partition(':')[2]}" for i in sorted(cluster)
        ]
    return evidence


def _ref(record_id: str) -> dict:
    table, _sep, key = record_id.partition(":")
    return {"table": "residents" if table == "resident" else table, "key": key}


def _source_label(code: str) -> str:
    from ..sources import BY_CODE

    return BY_CODE[code].name if code in BY_CODE else "居民登记"


def _explanation(value: Any) -> list[dict]:
    out = []
    for term in list(value) if value is not None else []:
        item = dict(term)
        out.append(
            {
                "term": str(item.get("term", "")),
                "level": str(item.get("level", "")),
                "bayes_factor": float(item.get("bayes_factor") or 0.0),
                "weight": float(item.get("weight") or 0.0),
            }
        )
    return out
