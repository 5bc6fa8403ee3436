"""Resident counts for every street, community and grid of the scale-1.0 city.

Bulk (the headline):
ours : the subtree mechanism — one grouped range scan over residents' area paths (covering index
       on (is_active, area_path)), summed up from grid to community to street by path prefix.
peer : a recursive parent walk — one recursive CTE that climbs from each unit through its parents
       to every ancestor, joined to households and residents and grouped by ancestor.

Per node (reported too): a sample of 20 streets, communities and grids each, asked for one at a time, as the drill-down page
does — a range count on the path index vs a recursive descent through parent ids.

Both run in the same process against the same database, alternately, and must give identical counts.
Runs on SQLite and on PostgreSQL (127.0.0.1:5432); generates the city first when the database is
empty (a few minutes). Last line: `ratio: N`, the smaller of the two backends' median ratios.

    python bench/rollup.py [--scale 1.0] [--backends sqlite,postgres] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# One area's count, as the drill-down page asks for it: a range count on the path index (ours) vs
# a recursive descent from the area through `parent_id` (peer).
NODE_OURS_SQL = "SELECT count(*) FROM people_resident WHERE area_path >= %s AND area_path < %s AND is_active"
NODE_PEER_SQL = """
WITH RECURSIVE sub(id) AS (
    SELECT CAST(%s AS bigint)
    UNION ALL
    SELECT a.id FROM areas_area a JOIN sub ON a.parent_id = sub.id
)
SELECT count(*) FROM sub
JOIN people_household h ON h.unit_id = sub.id
JOIN people_resident r ON r.household_id = h.id
WHERE r.is_active
"""

NODE_SAMPLE = 20  # per level

PEER_SQL = """
WITH RECURSIVE walk(unit_id, ancestor_id, ancestor_level) AS (
    SELECT id, parent_id, level - 1 FROM areas_area WHERE level = 7
    UNION ALL
    SELECT walk.unit_id, a.parent_id, a.level - 1
    FROM walk JOIN areas_area a ON a.id = walk.ancestor_id
    WHERE a.level > 3
)
SELECT walk.ancestor_id, count(*)
FROM walk
JOIN people_household h ON h.unit_id = walk.unit_id
JOIN people_resident r ON r.household_id = h.id
WHERE r.is_active AND walk.ancestor_level BETWEEN 3 AND 5
GROUP BY walk.ancestor_id
"""


def child(scale: float, seed: int, runs: int) -> None:
    """Runs inside a process whose DATABASE_URL names the backend; prints one JSON line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gridgov.areas.models import PATH_LENGTH, Area, Level
    from gridgov.core import indicators

    call_command("migrate", verbosity=0)
    if not Area.objects.unscoped("benchmark").exists():
        print(f"generating the scale-{scale} city on {connection.vendor} …", file=sys.stderr)
        call_command("generate_city", scale=scale, seed=seed)
    city = Area.objects.unscoped("benchmark").get(level=Level.CITY)
    lengths = [PATH_LENGTH[Level.STREET], PATH_LENGTH[Level.COMMUNITY], PATH_LENGTH[Level.GRID]]
    residents = indicators.get("residents")
    id_by_path = dict(
        Area.objects.unscoped("benchmark")
        .filter(level__in=[3, 4, 5], is_active=True)
        .values_list("path", "id")
    )

    def ours() -> dict[int, int]:
        rolled = indicators.rollup(residents, city.path, lengths)
        return {id_by_path[p]: n for per_level in rolled.values() for p, n in per_level.items()}

    def peer() -> dict[int, int]:
        with connection.cursor() as cur:
            cur.execute(PEER_SQL)
            return {int(k): int(v) for k, v in cur.fetchall()}

    ours_result, peer_result = ours(), peer()  # warm both, and check they agree
    if ours_result != peer_result:
        raise SystemExit(f"results differ: {len(ours_result)} vs {len(peer_result)} areas")
    # Per node: a stratified sample of streets, communities and grids, each asked for on its own.
    sample_rng = __import__("random").Random(seed)
    by_level: dict[int, list[tuple[str, int]]] = {}
    for path, pk in sorted(id_by_path.items()):
        by_level.setdefault(len(path), []).append((path, pk))
    nodes = [n for group in by_level.values() for n in sample_rng.sample(group, min(NODE_SAMPLE, len(group)))]
    node_ours_t, node_peer_t = [], []
    with connection.cursor() as cur:
        for path, pk in nodes:
            t = time.perf_counter()
            cur.execute(NODE_OURS_SQL, [path, path + ":"])
            ours_n = cur.fetchone()[0]
            node_ours_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            cur.execute(NODE_PEER_SQL, [pk])
            peer_n = cur.fetchone()[0]
            node_peer_t.append(time.perf_counter() - t)
            if not ours_n == peer_n == ours_result[pk]:
                raise SystemExit(f"per-node counts differ at {path}")

    ours_t, peer_t = [], []
    for _ in range(runs):
        t = time.perf_counter()
        ours()
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        peer()
        peer_t.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "backend": connection.vendor,
                "areas": len(ours_result),
                "residents": sum(
                    v for k, v in ours_result.items() if len(Area.objects.unscoped("b").get(pk=k).path) == 9
                ),
                "ours": statistics.median(ours_t),
                "peer": statistics.median(peer_t),
                "ratios": [p / o for o, p in zip(ours_t, peer_t, strict=True)],
                "node_count": len(nodes),
                "node_ours": statistics.median(node_ours_t),
                "node_peer": statistics.median(node_peer_t),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.scale, args.seed, args.runs)
        return
    urls = {
        "sqlite": f"sqlite:///{ROOT / 'var' / f'bench-city-{args.scale}-{args.seed}.sqlite3'}",
        "postgres": os.environ.get(
            "BENCH_POSTGRES_URL",
            f"postgres://postgres@127.0.0.1:5432/gridgov_bench_{str(args.scale).replace('.', '_')}",
        ),
    }
    results = []
    for backend in args.backends.split(","):
        url = urls[backend]
        if backend == "postgres":
            _ensure_pg_database(url)
        env = {**os.environ, "DATABASE_URL": url}
        env.pop("REDIS_URL", None)
        out = (
            subprocess.run(  # noqa: S603 - our own script, our own arguments
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--scale",
                    str(args.scale),
                    "--seed",
                    str(args.seed),
                    "--runs",
                    str(args.runs),
                ],
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        results.append(r)
        print(
            f"{r['backend']:<10} {r['areas']} areas, {r['residents']} residents: "
            f"subtree rollup {r['ours'] * 1000:.0f} ms, recursive parent walk {r['peer'] * 1000:.0f} ms, "
            f"median ratio {statistics.median(r['ratios']):.1f}x"
        )
        print(
            f"{'':<10} one node at a time ({r['node_count']} sampled areas, median per query): range count "
            f"{r['node_ours'] * 1000:.2f} ms, recursive descent {r['node_peer'] * 1000:.1f} ms, "
            f"ratio {r['node_peer'] / r['node_ours']:.0f}x"
        )
    # The headline is the bulk comparison, the peer's strongest form, on the slower backend.
    print(f"ratio: {min(statistics.median(r['ratios']) for r in results):.1f}")


def _ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
