"""Places: the hierarchical place picker of the report and patrol forms, and full place labels.

The picker is a chain of dependent selects below the reporter's reach (a community user: grid →
building → unit; a street user: community → grid → building → unit), each select's options being the
children of the one chosen above it, labelled by name; a search box finds buildings anywhere in reach
(labelled community · grid · building). It defaults to the reporter's own address: a resident's
household unit, a grid worker's grid. The chosen place is the deepest select with a value (or the
root itself). A value that is not a number, not an area of that level or not below the choice above is
a form error on submit, and is dropped when the chain is only being re-rendered (htmx).

`place_labels(paths)` gives "community · grid · building · unit" for many area paths in one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Role
from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core.scope import OutOfScope

REPORT = "report"
PATROL = "patrol"
PURPOSES = (REPORT, PATROL)
# The shallowest level a place may be, per purpose.
MIN_LEVEL = {REPORT: Level.COMMUNITY, PATROL: Level.GRID}
MAX_OPTIONS = 300
SEARCH_LIMIT = 50
SEP = " · "

PROMPTS: dict[int, object] = {
    Level.DISTRICT: gettext_lazy("请选择区县"),
    Level.STREET: gettext_lazy("请选择街道"),
    Level.COMMUNITY: gettext_lazy("请选择社区"),
    Level.GRID: gettext_lazy("请选择网格"),
    Level.BUILDING: gettext_lazy("整个网格(或选择楼栋)"),
    Level.UNIT: gettext_lazy("整栋楼(或选择单元)"),
}


class PlaceError(ValueError):
    """A place value that is not valid for this user (shown as the picker's form error)."""


def _areas():
    return Area.objects.unscoped("place picker: bounded by the user's root path below")


def root_path(user, purpose: str) -> str:
    """The subtree a user picks places in: a resident's whole community, otherwise the user's area."""
    path = getattr(user, "area_path", "") or ""
    if purpose == REPORT and getattr(user, "role", "") == Role.RESIDENT:
        return path[: PATH_LENGTH[Level.COMMUNITY]]
    return path


# Where a resident login lives, from the apps that know it (points links a login to its resident record
# and registers in its ready()): events imports none of them.
_HOME_PATHS: list[Callable[[Any], str | None]] = []


def register_home_path(func: Callable[[Any], str | None]) -> None:
    """`func(user)` -> the area path of a resident login's home, or None when it does not know."""
    if func not in _HOME_PATHS:
        _HOME_PATHS.append(func)


def default_path(user, purpose: str) -> str:
    """The reporter's own address: a resident's household unit (or their bound area), a grid worker's grid."""
    path = getattr(user, "area_path", "") or ""
    if getattr(user, "role", "") == Role.RESIDENT:
        for home_path in _HOME_PATHS:
            home = home_path(user)
            if home:
                return home
    return path


def place_labels(paths) -> dict[str, str]:
    """{path: "community · grid · building · unit"} (the levels from community down) in one query."""
    wanted: set[str] = set(paths)
    for path in paths:
        for level in (Level.COMMUNITY, Level.GRID, Level.BUILDING, Level.UNIT):
            length = PATH_LENGTH[level]
            if len(path) >= length:
                wanted.add(path[:length])
    names = dict(_areas().filter(path__in=wanted).values_list("path", "name")) if wanted else {}
    result = {}
    for path in paths:
        parts = [
            names[path[:length]]
            for level in (Level.COMMUNITY, Level.GRID, Level.BUILDING, Level.UNIT)
            if len(path) >= (length := PATH_LENGTH[level]) and path[:length] in names
        ]
        result[path] = SEP.join(_short(parts)) if parts else names.get(path, path)
    return result


def _short(parts: list[str]) -> list[str]:
    """Drop a parent's name repeated at the start of its child's ("春晖社区第1网格" → "第1网格")."""
    out = []
    for index, name in enumerate(parts):
        if index and name.startswith(parts[index - 1]) and len(name) > len(parts[index - 1]):
            name = name[len(parts[index - 1]) :]
        out.append(name)
    return out


@dataclass
class PlaceSelect:
    level: int
    name: str
    label: str
    prompt: str
    options: list[tuple[int, str]] = field(default_factory=list)
    selected: int | None = None
    note: str = ""


@dataclass
class PlacePicker:
    purpose: str
    root: Area | None
    selects: list[PlaceSelect]
    chosen: Area | None
    query: str = ""
    searchable: bool = False
    error: str = ""

    @property
    def place_label(self) -> str:
        place = self.place
        return place_labels([place.path])[place.path] if place is not None else ""

    @property
    def place(self) -> Area | None:
        """The chosen place: the deepest chosen area, else the root when it is deep enough."""
        if self.chosen is not None:
            return self.chosen
        if self.root is not None and self.root.level >= MIN_LEVEL[self.purpose]:
            return self.root
        return None


def field_name(level: int) -> str:
    return f"place_{level}"


def build_picker(user, purpose: str, data=None, *, strict: bool = False, trigger: str = "") -> PlacePicker:
    """The picker for `user` from submitted `data` (or the default address when data has no place).

    The deepest chosen area is the place; the selects above it show its ancestors. `trigger` names the
    field the user just changed (htmx): changing a select above the building clears the search and the
    choices below that no longer fit. With `strict` (a submitted form) an invalid value raises PlaceError
    and an area outside the user's reach OutOfScope (the view answers 404); otherwise both are dropped.
    """
    if purpose not in PURPOSES:
        purpose = REPORT
    path = root_path(user, purpose)
    root = _areas().filter(path=path).first() if path else None
    if root is None:
        return PlacePicker(purpose, None, [], None, error=_("您的账号没有所属区域,不能选择地点"))
    levels = list(range(root.level + 1, Level.UNIT + 1))
    data = data or {}
    raw = {lv: str(data.get(field_name(lv), "") or "").strip() for lv in levels}
    query = str(data.get("place_q", "") or "").strip()[:50]
    changed = next((lv for lv in levels if trigger == field_name(lv)), None)
    if changed is not None and changed < Level.BUILDING:
        query = ""
    if not any(raw.values()) and not query:
        start = None
        legacy = str(data.get("area", "") or "").strip()
        if legacy:
            start = _valid_area(legacy, root.path, strict)
        elif not strict:
            default = default_path(user, purpose)
            if default.startswith(root.path) and default != root.path:
                start = _areas().filter(path=default).first()
        if start is not None:
            raw[start.level] = str(start.pk) if start.level in raw else ""
    if strict and any(v and not v.isdigit() for v in raw.values()):
        raise PlaceError(_("所选地点无效,请重新选择"))
    found = _areas().in_bulk({int(v) for v in raw.values() if v.isdigit()})
    chosen: dict[int, Area] = {}
    for lv in levels:
        area = found.get(int(raw[lv])) if raw[lv].isdigit() else None
        if raw[lv] and area is not None and not area.path.startswith(root.path):
            if strict:
                raise OutOfScope(area.path)
            area = None
        if raw[lv] and (area is None or area.level != lv or not area.is_active):
            if strict:
                raise PlaceError(_("所选地点无效,请重新选择"))
            area = None
        if area is not None:
            chosen[lv] = area
    if changed is not None and changed in chosen:
        # what the user just chose wins over the (now stale) choices below it
        for lv in [lv for lv in chosen if lv > changed]:
            if not chosen[lv].path.startswith(chosen[changed].path):
                del chosen[lv]
    elif changed is not None and not raw[changed]:
        for lv in [lv for lv in chosen if lv > changed]:
            del chosen[lv]
    elif (
        trigger == "place_q"
        and query
        and Level.BUILDING in chosen
        and all(pk != chosen[Level.BUILDING].pk for pk, _label in _search(root, query))
    ):
        # a new search: a building chosen before stays only if the search still finds it
        for lv in [lv for lv in chosen if lv >= Level.BUILDING]:
            del chosen[lv]
    deepest = max(chosen.values(), key=lambda a: a.level) if chosen else None
    # the selects above the place show its ancestors (a building found by search sets its grid)
    if deepest is not None:
        prefixes = [deepest.path[: PATH_LENGTH[lv]] for lv in levels if lv < deepest.level]
        chosen = {a.level: a for a in _areas().filter(path__in=prefixes)} | {deepest.level: deepest}
        chosen = {lv: a for lv, a in chosen.items() if lv in levels and lv <= deepest.level}
    selects = []
    anchor = root
    searchable = Level.BUILDING in levels and root.level < Level.GRID
    for lv in levels:
        select = PlaceSelect(
            level=lv, name=field_name(lv), label=str(Level(lv).label), prompt=str(PROMPTS.get(lv, ""))
        )
        if lv == Level.BUILDING and query and searchable:
            select.options = _search(root, query)
            if not select.options:
                select.note = _("没有找到名称含“%(q)s”的楼栋") % {"q": query}
        elif anchor.level == lv - 1:
            children = _areas().filter(parent=anchor, is_active=True).order_by("path")[:MAX_OPTIONS]
            select.options = [(a.pk, _short([anchor.name, a.name])[1]) for a in children]
        elif lv == Level.BUILDING and searchable:
            select.note = _("请先选择网格,或在上方输入楼号查找")
        else:
            select.note = _("请先选择上一级")
        area = chosen.get(lv)
        if area is not None:
            select.selected = area.pk
            if all(pk != area.pk for pk, _label in select.options):
                select.options.insert(0, (area.pk, _relative(place_labels([area.path])[area.path], root)))
            anchor = area
        selects.append(select)
    return PlacePicker(
        purpose=purpose,
        root=root,
        selects=selects,
        chosen=deepest,
        query=query,
        searchable=searchable,
    )


def _relative(label: str, anchor: Area) -> str:
    """A full label without the anchor's own part (the user already chose it above)."""
    prefix = place_labels([anchor.path]).get(anchor.path, "")
    if prefix and label.startswith(prefix + SEP):
        return label[len(prefix + SEP) :]
    return label


def _search(anchor: Area, query: str) -> list[tuple[int, str]]:
    from django.db.models import Q

    matches = list(
        _areas()
        .filter(path__startswith=anchor.path, level=Level.BUILDING, is_active=True)
        .filter(Q(name__contains=query) | Q(parent__name__contains=query))
        .order_by("path")[:SEARCH_LIMIT]
    )
    labels = place_labels([a.path for a in matches])
    return [(a.pk, _relative(labels[a.path], anchor)) for a in matches]


def _valid_area(value: str, root_path_: str, strict: bool) -> Area | None:
    area = _areas().filter(pk=int(value)).first() if value.isdigit() else None
    if area is None:
        if strict:
            raise PlaceError(_("所选地点无效,请重新选择"))
        return None
    if not area.path.startswith(root_path_):
        if strict:
            raise OutOfScope(area.path)
        return None
    return area
