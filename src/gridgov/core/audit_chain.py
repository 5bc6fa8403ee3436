"""Tamper evidence for the audit log: sealing (a hash chain per day) and its verification.

Writers never touch the chain: audited writes are on hot paths (points redemptions, many concurrent
transactions), and a chain extended at write time would serialise them all on one chain head. Instead
`seal_audit` (a beat task, every minute) takes the events not yet sealed, in id order, and for each day
(created_at date in the platform time zone) extends that day's chain: each event's `chain_hash` is
sha256(previous hash of the day + canonical serialisation of the event), and the day's `AuditSeal` keeps
its last event id, count and head hash.

Only events older than a grace period are sealed, so that a transaction still in flight with a lower id
cannot commit after a later id was sealed; on PostgreSQL the cutoff also stays before the start of the
oldest open transaction. An event that appears later with an id below the sealed head is never sealed:
`verify_audit` reports it as an insertion (docs/hardening.md, "Audit integrity").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from .models import AuditEvent, AuditSeal

GRACE = dt.timedelta(seconds=5)
BATCH = 2000
_LOCK_KEY = 0x61756469  # "audi": one sealer at a time on PostgreSQL
_FIELDS = (
    "id",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type_id",
    "object_id",
    "object_repr",
    "area_path",
    "before",
    "after",
    "source",
    "request_id",
    "chain_hash",
)


def _zone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(_zone()).date()


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=_zone())
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=_zone())


def genesis(day: dt.date) -> str:
    """The hash a day's chain starts from: bound to the day, so a chain cannot be moved to another."""
    return hashlib.sha256(f"gridgov-audit:{day.isoformat()}".encode()).hexdigest()


