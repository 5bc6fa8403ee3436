"""Redemptions per second against one hot account, 32 concurrent clients, on PostgreSQL.

ours  : gridgov.points.services.redeem as a web worker runs it. The resident's and the merchant's
        accounts are split into slots (热点账户拆分); requests that arrive together in one worker
        process share a transaction (points/posting.py): one read, the Python validation, one round
        trip taking the locks, the Python decisions (key, limit, stock), one round trip writing the rows
        and calling gridgov_points_post (one commit; each request refused or posted on its own).
naive : the same redemption written the obvious ORM way — read the account, check, `balance -= x`,
        `save()` — in a transaction but without a lock, so concurrent clients overwrite each other.

32 clients = 2 worker processes × 16 threads (a web server's workers), each client on its own
connection, opened (and the posting functions compiled) before the clock starts. Both paths run in
the same invocation, one after the other, against a database of their own (gridgov_bench_ledger,
created fresh and migrated each run). The hot account starts with 10% fewer points than the clients
try to spend, so an over-spend shows up. After each run the ledger is checked: lost updates (cached
balance ≠ sum of entries) and double spends (more points spent than the account ever had) are
counted as invariant violations; one on our path fails the benchmark.

    python bench/ledger.py [--clients 32] [--processes 2] [--per-client 300] [--slots 16] [--phases]

`--phases` also times each step of our batches in every worker process (read, validation, the
locking round trip, the Python decisions, the audit JSON, the writing round trip, the commit) and
prints the mean per batch; the wrappers cost a little throughput, so compare runs without it.

Last line: `ratio: N` = ours / naive throughput (successful redemptions per second).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DB_NAME = "gridgov_bench_ledger"
ACTOR_NAME = "bench.ledger"
PHASES = False  # --phases  # the benchmark acts as a job: SystemActor(ACTOR_NAME), audited as such
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        # Fresh each run: earlier runs' rows would make every run a little slower than the last.
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_world(tag: str):
    """A fresh city branch with one resident (the hot account), one shop and one scenario."""
    from django.db import transaction

    from gridgov.areas.models import Area, Level
    from gridgov.core import idcard
    from gridgov.core.actors import SystemActor
    from gridgov.people import services as people
    from gridgov.points import services
    from gridgov.points.models import MerchantKind

    with transaction.atomic():
        Area.objects.unscoped("bench").filter(path__startswith="9").count()
        n = Area.objects.unscoped("bench").filter(level=Level.CITY, path__startswith="9").count()
        city_path = f"{9000 + n}"
        chain = [Area.objects.create(path=city_path, code=city_path, name=f"基准市{tag}", level=1)]
        widths = {2: 6, 3: 9, 4: 12, 5: 15, 6: 18, 7: 20}
        for level, width in widths.items():
            parent = chain[-1]
            path = parent.path + "1".zfill(width - len(parent.path))
            chain.append(
                Area.objects.create(
                    path=path,
                    code=path,
                    name=f"{tag}{level}",
                    level=level,
                    parent=parent,
                )
            )
    bench = SystemActor(ACTOR_NAME)
    household = people.create_household(bench, unit=chain[-1], number="101")
    import datetime as dt

    resident = people.register_resident(
        bench,
        household=household,
        name="热点居民",
        id_number=idcard.build("110101", dt.date(1980, 1, 1), 10 + n),
    )
    services.fund_pool(bench, chain[3], 10_000_000, key=f"bench-fund-{city_path}")
    merchant = services.create_merchant(bench, name="基准商户", kind=MerchantKind.SHOP, area=chain[3])
    scenario = services.save_scenario(
        bench, area=chain[0], code="bench", name="基准兑换", category="基准", price=1, merchant_kinds=["shop"]
    )
    return resident, merchant, scenario


def give(resident, points: int, key: str) -> None:
    from gridgov.core.actors import SystemActor
    from gridgov.points import services

    services.transfer(
        SystemActor(ACTOR_NAME),
        services.earning_pool(resident.area_path),
        services.resident_account(resident),
        points,
        key=key,
    )


def naive_redeem(resident, merchant, scenario, key: str) -> bool:
    """Read-modify-write through the ORM: no lock, no conditional update."""
    from django.db import transaction

    from gridgov.core import audit
    from gridgov.core.actors import SystemActor
    from gridgov.points import services
    from gridgov.points.models import Account, Entry, Redemption, Transaction, TxKind

    with transaction.atomic():
        acc = Account.objects.unscoped("bench naive").get(owner_kind="resident", owner_id=resident.pk)
        shop = Account.objects.unscoped("bench naive").get(owner_kind="merchant", owner_id=merchant.pk)
        if acc.main_balance < scenario.price:
            return False
        tx = Transaction.objects.create(
            idempotency_key=key, payload_hash="", kind=TxKind.REDEEM, area_path=resident.area_path
        )
        Entry.objects.bulk_create(
            [
                Entry(transaction=tx, account=acc, amount=-scenario.price, area_path=acc.area_path),
                Entry(transaction=tx, account=shop, amount=scenario.price, area_path=shop.area_path),
            ]
        )
        r = Redemption.objects.create(
            transaction=tx,
            resident=resident,
            scenario=scenario,
            merchant=merchant,
            quantity=1,
            points=scenario.price,
            month=services.month_of(tx.created_at.date()),
            area_path=resident.area_path,
            merchant_path=merchant.area_path,
        )
        audit.record(SystemActor(ACTOR_NAME), "points.redeem", r)
        acc.main_balance -= scenario.price
        acc.save(update_fields=["main_balance"])
        shop.main_balance += scenario.price
        shop.save(update_fields=["main_balance"])
    return True


def warm_up() -> None:
    """Open the client's connection (and on PostgreSQL compile the posting functions) before the clock runs,
    as a long-running web worker has them."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT gridgov_points_post('{}'::bigint[], '{}'::bigint[], '{}'::bigint[], '{}'::date[], now()),"
                " (SELECT count(*) FROM gridgov_points_redeem_context('{}', '{}', '{}', '{}'))"
            )
        else:
            cursor.execute("SELECT 1")


