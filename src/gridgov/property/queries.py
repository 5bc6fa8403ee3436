"""Shared reads: the monthly ranking with its service star, the quarterly bottom list, the yearly
elimination list, estates without property service, and complaint counts per estate."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from os.path import commonpath

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from gridgov.areas.models import Level, ancestor_path

from .models import MonthlyScore, OrgMembership, PropertyCompany, Scorer


@dataclass
class RankRow:
    company: PropertyCompany
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    rank: int = 0
    star: bool = False

    @property
    def party(self) -> float | None:
        return self.scores.get(Scorer.PARTY)

    @property
    def professional(self) -> float | None:
        return self.scores.get(Scorer.PROFESSIONAL)

    @property
    def satisfaction(self) -> float | None:
        return self.scores.get(Scorer.SATISFACTION)


@dataclass
class PeriodRow:
    company: PropertyCompany
    average: float
    months: int
    rank: int = 0


def _companies(companies: QuerySet | None) -> QuerySet:
    return (
        companies
        if companies is not None
        else PropertyCompany.objects.unscoped("no list given (actor=None, transitional): rank every company")
    )


def _scores(companies: QuerySet | None, months: list[dt.date]) -> dict[int, dict[dt.date, dict[str, float]]]:
    ids = list(_companies(companies).values_list("pk", flat=True))
    result: dict[int, dict[dt.date, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    rows = (
        MonthlyScore.objects.unscoped("the scores of the companies the caller already narrowed")
        .filter(company_id__in=ids, month__in=months)
        .values_list("company_id", "month", "scorer", "score")
    )
    for company_id, month, scorer, score in rows:
        result[company_id][month][scorer] = float(score)
    return result


def monthly_ranking(companies: QuerySet | None, month: dt.date) -> list[RankRow]:
    """Companies with all three scores for the month, best first; the top total is the service star
    (ties share the rank and the star)."""
    month = month.replace(day=1)
    scores = _scores(companies, [month])
    by_pk = _companies(companies).in_bulk(list(scores))
    rows = []
    for company_id, months in scores.items():
        parts = months.get(month, {})
        if len(parts) == 3:
            rows.append(RankRow(by_pk[company_id], dict(parts), round(sum(parts.values()) / 3, 1)))
    rows.sort(key=lambda r: (-r.total, r.company.name, r.company.pk))
    previous, rank = None, 0
    for index, row in enumerate(rows, start=1):
        if row.total != previous:
            rank, previous = index, row.total
        row.rank = rank
        row.star = rank == 1
    return rows


def _period(companies: QuerySet | None, months: list[dt.date]) -> list[PeriodRow]:
    scores = _scores(companies, months)
    by_pk = _companies(companies).in_bulk(list(scores))
    rows = []
    for company_id, per_month in scores.items():
        totals = [sum(p.values()) / 3 for p in per_month.values() if len(p) == 3]
        if totals:
            rows.append(PeriodRow(by_pk[company_id], round(sum(totals) / len(totals), 1), len(totals)))
    rows.sort(key=lambda r: (-r.average, r.company.name, r.company.pk))
    for index, row in enumerate(rows, start=1):
        row.rank = index
    return rows


def quarter_months(year: int, quarter: int) -> list[dt.date]:
    return [dt.date(year, 3 * (quarter - 1) + i, 1) for i in (1, 2, 3)]


def quarter_ranking(companies: QuerySet | None, year: int, quarter: int) -> list[PeriodRow]:
    return _period(companies, quarter_months(year, quarter))


def quarter_bottom(
    companies: QuerySet | None, year: int, quarter: int, n: int | None = None
) -> list[PeriodRow]:
    """The N lowest quarterly averages (settings.GRIDGOV_PROPERTY_BOTTOM_N), lowest first."""
    n = settings.GRIDGOV_PROPERTY_BOTTOM_N if n is None else n
    rows = quarter_ranking(companies, year, quarter)
    return list(reversed(rows[-n:])) if n > 0 else []


def elimination_list(companies: QuerySet | None, year: int, standard: float | None = None) -> list[PeriodRow]:
    """Companies whose yearly average total is below the standard (settings.GRIDGOV_PROPERTY_ELIMINATION_STANDARD)."""
    standard = settings.GRIDGOV_PROPERTY_ELIMINATION_STANDARD if standard is None else standard
    rows = _period(companies, [dt.date(year, m, 1) for m in range(1, 13)])
    return [r for r in reversed(rows) if r.average < standard]


def estates_without_service(estates: QuerySet) -> QuerySet:
    return estates.filter(company__isnull=True)


def complaint_counts(estates: QuerySet | list, since: dt.datetime | None = None) -> dict[int, int]:
    """Complaints (events in complaint categories) located in each estate's area, per estate.

    One grouped query: complaints under the estates' common path prefix counted per grid-level prefix
    (an estate lies on a community or a grid), then summed per estate in Python.
    """

    from django.db.models.functions import Substr

    from gridgov.core.scope import subtree_q
    from gridgov.events.models import Event

    rows = [(e.pk, e.area_path) for e in estates]
    if not rows:
        return {}
    root = commonpath([path for _pk, path in rows])
    qs = Event.objects.unscoped("complaints under estates the caller narrowed; only counts leave").filter(
        subtree_q("area_path", root), category__is_complaint=True
    )
    if since is not None:
        qs = qs.filter(reported_at__gte=since)
    width = max(len(path) for _pk, path in rows)
    per_prefix = dict(
        qs.annotate(prefix=Substr("area_path", 1, width))
        .order_by()
        .values_list("prefix")
        .annotate(n=Count("*"))
    )
    sums: dict[str, int] = defaultdict(int)
    for length in {len(path) for _pk, path in rows}:
        for prefix, n in per_prefix.items():
            if len(prefix) >= length:
                sums[prefix[:length]] += n
    return {pk: sums.get(path, 0) for pk, path in rows}


def coverage_summary(estates: QuerySet) -> dict[str, int]:
    counts = dict(estates.order_by().values_list("coverage_model").annotate(n=Count("*")))
    counts["total"] = sum(counts.values())
    counts["no_service"] = estates.filter(Q(company__isnull=True)).count()
    return counts


def estate_at(path: str):
    """The estate an area path lies in: the estate listing the building (deepest match), else an estate
    without listed buildings whose own area covers the path; None outside every estate."""
    from .models import Estate

    if len(path) < 18:
        return None
    building = ancestor_path(path, Level.BUILDING)
    estates = Estate.objects.unscoped(
        "the estate of a place of an event the caller already read in scope"
    ).select_related("company")
    found = estates.filter(buildings__path=building).order_by("-id").first()
    if found is not None:
        return found
    candidates = list(
        estates.filter(
            buildings__isnull=True,
            area_path__in=[ancestor_path(path, Level.COMMUNITY), ancestor_path(path, Level.GRID)],
        )
    )
    return max(candidates, key=lambda e: len(e.area_path)) if candidates else None


def ranking_peers(company: PropertyCompany) -> QuerySet:
    """The companies a company is ranked against: those registered in its street (as the street's
    ranking page lists them), or in its district when it is registered there."""
    from gridgov.core.scope import subtree_q

    return PropertyCompany.objects.unscoped(
        "a rank compares a company with its district's peers, seen or not"
    ).filter(subtree_q("area_path", ancestor_path(company.area_path, Level.STREET)))


def company_standing(company: PropertyCompany, months: int = 12) -> list[dict]:
    """The company's scores and rank for each of its last `months` scored months, newest first:
    {"month", "row" (its RankRow, None when its scores are incomplete), "of" (companies ranked)}."""
    scored = (
        MonthlyScore.objects.unscoped("the scores of one company the caller already read in scope")
        .filter(company=company)
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    peers = ranking_peers(company)
    rows = []
    for month in sorted(set(scored), reverse=True)[:months]:
        ranking = monthly_ranking(peers, month)
        own = next((r for r in ranking if r.company.pk == company.pk), None)
        rows.append({"month": month, "row": own, "of": len(ranking)})
    return rows


# --- party organisations of the property sector and their member companies --------------------------
def _open_memberships(kind: str) -> QuerySet:
    return OrgMembership.objects.unscoped(
        "whether a company the caller already narrowed is a member: only a flag or a date leaves"
    ).filter(company=OuterRef("pk"), left_on__isnull=True, org__kind=kind, org__is_active=True)


def alliance_member_q() -> Q:
    """Companies with an open membership of an active red-property party alliance (was a flag)."""
    from gridgov.party.models import OrgKind

    return Q(Exists(_open_memberships(OrgKind.PROPERTY_ALLIANCE)))


def with_memberships(companies: QuerySet) -> QuerySet:
    """Annotate `in_alliance`, `alliance_joined_on` and `in_industry_org` from the memberships."""
    from gridgov.party.models import OrgKind

    alliance = _open_memberships(OrgKind.PROPERTY_ALLIANCE)
    return companies.annotate(
        in_alliance=Exists(alliance),
        alliance_joined_on=Subquery(alliance.order_by("joined_on").values("joined_on")[:1]),
        in_industry_org=Exists(_open_memberships(OrgKind.PROPERTY_INDUSTRY)),
    )


def memberships_of(company: PropertyCompany) -> QuerySet:
    """Every membership (open and ended) of one company the caller already read in scope."""
    return (
        OrgMembership.objects.unscoped("the memberships of one company the caller already read in scope")
        .filter(company=company)
        .select_related("org", "org__area")
        .order_by("left_on", "-joined_on")
    )


def own_records(company: PropertyCompany) -> dict:
    """What a company's own login sees of its evaluation: its talks, the decisions on it, its latest
    standards check and its memberships (never another company's)."""
    from .models import Elimination, StandardsCheck, Talk

    return {
        "talks": Talk.objects.unscoped("a company's own talks, for its own login")
        .filter(company=company)
        .order_by("-year", "-quarter"),
        "eliminations": Elimination.objects.unscoped("the decisions on a company, for its own login")
        .filter(company=company)
        .order_by("-year"),
        "latest_check": StandardsCheck.objects.unscoped("a company's own standards checks, for its own login")
        .filter(company=company)
        .order_by("-checked_on", "-id")
        .first(),
        "memberships": memberships_of(company).filter(left_on__isnull=True),
    }
