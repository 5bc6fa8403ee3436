"""Reads about residents shared by the list page, the API and exports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.db.models import Count, Q, QuerySet

from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core import idcard, pii
from gridgov.core.text import looks_like_pinyin

from .indicators import years_ago
from .models import ID_PURPOSE, PHONE_PURPOSE, Resident

ID_TAIL = re.compile(r"^\d{1,3}[\dXx]?$")
# A whole ID-card number (18 or the old 15 digits) or a mobile number: searched for by POST only, so it never
# lands in an address, a server log or the browser's history (docs/hardening.md).
WHOLE_IDENTIFIER = re.compile(r"^(\d{17}[\dXx]|\d{15}|1\d{10})$")


def is_whole_identifier(text: str) -> bool:
    return bool(WHOLE_IDENTIFIER.match((text or "").replace(" ", "")))


def search_residents(qs: QuerySet[Resident], text: str) -> QuerySet[Resident]:
    """One box: a name, its pinyin (zhangsan) or initials (zs), a full ID or phone, or the ID's last digits."""
    text = (text or "").strip()
    if not text:
        return qs
    compact = text.replace(" ", "")
    if len(compact) == 18 and idcard.is_valid(compact):
        return qs.filter(id_index=pii.blind_index(idcard.normalize(compact), purpose=ID_PURPOSE))
    if compact.isdigit() and len(compact) == 11:
        return qs.filter(phone_index=pii.blind_index(compact, purpose=PHONE_PURPOSE))
    if ID_TAIL.match(compact) and len(compact) <= 4:
        tail = compact.upper()
        return qs.filter(id_tail=tail) if len(tail) == 4 else qs.filter(id_tail__endswith=tail)
    if looks_like_pinyin(compact):
        lowered = compact.lower()
        return qs.filter(Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered))
    return qs.filter(name__contains=compact)


def member_counts(household_ids) -> dict[int, int]:
    """Registered members per household, for one page of households (not a GROUP BY over all of them)."""
    rows = (
        Resident.objects.unscoped("counts for households already loaded through scope")
        .filter(household_id__in=list(household_ids), is_active=True)
        .order_by()
        .values_list("household_id")
        .annotate(n=Count("*"))
    )
    return dict(rows)


def filter_age(
    qs: QuerySet[Resident], min_age: int | None, max_age: int | None, today: dt.date | None = None
):
    if min_age is not None:
        qs = qs.filter(birth_date__lte=years_ago(min_age, today))
    if max_age is not None:
        # Younger than max_age + 1 years.
        qs = qs.filter(birth_date__gt=years_ago(max_age + 1, today))
    return qs


AREA_PATH_SEPARATOR = "/"
EXPORT_CHUNK = 2000


def area_path_names(paths, known: dict[str, str] | None = None) -> dict[str, str]:
    """Each area's name, for the given paths and all their ancestors below the city, in one query.

    `known` is a cache filled in place, so an export resolves each ancestor once whatever its size.
    """
    known = {} if known is None else known
    wanted = {
        path[:length]
        for path in paths
        for level, length in PATH_LENGTH.items()
        if level > Level.CITY and length <= len(path)
    } - known.keys()
    if wanted:
        rows = Area.objects.unscoped("names of the ancestors of areas already read through scope").filter(
            path__in=wanted
        )
        known.update(rows.values_list("path", "name"))
    return known


def full_area_name(path: str, names: dict[str, str]) -> str:
    """东城区/东华街道/春晖社区/第1网格/3号楼/1单元: the names from the district down to the area itself."""
    parts = [
        names.get(path[:length], "")
        for level, length in PATH_LENGTH.items()
        if level > Level.CITY and length <= len(path)
    ]
    return AREA_PATH_SEPARATOR.join(p for p in parts if p)


def masked_birth_date(birth: dt.date) -> str:
    """Only the year beside a masked ID number: the full date is exactly the eight digits the mask hides."""
    return f"{birth.year:04d}-**-**"


def export_rows(qs: QuerySet[Resident], *, unmasked: bool) -> Iterator[dict]:
    """Rows for the xlsx export in import-compatible columns; full numbers only when `unmasked`.

    所在区域 is the unit's full path of names (two units may both be called 1单元 under 3号楼 in
    different grids); 单元编码 is its unique code. The birth date is the full date with the full number,
    otherwise the year only (see `masked_birth_date`).
    """
    today = dt.date.today()
    qs = qs.select_related("household__unit").prefetch_related("tags").order_by("area_path", "id")
    names: dict[str, str] = {}
    chunk: list[Resident] = []

    def flush(chunk: list[Resident]) -> Iterator[dict]:
        area_path_names({r.household.unit.path for r in chunk}, names)
        for r in chunk:
            unit = r.household.unit
            yield {
                "name": r.name,
                "id_number": r.reveal_id_number() if unmasked else r.id_masked,
                "phone": r.reveal_phone() if unmasked else r.phone_masked,
                "unit_code": unit.code,
                "household_number": r.household.number,
                "relation": r.get_relation_display(),
                "tags": "、".join(t.name for t in r.tags.all()),
                "sex": r.get_sex_display(),
                "birth_date": r.birth_date.isoformat() if unmasked else masked_birth_date(r.birth_date),
                "age": r.age(today),
                "area_name": full_area_name(unit.path, names),
            }

    for resident in qs.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(resident)
        if len(chunk) == EXPORT_CHUNK:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)


def area_options(user, selected: int | None = None) -> list[tuple[int, str]]:
    """(id, label) of the areas a list can be narrowed to: the two levels below the user's own, down to grids.

    A street user chooses among its communities and their grids; a grid worker has nothing to choose.
    An area reached from elsewhere (a building's "本区域居民" link) is kept as an option when selected.
    """
    own = getattr(user, "area", None)
    start = own.level if own is not None else 0
    levels = [level for level in (start + 1, start + 2) if level <= Level.GRID]
    visible = Area.objects.visible_to(user)
    areas = list(visible.filter(level__in=levels, is_active=True).order_by("path")) if levels else []
    if selected is not None and all(a.pk != selected for a in areas):
        extra = visible.filter(pk=selected).first()
        if extra is not None:
            areas.insert(0, extra)
    return [(a.pk, "\u3000" * max(a.level - start - 1, 0) + a.name) for a in areas]


def household_export_rows(qs) -> Iterator[dict]:
    """Rows of the household export: number, unit code, full area path and registered members."""
    names: dict[str, str] = {}

    def flush(chunk: list) -> Iterator[dict]:
        area_path_names({h.unit.path for h in chunk}, names)
        counts = member_counts(h.pk for h in chunk)
        for h in chunk:
            yield {
                "household_number": h.number,
                "unit_code": h.unit.code,
                "area_name": full_area_name(h.unit.path, names),
                "members": counts.get(h.pk, 0),
            }

    chunk: list = []
    for household in (
        qs.select_related("unit").order_by("area_path", "number").iterator(chunk_size=EXPORT_CHUNK)
    ):
        chunk.append(household)
        if len(chunk) == EXPORT_CHUNK:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)