def _instrument():
    """--phases: time the steps of every batch this worker process serves (ours only)."""
    import threading
    from collections import defaultdict

    from django.db import connections

    from gridgov.points.services import redemption as r

    spent: dict[str, float] = defaultdict(float)
    seen: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    def add(name: str, seconds: float, n: int = 1) -> None:
        with lock:
            spent[name] += seconds
            seen[name] += n

    def timed(name, fn, classify=None):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                add(classify(*args) if classify else name, time.perf_counter() - start)

        return wrapper

    def run_kind(sql) -> str:
        text = " ".join(t for t, _p in sql)
        if "INSERT INTO points_transaction" in text:
            return "claim (BEGIN + keys, locks, limits)"
        if "gridgov_points_post" in text or "DELETE FROM points_transaction" in text:
            return "write (rows + gridgov_points_post)"
        return "slow pass / taken keys"

    def serve(requests):
        add("requests", 0.0, len(requests))
        return timed("batch, total", process)(requests)

    process = r._batcher._process
    r._batcher._process = serve
    for name, label in (
        ("_prepare_redemption", "validation (Python)"),
        ("_post_batch", "transaction, without COMMIT"),
        ("_decide", "decisions (Python)"),
        ("_audit_columns", "audit JSON (Python)"),
    ):
        if hasattr(r, name):  # (so the same wrapper times an older version of the path too)
            setattr(r, name, timed(label, getattr(r, name)))
    if hasattr(r, "_run"):
        r._run = timed("", r._run, classify=run_kind)
    wrapper_class = type(connections["default"])
    wrapper_class.commit = timed("COMMIT", wrapper_class.commit)

    def report(wid: int) -> None:
        batches = seen["batch, total"] or 1
        size = seen["requests"] / batches
        parts = ", ".join(
            f"{name} {1000 * spent[name] / batches:.2f}"
            for name in sorted(spent, key=lambda n: -spent[n])
            if name not in ("requests",)
        )
        print(f"ours : worker {wid}: {batches} batches of {size:.1f} requests; ms per batch: {parts}")

    return report


