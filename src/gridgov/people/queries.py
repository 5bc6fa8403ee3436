"""Reads about residents shared by the list page, the API and exports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.db.models import Count, Q, QuerySet

from gridgov.core import idcard, pii
from gridgov.core.text import looks_like_pinyin

from .indicators import years_ago
from .models import ID_PURPOSE, PHONE_PURPOSE, Resident

ID_TAIL = re.compile(r"^\d{1,3}[\dXx]?$")


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


def export_rows(qs: QuerySet[Resident], *, unmasked: bool) -> Iterator[dict]:
    """Rows for the xlsx export in import-compatible columns; full numbers only when `unmasked`."""
    today = dt.date.today()
    qs = qs.select_related("household__unit").prefetch_related("tags").order_by("area_path", "id")
    for r in qs.iterator(chunk_size=2000):
        yield {
            "name": r.name,
            "id_number": r.reveal_id_number() if unmasked else r.id_masked,
            "phone": r.reveal_phone() if unmasked else r.phone_masked,
            "unit_code": r.household.unit.code,
            "household_number": r.household.number,
            "relation": r.get_relation_display(),
            "tags": "、".join(t.name for t in r.tags.all()),
            "sex": r.get_sex_display(),
            "birth_date": r.birth_date.isoformat() if unmasked else "",
            "age": r.age(today),
            "area_name": r.household.unit.name,
        }
