"""Synthetic city: a walking network, positions and candidate rooms, then the 10-minute circle.

The network is a jittered lattice of streets every ~160 m over the whole city rectangle (areas/demo.py
lays districts, streets, communities and grids out in the same plane), with a few blocks merged (edges
dropped) and diagonal footpaths across some blocks; pieces left disconnected are removed, so it
imports cleanly. At scale 1.0: one centre per community (about one in ten below 30 m² per 100
households) and per street, 902 red stations in compounds, 386 outdoor-worker stations, 150 squares
and 1,500 idle/merchant/property rooms as siting candidates.
"""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
from django.db import transaction

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import indicators as core_indicators
from gridgov.core.actors import SystemActor
from gridgov.demo.context import AreaStub, CityContext
from gridgov.demo.registry import step

from . import network as nw
from .models import (
    BuildingAccess,
    CandidateSite,
    Facility,
    FacilityKind,
    HostType,
    NetworkSegment,
    Service,
    WalkNetwork,
)

SPACING_M = 160.0
JITTER_M = 18.0
DROP_SHARE = 0.06
DIAGONAL_SHARE = 0.08
BELOW_STANDARD_SHARE = 0.1
PER_100 = 30.0

MERCHANTS = [
    "便民超市",
    "爱心药店",
    "社区菜店",
    "快递驿站",
    "理发店",
    "早餐店",
    "五金店",
    "书店",
    "茶馆",
    "洗衣店",
]
PROPERTIES = ["安居物业", "和美物业", "万家物业", "惠民物业", "红枫物业", "锦程物业"]
SERVICES = {
    FacilityKind.SERVICE_CENTRE: [
        Service.MEETING,
        Service.ACTIVITY,
        Service.AFFAIRS,
        Service.READING,
        Service.WATER,
        Service.TOILET,
        Service.REST,
    ],
    FacilityKind.RED_STATION: [
        Service.TOOLS,
        Service.MEETING,
        Service.ACTIVITY,
        Service.WATER,
        Service.MEDICINE,
    ],
    FacilityKind.OUTDOOR_STATION: [
        Service.REST,
        Service.WATER,
        Service.CHARGING,
        Service.MEAL,
        Service.TOILET,
        Service.MEDICINE,
    ],
    FacilityKind.SQUARE: [Service.ACTIVITY],
}
HOURS = {
    FacilityKind.SERVICE_CENTRE: ["周一至周日 8:30-20:00", "周一至周六 8:30-18:00"],
    FacilityKind.RED_STATION: ["每日 9:00-21:00", "每日 8:00-20:00"],
    FacilityKind.OUTDOOR_STATION: ["全天 24 小时", "每日 7:00-22:00"],
    FacilityKind.SQUARE: ["全天开放"],
}


def synthetic_network(
    box: tuple[float, float, float, float], rng: random.Random, spacing: float = SPACING_M
) -> tuple[np.ndarray, list[str]]:
    """Segments (m, 4) and their kinds for a jittered street lattice with footpaths, fully connected."""
    minx, miny, maxx, maxy = box
    cols = max(2, round((maxx - minx) / spacing) + 1)
    rows = max(2, round((maxy - miny) / spacing) + 1)
    gen = np.random.default_rng(rng.randrange(2**32))
    xs = np.linspace(minx, maxx, cols)
    ys = np.linspace(miny, maxy, rows)
    px = np.repeat(xs[None, :], rows, axis=0) + gen.uniform(-JITTER_M, JITTER_M, (rows, cols))
    py = np.repeat(ys[:, None], cols, axis=1) + gen.uniform(-JITTER_M, JITTER_M, (rows, cols))
    px[:, 0], px[:, -1], py[0, :], py[-1, :] = minx, maxx, miny, maxy  # the edge of the city stays straight
    px, py = np.clip(px, minx, maxx), np.clip(py, miny, maxy)

    segments: list[tuple[float, float, float, float]] = []
    kinds: list[str] = []

    def add(r1: int, c1: int, r2: int, c2: int, kind: str) -> None:
        segments.append((float(px[r1, c1]), float(py[r1, c1]), float(px[r2, c2]), float(py[r2, c2])))
        kinds.append(kind)

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                border = r in (0, rows - 1)
                if border or gen.random() >= DROP_SHARE:
                    add(r, c, r, c + 1, "primary" if r % 5 == 0 else "residential")
            if r + 1 < rows:
                border = c in (0, cols - 1)
                if border or gen.random() >= DROP_SHARE:
                    add(r, c, r + 1, c, "primary" if c % 5 == 0 else "residential")
            if r + 1 < rows and c + 1 < cols and gen.random() < DIAGONAL_SHARE:
                if gen.random() < 0.5:
                    add(r, c, r + 1, c + 1, "footway")
                else:
                    add(r, c + 1, r + 1, c, "footway")
    arr = np.asarray(segments, dtype=float)
    main, _fragments = nw.split_components(arr)
    return arr[main], [k for k, keep in zip(kinds, main, strict=True) if keep]