def _worker(wid: int, threads: int, label: str, per_client: int, work, barrier, results) -> None:
    """One worker process (a web server's worker) with `threads` clients, each on its own connection."""
    import threading

    from django.db import connection

    report = _instrument() if PHASES and label == "ours" else None
    counts = [[0, 0, ""] for _ in range(threads)]

    def client(t: int) -> None:
        try:
            warm_up()
            warmed.wait()
            ready.wait()
            for i in range(per_client):
                if work(f"{label}-{wid}-{t}-{i}-{time.time_ns()}"):
                    counts[t][0] += 1
                else:
                    counts[t][1] += 1
        except BaseException as exc:  # reported by the parent
            counts[t][2] = repr(exc)
        finally:
            connection.close()

    ready = threading.Event()
    warmed = threading.Barrier(threads + 1)
    pool = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    warmed.wait()  # this worker's clients have their connections open and the functions compiled
    barrier.wait()  # so have every other worker's
    ready.set()
    for th in pool:
        th.join()
    if report is not None:
        report(wid)
    results.put(
        (sum(c[0] for c in counts), sum(c[1] for c in counts), next((c[2] for c in counts if c[2]), ""))
    )


def run(label: str, clients: int, processes: int, per_client: int, work) -> tuple[int, int, float]:
    """`clients` concurrent clients as threads of `processes` worker processes, started together."""
    from django.db import connections

    connections.close_all()  # a forked child must open its own connections
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    threads = clients // processes
    procs = [
        ctx.Process(target=_worker, args=(w, threads, label, per_client, work, barrier, results))
        for w in range(processes)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    outcomes = [results.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    errors = [e for _, _, e in outcomes if e]
    if errors:
        raise SystemExit(f"{label}: client failed: {errors[0]}")
    return sum(o for o, _, _ in outcomes), sum(r for _, r, _ in outcomes), elapsed


def violations(resident, merchant, initial: int, succeeded: int) -> dict[str, int]:
    from gridgov.points import ledger, services

    acc = services.resident_account(resident)
    shop = services.merchant_account(merchant)
    return {
        "lost_updates": abs(acc.balance - ledger.balance_from_entries(acc))
        + abs(shop.balance - ledger.balance_from_entries(shop)),
        "double_spends": max(0, succeeded - initial),
        "negative": int(ledger.balance_from_entries(acc) < 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--per-client", type=int, default=300)
    parser.add_argument("--processes", type=int, default=2, help="worker processes the clients run in")
    parser.add_argument("--slots", type=int, default=16, help="slots the hot accounts are split into (ours)")
    parser.add_argument("--phases", action="store_true", help="time the steps of our batches (see above)")
    args = parser.parse_args()
    global PHASES
    PHASES = args.phases
    ensure_database()
    setup_django()
    from gridgov.core.actors import SystemActor
    from gridgov.core.services import ServiceError
    from gridgov.points import ledger, services

    bench = SystemActor(ACTOR_NAME)

    attempts = args.clients * args.per_client
    initial = attempts - attempts // 10  # 10% of the attempts must be refused
    results = {}
    for label in ("ours", "naive"):
        resident, merchant, scenario = build_world(label)
        give(resident, initial, f"bench-give-{label}-{time.time_ns()}")
        if label == "ours":  # the operator splits the hot accounts (热点账户拆分)
            ledger.split_account(services.resident_account(resident), args.slots)
            ledger.split_account(services.merchant_account(merchant), args.slots)

        if label == "ours":

            def work(key, resident=resident, merchant=merchant, scenario=scenario):
                try:
                    services.redeem(bench, merchant=merchant, scenario=scenario, resident=resident, key=key)
                    return True
                except ServiceError:
                    return False
        else:

            def work(key, resident=resident, merchant=merchant, scenario=scenario):
                return naive_redeem(resident, merchant, scenario, key)

        succeeded, refused, elapsed = run(label, args.clients, args.processes, args.per_client, work)
        bad = violations(resident, merchant, initial, succeeded)
        results[label] = succeeded / elapsed
        print(
            f"{label:5}: {succeeded} redeemed, {refused} refused in {elapsed:.2f}s = {succeeded / elapsed:,.0f}/s; "
            f"balance allowed {initial}; lost updates {bad['lost_updates']}, double spends {bad['double_spends']}, "
            f"negative {bad['negative']}"
        )
        if label == "ours":
            # The whole ledger (every account and transaction so far), not only the hot account.
            problems = ledger.check_invariants()
            print(f"ours : ledger check over every account and transaction: {len(problems)} problems")
            if problems or any(bad.values()):
                raise SystemExit(f"invariant violated on our path: {problems[:3]} {bad}")
    print(f"ratio: {results['ours'] / results['naive']:.2f}")


if __name__ == "__main__":
    main()
