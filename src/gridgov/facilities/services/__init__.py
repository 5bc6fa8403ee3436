"""Writes about positions, candidate rooms and walking networks, and the circle's (derived) cache.

Every write is one transaction with its audit row. A facility's location must lie inside an area the
actor may see (its polygon, or the nearest ancestor's polygon); negative areas, unknown kinds and
services, and locations outside every area are refused with a Chinese message and nothing is written.

- `validation` shared by forms, API and import, and where a position is registered (`resolve_location`)
- `registry`   positions and candidate rooms: create, change, close/reopen, photos, xlsx import
- `network`    importing a city's walking network (the engine itself is `facilities/network.py`)
- `recompute`  marking the circle's cache stale and scheduling its rebuild (tasks.py)

The circle's computation is `facilities/coverage.py` (tasks.py imports it, and it imports neither the
services nor the tasks). Its public names are re-exported here, as before the split, so
`services.compute_coverage` and the like keep working.
"""

from ..coverage import (
    BUILDING_LENGTH,
    CITY_LENGTH,
    CircleInputs,
    CircleResult,
    active_network,
    circle_inputs,
    compute_coverage,
    load_graph,
    walk_metres,
    walk_times,
)
from .network import NetworkCheck, check_network, import_network
from .recompute import invalidate_coverage, start_recompute_job
from .registry import (
    EDITABLE,
    PHOTO_MAX_BYTES,
    PHOTO_TYPES,
    add_photo,
    close_facility,
    create_candidate,
    create_facility,
    history,
    import_facilities,
    reopen_facility,
    set_candidate_available,
    set_facility_active,
    update_candidate,
    update_facility,
)
from .validation import (
    HOST_BY_LABEL,
    KIND_BY_LABEL,
    SERVICE_BY_LABEL,
    clean_coordinate,
    clean_floor_area,
    clean_host_type,
    clean_kind,
    clean_name,
    clean_services,
    resolve_location,
)

__all__ = [
    "BUILDING_LENGTH",
    "CITY_LENGTH",
    "EDITABLE",
    "HOST_BY_LABEL",
    "KIND_BY_LABEL",
    "PHOTO_MAX_BYTES",
    "PHOTO_TYPES",
    "SERVICE_BY_LABEL",
    "CircleInputs",
    "CircleResult",
    "NetworkCheck",
    "active_network",
    "add_photo",
    "check_network",
    "circle_inputs",
    "clean_coordinate",
    "clean_floor_area",
    "clean_host_type",
    "clean_kind",
    "clean_name",
    "clean_services",
    "close_facility",
    "compute_coverage",
    "create_candidate",
    "create_facility",
    "history",
    "import_facilities",
    "import_network",
    "invalidate_coverage",
    "load_graph",
    "reopen_facility",
    "resolve_location",
    "set_candidate_available",
    "set_facility_active",
    "start_recompute_job",
    "update_candidate",
    "update_facility",
    "walk_metres",
    "walk_times",
]
