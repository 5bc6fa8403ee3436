"""Every registered indicator for every street, community and grid of the generated city.

ours : `reports.services.refresh_snapshots` — one rollup pass per indicator over the whole city (one
       grouped scan by path, folded from grid to community to street; a distinct count grouped once per
       level; a share or ratio divided from its parts' rollups), written as snapshot rows.
peer : the obvious per-area loop — for each area, for each indicator shown at its level, one query
       (`Indicator.value(path)`), as a page that asks area by area would. At full scale that is some
       300,000 queries, so the loop runs over a stratified random sample of areas (`--sample` per level,
       or `--sample 0` for every area) and its time is extrapolated to all areas per level; every sampled
       value must equal the snapshot the refresh wrote.
Also: the nightly refresh (current figures and 12 months of periodic ones), and the cockpit's data endpoint for the city (`/api/reports/cockpit/`, from the snapshots), as the city
administrator, p95 of 50 requests through Django's test client.

The city is the one `bench/rollup.py` uses: `var/bench-city-<scale>-<seed>.sqlite3` on SQLite, database
`gridgov_bench_<scale>` on PostgreSQL (generated on the first run). Last line: `ratio: N`, the loop's
(extrapolated) time over the refresh's.

    python bench/indicators.py [--scale 1.0] [--backend postgres|sqlite] [--sample 40] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def database_url(backend: str, scale: float, seed: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{ROOT / 'var' / f'bench-city-{scale}-{seed}.sqlite3'}"
    return os.environ.get(
        "BENCH_POSTGRES_URL",
        f"postgres://postgres@127.0.0.1:5432/gridgov_bench_{str(scale).replace('.', '_')}",
    )


def ensure_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0]
    exists = subprocess.run(  # noqa: S603 - our own arguments
        ["psql", f"{base}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", f"{base}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)  # noqa: S603,S607


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--sample", type=int, default=40, help="areas per level in the loop (0: all)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    url = database_url(args.backend, args.scale, args.seed)
    if args.backend == "postgres":
        ensure_pg_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("GRIDGOV_SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from gridgov.accounts.models import User
    from gridgov.areas.models import Area, Level
    from gridgov.core import indicators
    from gridgov.core.actors import SystemActor
    from gridgov.reports.models import IndicatorSnapshot
    from gridgov.reports.services import refresh_recent, refresh_snapshots

    call_command("migrate", verbosity=0)
    areas = Area.objects.unscoped("benchmark")
    if not areas.exists():
        print(f"generating the scale-{args.scale} city on {connection.vendor} …", file=sys.stderr)
        call_command("generate_city", scale=args.scale, seed=args.seed, quiet=True)
    actor = SystemActor("bench_indicators")
    levels = [Level.STREET, Level.COMMUNITY, Level.GRID]
    by_level = {
        level: list(areas.filter(level=level, is_active=True).order_by("path").values_list("id", "path"))
        for level in levels
    }
    n_areas = sum(len(v) for v in by_level.values())
    codes = list(indicators.REGISTRY)

    # ours: the full refresh (city and districts too), written.
    refresh_times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        rows = refresh_snapshots(actor)
        refresh_times.append(time.perf_counter() - t)
    ours = statistics.median(refresh_times)
    stored = {
        (a, c): v
        for a, c, v in IndicatorSnapshot.objects.unscoped("benchmark")
        .filter(period="")
        .values_list("area_id", "code", "value")
    }

    # peer: one query per indicator per area, over a sample of each level, extrapolated.
    rng = random.Random(args.seed)
    loop_total = 0.0
    queries = 0
    checked = 0
    for level in levels:
        group = by_level[level]
        sample = group if args.sample == 0 else rng.sample(group, min(args.sample, len(group)))
        shown = indicators.for_level(level)
        t = time.perf_counter()
        values = {pk: {code: indicators.get(code).value(path) for code in shown} for pk, path in sample}
        spent = time.perf_counter() - t
        for pk, figures in values.items():
            for code, value in figures.items():
                snap = stored.get((pk, code))
                same = (value is None and snap is None) or (
                    value is not None and snap is not None and abs(float(value) - snap) < 1e-6
                )
                if not same:
                    raise SystemExit(f"area {pk} {code}: loop {value} ≠ snapshot {snap}")
                checked += 1
        per_area = spent / len(sample)
        loop_total += per_area * len(group)
        queries += len(shown) * len(group)
        print(
            f"loop   level {level}: {len(sample)} of {len(group)} areas, {len(shown)} indicators each, "
            f"{per_area * 1000:.1f} ms per area",
        )

    # What the nightly task runs (the current figures and 12 months of periodic ones, which the cockpit's
    # trends read), then the cockpit's city-level data from those snapshots, as the city administrator
    # asks for it.
    t = time.perf_counter()
    refresh_recent(actor)
    nightly = time.perf_counter() - t
    city = areas.get(level=Level.CITY)
    admin = User.objects.filter(is_superuser=False, area=city, is_active=True).order_by("id").first()
    p95 = None
    if admin is not None:
        client = Client()
        client.force_login(admin)
        endpoint = f"{reverse('report-cockpit-list')}?area={city.pk}"
        assert client.get(endpoint).status_code == 200
        times = []
        for _ in range(50):
            t = time.perf_counter()
            response = client.get(endpoint)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200
        p95 = statistics.quantiles(times, n=20)[18]

    print(
        f"{connection.vendor}: {n_areas} streets, communities and grids, {len(codes)} indicators, "
        f"{rows} snapshot rows"
    )
    print(
        f"ours   refresh_snapshots: median {ours:.2f} s of {args.runs} ({', '.join(f'{t:.2f}' for t in refresh_times)})"
    )
    print(
        f"peer   per-area loop: {loop_total:.1f} s extrapolated ({queries} queries), {checked} values checked"
    )
    print(f"nightly refresh_recent (current + 12 months): {nightly:.1f} s")
    if p95 is not None:
        print(f"cockpit /api/reports/cockpit/ (city): p95 {p95 * 1000:.0f} ms of 50")
    print(f"ratio: {loop_total / ours:.1f}")


if __name__ == "__main__":
    main()