def _point_in(
    box: tuple[float, float, float, float], rng: random.Random, inset: float = 0.1
) -> tuple[float, float]:
    minx, miny, maxx, maxy = box
    w, h = maxx - minx, maxy - miny
    return (
        round(rng.uniform(minx + w * inset, maxx - w * inset), 1),
        round(rng.uniform(miny + h * inset, maxy - h * inset), 1),
    )


def _services(kind: str, rng: random.Random) -> list[str]:
    choices = SERVICES[FacilityKind(kind)]
    keep = [s for s in choices if rng.random() < 0.75] or [choices[0]]
    return [str(s) for s in keep]


def _facility(
    kind: str, name: str, stub: AreaStub, x: float, y: float, rng: random.Random, **extra
) -> Facility:
    return Facility(
        kind=kind,
        name=name,
        area_id=stub.id,
        area_path=stub.path,
        x=x,
        y=y,
        services=_services(kind, rng),
        opening_hours=rng.choice(HOURS[FacilityKind(kind)]),
        contact_phone=f"0{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}",
        **extra,
    )


@step(order=60, name="红色阵地与步行路网")
def generate_facilities(ctx: CityContext) -> str:
    rng = ctx.fork("facilities")
    city = ctx.areas[Level.CITY][0]
    communities = ctx.areas[Level.COMMUNITY]
    streets = ctx.areas[Level.STREET]
    grids = ctx.areas[Level.GRID]
    buildings = ctx.areas[Level.BUILDING]
    name_of = {a.path: a.name for level in (Level.STREET, Level.COMMUNITY) for a in ctx.areas[level]}
    community_len = PATH_LENGTH[Level.COMMUNITY]
    street_len = PATH_LENGTH[Level.STREET]

    segments, kinds = synthetic_network(city.bbox, rng)
    households = core_indicators.rollup(core_indicators.get("households"), city.path, [community_len])[
        community_len
    ]

    facilities: list[Facility] = []
    # Community centres: area from the community's households, about one in ten below the standard.
    below = set(rng.sample(range(len(communities)), max(1, round(len(communities) * BELOW_STANDARD_SHARE))))
    for i, community in enumerate(communities):
        n = households.get(community.path, 0) or 15 * 40
        required = n * PER_100 / 100
        factor = rng.uniform(0.5, 0.95) if i in below else rng.uniform(1.05, 2.2)
        floor = (
            max(round(required * factor / 10) * 10, 10)
            if i in below
            else max(200, round(required * factor / 10) * 10)
        )
        x, y = _point_in(community.bbox, rng, inset=0.3)
        facilities.append(
            _facility(
                FacilityKind.SERVICE_CENTRE,
                f"{community.name}党群服务中心",
                community,
                x,
                y,
                rng,
                floor_area=Decimal(floor),
                host_type=HostType.PUBLIC,
                host_name=f"{community.name}党委",
                unified_sign=True,
                shared_use=rng.random() < 0.7,
                shared_with="辖区共建单位" if rng.random() < 0.5 else "",
                address=f"{name_of[community.path[:street_len]]}{community.name}",
            )
        )
    for street in streets:
        x, y = _point_in(street.bbox, rng, inset=0.35)
        facilities.append(
            _facility(
                FacilityKind.SERVICE_CENTRE,
                f"{street.name}党群服务中心",
                street,
                x,
                y,
                rng,
                floor_area=Decimal(rng.randrange(800, 2600, 50)),
                host_type=HostType.PUBLIC,
                host_name=f"{street.name}党工委",
                unified_sign=True,
                shared_use=True,
                shared_with="区直部门、驻街单位",
                address=street.name,
            )
        )
    # Red stations in compounds (楼院), hosted in property, idle or merchant rooms.
    station_buildings = rng.sample(buildings, min(len(buildings), ctx.scaled(902)))
    for b in station_buildings:
        host = rng.choices([HostType.PROPERTY, HostType.IDLE, HostType.MERCHANT], weights=(5, 3, 2))[0]
        host_name = {
            HostType.PROPERTY: rng.choice(PROPERTIES),
            HostType.IDLE: "闲置用房",
            HostType.MERCHANT: rng.choice(MERCHANTS),
        }[host]
        x, y = _point_in(b.bbox, rng)
        community_name = name_of[b.path[:community_len]]
        facilities.append(
            _facility(
                FacilityKind.RED_STATION,
                f"{community_name}{b.name}红色驿站",
                b,
                x,
                y,
                rng,
                floor_area=Decimal(rng.randrange(20, 120, 5)),
                host_type=host,
                host_name=host_name,
                unified_sign=rng.random() < 0.8,
                address=f"{community_name}{b.name}",
            )
        )
    # Outdoor-worker stations along the streets of busy grids; squares in communities.
    for n, grid in enumerate(rng.sample(grids, min(len(grids), ctx.scaled(386))), start=1):
        x, y = _point_in(grid.bbox, rng, inset=0.05)
        street_name = name_of[grid.path[:street_len]]
        facilities.append(
            _facility(
                FacilityKind.OUTDOOR_STATION,
                f"{street_name}户外劳动者驿站{n}",
                grid,
                x,
                y,
                rng,
                floor_area=Decimal(rng.randrange(15, 80, 5)),
                host_type=rng.choice([HostType.PUBLIC, HostType.MERCHANT, HostType.OTHER]),
                host_name=rng.choice(["城市驿站", "爱心商户", "环卫工作站", "社区党群服务站"]),
                unified_sign=rng.random() < 0.9,
                shared_use=True,
                shared_with="快递员、外卖员、网约车司机、环卫工人",
                address=grid.name,
            )
        )
    for community in rng.sample(communities, min(len(communities), ctx.scaled(150))):
        x, y = _point_in(community.bbox, rng, inset=0.2)
        facilities.append(
            _facility(
                FacilityKind.SQUARE,
                f"{community.name}党建广场",
                community,
                x,
                y,
                rng,
                floor_area=Decimal(rng.randrange(400, 3000, 100)),
                host_type=HostType.OUTDOOR,
                host_name=f"{community.name}党委",
                unified_sign=True,
                shared_use=True,
            )
        )
    used = {b.path for b in station_buildings}
    free = [b for b in buildings if b.path not in used]
    candidates = []
    for n, b in enumerate(rng.sample(free, min(len(free), ctx.scaled(1500))), start=1):
        room = rng.choices([HostType.IDLE, HostType.MERCHANT, HostType.PROPERTY], weights=(4, 4, 2))[0]
        x, y = _point_in(b.bbox, rng)
        community_name = name_of[b.path[:community_len]]
        candidates.append(
            CandidateSite(
                name=f"{community_name}{b.name}{HostType(room).label}{n}",
                room_type=room,
                area_id=b.id,
                area_path=b.path,
                x=x,
                y=y,
                floor_area=Decimal(rng.randrange(20, 150, 5)),
                host_name=rng.choice(MERCHANTS) if room == HostType.MERCHANT else "",
                address=f"{community_name}{b.name}",
            )
        )
    with transaction.atomic():
        network = WalkNetwork.objects.create(
            area_id=city.id,
            area_path=city.path,
            name="合成路网(规则街网加步行小路)",
            segments=len(segments),
        )
        graph = nw.build_graph(segments)
        WalkNetwork.objects.for_generator().filter(pk=network.pk).update(
            nodes=graph.nodes, edges=graph.edges, length_km=round(graph.length_m / 1000, 2)
        )
        NetworkSegment.objects.bulk_create(
            (
                NetworkSegment(network=network, x1=s[0], y1=s[1], x2=s[2], y2=s[3], kind=k)
                for s, k in zip(segments.tolist(), kinds, strict=True)
            ),
            batch_size=5000,
        )
        Facility.objects.bulk_create(facilities, batch_size=2000)
        CandidateSite.objects.bulk_create(candidates, batch_size=2000)

    from .coverage import compute_coverage

    run = compute_coverage(city.path, actor=SystemActor("demo.facilities"))
    counts = {k: sum(1 for f in facilities if f.kind == k) for k in FacilityKind.values}
    ctx.summary.update({f"facilities_{k}": v for k, v in counts.items()})
    covered = BuildingAccess.objects.for_generator().filter(minutes_any__lte=run.minutes).count()
    return (
        f"路网 {len(segments)} 段 {graph.length_m / 1000:.0f} 公里, "
        f"中心 {counts[FacilityKind.SERVICE_CENTRE]}, 红色驿站 {counts[FacilityKind.RED_STATION]}, "
        f"户外驿站 {counts[FacilityKind.OUTDOOR_STATION]}, 广场 {counts[FacilityKind.SQUARE]}, "
        f"备选用房 {len(candidates)}, 10 分钟覆盖楼院 {covered}/{run.buildings}(计算 {run.seconds:.1f}s)"
    )


def context_from_db(scale: float = 1.0, seed: int = 7) -> CityContext:
    """A CityContext rebuilt from an existing city's areas (for running this step on its own)."""
    import io

    from .location import bbox

    ctx = CityContext(scale=scale, seed=seed, stdout=io.StringIO(), quiet=True)
    rows = Area.objects.for_generator().filter(level__lte=Level.BUILDING).order_by("path")
    for a in rows.iterator(chunk_size=5000):
        x, y = a.x or 0.0, a.y or 0.0
        box = bbox(a.geometry) or (x - 10, y - 10, x + 10, y + 10)
        if a.level == Level.BUILDING:
            half = 15.0
            box = (x - half, y - half, x + half, y + half)
        ctx.areas.setdefault(a.level, []).append(
            AreaStub(a.pk, a.level, a.path, a.code, a.name, a.parent_id, x, y, box)
        )
    return ctx