def canonical(event: AuditEvent) -> bytes:
    data = {
        "id": event.pk,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type_id": event.object_type_id,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "area_path": event.area_path,
        "before": event.before,
        "after": event.after,
        "source": event.source,
        "request_id": event.request_id,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(previous: str, event: AuditEvent) -> str:
    return hashlib.sha256(previous.encode() + canonical(event)).hexdigest()


def sealed_head() -> int:
    """The highest sealed event id (0 before the first seal)."""
    return AuditSeal.objects.aggregate(m=Max("last_event_id"))["m"] or 0


def _cutoff(now: dt.datetime, grace: dt.timedelta) -> dt.datetime:
    cutoff = now - grace
    if connection.vendor == "postgresql":
        # A transaction open longer than the grace period may still commit events dated before the cutoff.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start IS NOT NULL"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None and oldest < cutoff:
            cutoff = oldest
    return cutoff


def seal_audit(*, now: dt.datetime | None = None, grace: dt.timedelta = GRACE) -> int:
    """Seal the events older than the grace period that follow the sealed head; returns how many."""
    now = now or timezone.now()
    cutoff = _cutoff(now, grace)
    sealed = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            head = sealed_head()
            # Stop before the first event past the cutoff: ids and created_at are not in the same order
            # between concurrent writers, and anything sealed past it would turn that one into a "gap".
            stop = AuditEvent.objects.filter(id__gt=head, created_at__gte=cutoff).aggregate(m=Min("id"))["m"]
            pending = AuditEvent.objects.filter(id__gt=head, created_at__lt=cutoff)
            if stop is not None:
                pending = pending.filter(id__lt=stop)
            batch = list(pending.order_by("id")[:BATCH])
            if not batch:
                return sealed
            _extend(batch, now)
            sealed += len(batch)


def _extend(batch: list[AuditEvent], now: dt.datetime) -> None:
    by_day: dict[dt.date, list[AuditEvent]] = {}
    for event in batch:
        by_day.setdefault(day_of(event.created_at), []).append(event)
    seals = {s.day: s for s in AuditSeal.objects.select_for_update().filter(day__in=by_day)}
    for day, events in by_day.items():
        seal = seals.get(day)
        previous = seal.head_hash if seal else genesis(day)
        for event in events:
            event.chain_hash = previous = link(previous, event)
        if seal is None:
            seal = AuditSeal(day=day, count=0)
        seal.last_event_id = events[-1].pk
        seal.count += len(events)
        seal.head_hash = previous
        seal.sealed_at = now
        seal.save()
    # Bypasses AuditEvent.save (append-only): chain_hash is the one column ever set after the insert.
    AuditEvent.objects.bulk_update(batch, ["chain_hash"], batch_size=500)


@dataclass
class Finding:
    day: dt.date | None
    kind: str  # edited | deleted | inserted | seal
    event_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "seal"
        return f"{self.day or '-'} {self.kind}: {where}: {self.detail}"


@dataclass
class Report:
    days: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    last_sealed_at: dt.datetime | None = None

    @property
    def intact(self) -> bool:
        return not self.findings


def verify_audit(*, days: Iterable[dt.date] | None = None, since: dt.date | None = None) -> Report:
    """Recompute the chains of the sealed days (all, `days`, or those from `since` on) and compare.

    Finds: an edited event (its hash does not follow from the previous one), a deleted event (the chain
    breaks and the day counts fewer than its seal), an event inserted below the sealed head (unsealed
    though its id is sealed over), a missing or edited seal.
    """
    report = Report(last_sealed_at=AuditSeal.objects.aggregate(m=Max("sealed_at"))["m"])
    seals = AuditSeal.objects.all()
    chained = AuditEvent.objects.filter(chain_hash__isnull=False)
    gaps = AuditEvent.objects.filter(chain_hash__isnull=True, id__lte=sealed_head())
    if days is not None:
        wanted = sorted(set(days))
        seals = seals.filter(day__in=wanted)
        chained_days = {d for d in wanted if chained.filter(_in_day(d)).exists()}
        within = Q(pk__in=[])
        for day in wanted:
            within |= _in_day(day)
        gaps = gaps.filter(within)
    else:
        if since is not None:
            seals = seals.filter(day__gte=since)
            chained = chained.filter(created_at__gte=_day_bounds(since)[0])
            gaps = gaps.filter(created_at__gte=_day_bounds(since)[0])
        chained_days = {d.date() for d in chained.datetimes("created_at", "day", tzinfo=_zone())}
    by_day = {s.day: s for s in seals}
    for day in sorted(set(by_day) | chained_days):
        report.days += 1
        _verify_day(day, by_day.get(day), report)
    for event_id, created_at in gaps.order_by("id").values_list("id", "created_at"):
        report.findings.append(
            Finding(day_of(created_at), "inserted", event_id, "unsealed, but its id is below the sealed head")
        )
    return report


def _in_day(day: dt.date) -> Q:
    start, end = _day_bounds(day)
    return Q(created_at__gte=start, created_at__lt=end)


def _verify_day(day: dt.date, seal: AuditSeal | None, report: Report) -> None:
    events = (
        AuditEvent.objects.filter(_in_day(day), chain_hash__isnull=False)
        .order_by("id")
        .only(*_FIELDS)
        .iterator()
    )
    previous = genesis(day)
    count = 0
    last_id = None
    breaks: list[int] = []
    for event in events:
        count += 1
        last_id = event.pk
        assert event.chain_hash is not None
        if link(previous, event) != event.chain_hash:
            breaks.append(event.pk)
        previous = event.chain_hash
    report.events += count
    # A break is an edited event, or the next one after a deleted event: the seal's count tells which.
    missing = seal is not None and count < seal.count
    for event_id in breaks:
        report.findings.append(
            Finding(
                day,
                "deleted",
                event_id,
                "chain broken just before this event (an event deleted, or this one edited)",
            )
            if missing
            else Finding(day, "edited", event_id, "hash does not follow from the previous event: edited")
        )
    if seal is None:
        report.findings.append(Finding(day, "seal", None, f"missing seal for {count} sealed events"))
        return
    if count != seal.count:
        report.findings.append(
            Finding(day, "deleted", None, f"{count} sealed events, the seal counts {seal.count}")
        )
    if last_id != seal.last_event_id or previous != seal.head_hash:
        report.findings.append(
            Finding(
                day, "seal", last_id, f"chain head does not match the seal (last event {seal.last_event_id})"
            )
        )
