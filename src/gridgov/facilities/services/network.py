"""Importing a city's walking network (all or nothing; the engine is gridgov.facilities.network)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.models import Area, Level
from gridgov.core import audit
from gridgov.core.actors import SystemActor, as_user
from gridgov.core.scope import check_reach, subtree_q
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.signals import imports_records

from .. import network as nw
from ..coverage import CITY_LENGTH
from ..models import NetworkSegment, WalkNetwork
from .recompute import invalidate_coverage

if TYPE_CHECKING:
    from gridgov.accounts.models import User


@dataclass
class NetworkCheck:
    segments: np.ndarray
    kinds: list[str]
    graph: nw.Graph
    fragments: list[nw.Fragment]
    warnings: list[str]


def _city_of(area: Area) -> Area:
    if area.level == Level.CITY:
        return area
    return Area.objects.unscoped("the city above an area the caller already reached").get(
        path=area.path[:CITY_LENGTH]
    )


def _city_extent(city: Area) -> tuple[float, float, float, float] | None:
    from ..location import bbox

    box = bbox(city.geometry)
    if box is not None:
        return box
    rows = Area.objects.unscoped("a city's extent from every area point in it; only the box leaves").filter(
        subtree_q("path", city.path), x__isnull=False, y__isnull=False
    )
    xs = list(rows.values_list("x", "y"))
    if not xs:
        return None
    arr = np.asarray(xs, dtype=float)
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 0].max()), float(arr[:, 1].max())


def check_network(data: bytes | str | dict, city: Area, drop_fragments: bool = False) -> NetworkCheck:
    """Parse and validate a network file; raises ImportRejected listing every problem."""
    if isinstance(data, bytes | str):
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise ImportRejected([RowError(0, _("文件不是有效的 JSON(GeoJSON)"))]) from None
    else:
        parsed = data
    try:
        segments, kinds = nw.segments_from_geojson(parsed)
    except nw.NetworkError as exc:
        raise ImportRejected([RowError(0, _translate_network_problem(p)) for p in exc.problems]) from None
    warnings: list[str] = []
    xs, ys = segments[:, [0, 2]], segments[:, [1, 3]]
    if (
        np.abs(xs).max() <= 180
        and np.abs(ys).max() <= 90
        and xs.max() - xs.min() < 5
        and ys.max() - ys.min() < 5
    ):
        raise ImportRejected([RowError(0, _("坐标看起来是经纬度:请先把经纬度投影到本市平面坐标(米)"))])
    extent = _city_extent(city)
    if extent is not None:
        minx, miny, maxx, maxy = extent
        margin = 1000.0
        inside = (xs >= minx - margin) & (xs <= maxx + margin) & (ys >= miny - margin) & (ys <= maxy + margin)
        if not inside.any():
            raise ImportRejected(
                [
                    RowError(
                        0,
                        _(
                            "路网坐标与“%(c)s”的范围(X %(x0).0f–%(x1).0f,Y %(y0).0f–%(y1).0f 米)不重叠:"
                            "请先把经纬度投影到本市平面坐标(米)"
                        )
                        % {"c": city.name, "x0": minx, "x1": maxx, "y0": miny, "y1": maxy},
                    )
                ]
            )
    tolerance = settings.GRIDGOV_NETWORK_TOLERANCE_M
    main, fragments = nw.split_components(segments, tolerance)
    if fragments:
        if not drop_fragments:
            errors = [
                RowError(
                    0,
                    _("路网有 %(n)d 处与主路网不连通的碎片,未导入任何数据;请连接或删除它们,或选择“丢弃碎片”")
                    % {"n": len(fragments)},
                )
            ]
            errors += [
                RowError(
                    0,
                    _("碎片:%(s)d 条线段,长 %(l).0f 米,起点约 (%(x).0f, %(y).0f)")
                    % {"s": f.segments, "l": f.length_m, "x": f.x, "y": f.y},
                )
                for f in fragments[:20]
            ]
            raise ImportRejected(errors)
        warnings.append(
            _("已丢弃 %(n)d 处与主路网不连通的碎片(共 %(s)d 条线段)")
            % {"n": len(fragments), "s": sum(f.segments for f in fragments)}
        )
        segments = segments[main]
        kinds = [k for k, keep in zip(kinds, main, strict=True) if keep]
    graph = nw.build_graph(segments, tolerance, settings.GRIDGOV_NETWORK_MAX_EDGE_M)
    return NetworkCheck(segments, kinds, graph, fragments, warnings)


def _translate_network_problem(problem: str) -> str:
    # The engine reports in Chinese already; kept as a hook for the English catalogue.
    return problem


@imports_records
@transaction.atomic
def import_network(
    actor: User | SystemActor,
    *,
    area: Area,
    data: bytes | str | dict,
    name: str = "",
    drop_fragments: bool = False,
) -> WalkNetwork:
    """Replace a city's walking network. All or nothing: a bad file changes nothing."""
    check_reach(actor, area.path)
    if area.level != Level.CITY:
        raise ServiceError(_("步行路网按城市导入:请选择市级区域"))
    city = area
    checked = check_network(data, city, drop_fragments=drop_fragments)
    WalkNetwork.objects.unscoped("the city's networks, the city checked above, are all replaced").filter(
        area_path=city.path, is_active=True
    ).update(is_active=False)
    network = WalkNetwork.objects.create(
        area=city,
        area_path=city.path,
        name=(name or "").strip()[:200] or _("步行路网 %(d)s") % {"d": timezone.localdate().isoformat()},
        segments=len(checked.segments),
        nodes=checked.graph.nodes,
        edges=checked.graph.edges,
        length_km=round(checked.graph.length_m / 1000, 2),
        dropped_fragments=len(checked.fragments) if drop_fragments else 0,
        warnings=checked.warnings,
        imported_by=as_user(actor),
    )
    NetworkSegment.objects.bulk_create(
        (
            NetworkSegment(network=network, x1=s[0], y1=s[1], x2=s[2], y2=s[3], kind=k[:32])
            for s, k in zip(checked.segments.tolist(), checked.kinds, strict=True)
        ),
        batch_size=5000,
    )
    audit.record(
        actor,
        "facilities.import_network",
        network,
        after={
            "segments": network.segments,
            "nodes": network.nodes,
            "length_km": network.length_km,
            "dropped_fragments": network.dropped_fragments,
        },
    )
    invalidate_coverage(city.path)
    return network
