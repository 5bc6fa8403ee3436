"""Indicators, each defined once: code, Chinese label, unit, the query that computes it, and how it breaks down.

Every indicator is a count over rows that carry an area path, so it can be computed for any node —
and for all children of a node in one GROUP BY over the path prefix. Pages, the API and exports
read these definitions; nothing else computes the same figure.

How a figure relates to its breakdown is part of the definition, so every page labels it the same way:

* `breakdown_to` — the deepest level down to which the rows are placed: for a node whose children
  are at or above that level, the children partition the rows. Below it a per-child column would
  miss the rows kept higher up (a community's secretary is not in any grid), so pages leave the
  column out rather than show zeros.
* `shown_to` — the deepest level at which the figure is shown at all (a grid's "grids" is 1).
* `distinct` — count distinct values of this field rather than rows: an object placed under several
  children (a branch covering three grids, a leader of two buildings) has a row in each, counts in
  each child it covers, and once in the parent. Such a breakdown is not additive below
  `additive_to`; `counts_by` says in words how it counts, and pages print that under the table.

What the work report needs of each (all optional, so a bare definition still works): `chapter` — the
seed's chapter it belongs to ("三", "四", "五", or a short label such as "概况"); `higher_is_better`;
`target` — only where the report gives one; `period_field` — a date or datetime field of `rows()` that
places a row in a month, so the figure can be computed for a period ("YYYY-MM"). An indicator without
one is a stock figure: the same for every period.

Kinds (`kind`): `count` (rows), `distinct` (distinct values of `distinct`), `sum` (of `sum_field`), and
three derived from two other indicators at the same node — `share` (numerator / denominator × 100, in %),
`ratio` (numerator / denominator × `scale`, e.g. m² per 100 households) and `average` (numerator /
denominator). Counts and sums are additive; a derived figure never is (a community's share is not the
sum of its grids'), and has no value (None) where its denominator is 0. `check_indicator` turns an
app's coverage check (core.checks) into a count of problems with target 0.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from .scope import subtree_q

UNIT_LEVEL = 7  # areas.models.Level.UNIT (core does not import the areas app)
LEVEL_LENGTH = {1: 4, 2: 6, 3: 9, 4: 12, 5: 15, 6: 18, 7: 20}  # areas.models.PATH_LENGTH
# Years 1900–2099: every period the regex lets through is one parse_period reads (0000-01 and 9999-12 were not).
PERIOD_RE = re.compile(r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])$")


def parse_period(period: str) -> tuple[dt.date, dt.date] | None:
    """ "YYYY-MM" → (first day, first day of the next month); "" → None (current figures).
    Anything else is a ValueError."""
    if period == "":
        return None
    match = PERIOD_RE.match(period)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"period {period!r}: expected YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    start = dt.date(year, month, 1)
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return start, end


Number = int | float
COUNTED = ("count", "distinct", "sum")
DERIVED = ("share", "ratio", "average")
DERIVED_COUNTS_BY = gettext_lazy("比率:按该区域自身的分子与分母计算,不是下级区域之和")


def _number(value: Any) -> Number:
    """A database aggregate as a plain number: None (nothing summed) is 0, a whole Decimal an int."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str | Promise
    unit: str | Promise
    # Rows counted, before any area filter; must be a queryset on a model with a path column. None for a
    # derived kind (share, ratio, average), computed from `numerator` and `denominator`.
    rows: Callable[[], QuerySet] | None = None
    path_field: str = ""
    description: str | Promise = ""
    # See the module docstring.
    breakdown_to: int = UNIT_LEVEL
    shown_to: int | None = None  # None: as deep as breakdown_to
    distinct: str = ""
    additive_to: int | None = None  # deepest child level whose values sum to the parent; None: all
    counts_by: str | Promise = ""
    # The work report's metadata (module docstring).
    chapter: str = ""
    higher_is_better: bool | None = None
    target: float | None = None
    period_field: str = ""
    # Kinds (module docstring); "" is count, or distinct when `distinct` is set, or sum with `sum_field`.
    kind: str = ""
    sum_field: str = ""
    numerator: str = ""
    denominator: str = ""
    scale: float = 1.0

    def __post_init__(self) -> None:
        kind = self.kind or ("sum" if self.sum_field else "distinct" if self.distinct else "count")
        object.__setattr__(self, "kind", kind)
        if kind not in COUNTED + DERIVED:
            raise ValueError(f"indicator {self.code}: unknown kind {kind!r}")
        if kind in DERIVED:
            if not (self.numerator and self.denominator) or self.rows is not None:
                raise ValueError(
                    f"indicator {self.code}: a {kind} takes a numerator and a denominator, no rows"
                )
            if kind == "share" and self.scale == 1.0:
                object.__setattr__(self, "scale", 100.0)
            if not self.counts_by:
                object.__setattr__(self, "counts_by", DERIVED_COUNTS_BY)
        elif self.rows is None or not self.path_field:
            raise ValueError(f"indicator {self.code}: a {kind} needs rows and their path field")
        if kind == "sum" and not self.sum_field:
            raise ValueError(f"indicator {self.code}: a sum needs sum_field")
        if not self.additive and not self.counts_by:
            raise ValueError(f"indicator {self.code}: a non-additive breakdown must say how it counts")

    @property
    def label_en(self) -> str:
        """The English label: the label's entry in the English catalogue (locale/en), so there is one
        definition per language and a missing translation shows (tests/core/test_i18n.py)."""
        with translation.override("en"):
            return str(self.label)

    @property
    def derived(self) -> bool:
        return self.kind in DERIVED

    @property
    def periodic(self) -> bool:
        """Whether the figure depends on the month: its rows have a period field, or one of its parts does.
        A figure that is not is a stock: the same for every period."""
        if self.derived:
            numerator, denominator = self._parts()
            return numerator.periodic or denominator.periodic
        return bool(self.period_field)

    def _parts(self) -> tuple[Indicator, Indicator]:
        return REGISTRY[self.numerator], REGISTRY[self.denominator]

    def derive(self, numerator: Number | None, denominator: Number | None) -> float | None:
        if not denominator or numerator is None:
            return None
        return round(numerator * self.scale / denominator, 4)

    @property
    def is_check(self) -> bool:
        """A count of problems found by one of the apps' checks: zero is the target, more is worse."""
        return self.target == 0 and self.higher_is_better is False

    # --- how it breaks down ------------------------------------------------------------------------
    @property
    def deepest_shown(self) -> int:
        return self.breakdown_to if self.shown_to is None else self.shown_to

    @property
    def additive(self) -> bool:
        """True when, wherever it is broken down, the children sum to the parent."""
        if self.kind in DERIVED:
            return False
        return self.additive_to is None or self.additive_to >= self.breakdown_to

    def shown_at(self, level: int) -> bool:
        return level <= self.deepest_shown

    def breaks_down_to(self, child_level: int) -> bool:
        """Whether a per-child column for children of this level is complete (shown on pages)."""
        return child_level <= min(self.breakdown_to, self.deepest_shown)

    def additive_at(self, child_level: int) -> bool:
        if self.kind in DERIVED:
            return False
        return self.additive_to is None or child_level <= self.additive_to

    # --- values ------------------------------------------------------------------------------------
    def period_q(self, period: str) -> Q:
        """Rows of the month `period` ("YYYY-MM"); every row for "" or for a stock figure."""
        bounds = parse_period(period)
        if bounds is None or not self.period_field or self.rows is None:
            return Q()
        start, end = bounds
        lower: dt.date = start
        upper: dt.date = end
        if isinstance(_last_field(self.rows().model, self.period_field), models.DateTimeField):
            # Months as the city counts them: local midnight to local midnight.
            zone = timezone.get_current_timezone()
            lower = dt.datetime.combine(start, dt.time(), tzinfo=zone)
            upper = dt.datetime.combine(end, dt.time(), tzinfo=zone)
        return Q(**{f"{self.period_field}__gte": lower, f"{self.period_field}__lt": upper})

    def rows_under(self, path: str, period: str = "") -> QuerySet:
        if self.rows is None:
            raise ValueError(f"indicator {self.code} is derived: it has no rows")
        return self.rows().filter(subtree_q(self.path_field, path)).filter(self.period_q(period))

    def _aggregate(self) -> Any:
        if self.kind == "sum":
            return Sum(self.sum_field)
        return Count(self.distinct, distinct=True) if self.kind == "distinct" else Count("*")

    def value(self, path: str, period: str = "") -> Any:
        """The figure at the node `path`: an int for counts, a number for sums, a float or None (no
        denominator) for derived kinds."""
        if self.derived:
            numerator, denominator = self._parts()
            return self.derive(numerator.value(path, period), denominator.value(path, period))
        qs = self.rows_under(path, period)
        if self.kind == "distinct":
            return qs.order_by().values(self.distinct).distinct().count()
        if self.kind == "sum":
            return _number(qs.aggregate(v=Sum(self.sum_field))["v"])
        return qs.count()

    def by_prefix(self, path: str, prefix_length: int, period: str = "") -> dict[str, Any]:
        """Values under `path`, grouped by the first `prefix_length` characters of the row's path."""
        if self.derived:
            numerator, denominator = self._parts()
            top = numerator.by_prefix(path, prefix_length, period)
            bottom = denominator.by_prefix(path, prefix_length, period)
            return {key: self.derive(top.get(key, 0), d) for key, d in bottom.items()}
        qs = (
            self.rows_under(path, period)
            .annotate(prefix=Substr(self.path_field, 1, prefix_length))
            .order_by()
            .values("prefix")
            .annotate(n=self._aggregate())
        )
        return {row["prefix"]: _number(row["n"]) for row in qs}


def _last_field(model: type[models.Model], lookup: str) -> Any:
    """The model field a `a__b__c` lookup ends on."""
    field: Any = None
    for name in lookup.split("__"):
        field = model._meta.get_field(name)
        if field.related_model is not None:
            model = field.related_model
    return field


REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in REGISTRY:
        raise ValueError(f"indicator {indicator.code} defined twice")
    if indicator.derived:
        missing = [c for c in (indicator.numerator, indicator.denominator) if c not in REGISTRY]
        if missing:
            raise ValueError(f"indicator {indicator.code}: register {missing} first")
    REGISTRY[indicator.code] = indicator
    return indicator


def get(code: str) -> Indicator:
    return REGISTRY[code]


def format_value(code: str, value: Number | None) -> str:
    """How a figure is written on pages, in exports' captions and in the work report: counts and sums as
    integers, shares and ratios with one decimal ("—" where a ratio has no denominator)."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def for_level(level: int) -> list[str]:
    """Codes of every registered indicator shown for a node of `level`, in registration order."""
    return [code for code, indicator in REGISTRY.items() if indicator.shown_at(level)]


def rollup(
    indicator: Indicator, path: str, lengths: list[int], period: str = "", *, _done: dict | None = None
) -> dict[int, dict[str, Any]]:
    """Values under `path` for every prefix length in `lengths` (e.g. street, community and grid).

    One grouped scan by the rows' own path — in index order, so no sort — then summed up by prefix.
    (A distinct count cannot be folded from finer groups: it is grouped once per length instead. A
    derived figure divides its two parts' rollups, key by key; `_done` reuses parts already rolled up.)
    """
    if indicator.derived:
        numerator, denominator = indicator._parts()
        done = {} if _done is None else _done
        for part in (numerator, denominator):
            if part.code not in done:
                done[part.code] = rollup(part, path, lengths, period, _done=done)
        top, bottom = done[numerator.code], done[denominator.code]
        return {
            length: {key: indicator.derive(top[length].get(key, 0), d) for key, d in bottom[length].items()}
            for length in lengths
        }
    if indicator.kind == "distinct":
        return {length: indicator.by_prefix(path, length, period) for length in lengths}
    qs = (
        indicator.rows_under(path, period)
        .order_by()
        .values_list(indicator.path_field)
        .annotate(n=indicator._aggregate())
    )
    ordered = sorted(lengths, reverse=True)
    result: dict[int, dict[str, Any]] = {}
    # Each row once into the finest level, then each level folded into the next coarser one.
    finest: dict[str, Any] = {}
    cut = ordered[0]
    for row_path, n in qs:
        key = row_path[:cut]
        finest[key] = finest.get(key, 0) + _number(n)
    result[cut] = finest
    for coarse in ordered[1:]:
        folded: dict[str, Any] = {}
        for key, n in result[cut].items():
            folded[key[:coarse]] = folded.get(key[:coarse], 0) + n
        result[coarse], cut = folded, coarse
    return result


def for_area(path: str, codes: list[str], period: str = "") -> dict[str, Any]:
    """Values of `codes` at the node: a derived figure reuses its parts' values (one query per part)."""
    known: dict[str, Any] = {}

    def value(code: str) -> Any:
        if code not in known:
            indicator = REGISTRY[code]
            if indicator.derived:
                known[code] = indicator.derive(value(indicator.numerator), value(indicator.denominator))
            else:
                known[code] = indicator.value(path, period)
        return known[code]

    return {code: value(code) for code in codes}


def for_children(path: str, child_length: int, codes: list[str]) -> dict[str, dict[str, Any]]:
    """{indicator code: {child path: value}} — one query per indicator, whatever the number of children."""
    return {code: REGISTRY[code].by_prefix(path, child_length) for code in codes}


def _has_parts(code: str, values: dict[str, Any]) -> bool:
    indicator = REGISTRY[code]
    return indicator.numerator in values and indicator.denominator in values


def _missing(code: str, grouped: dict[str, Any], key: str) -> Any:
    """A child with no rows: 0 for counts and sums, no value for a derived figure (no denominator)."""
    return grouped.get(key, None if REGISTRY[code].derived else 0)


@dataclass
class Breakdown:
    """One node's figures and its children's, as every figures page shows them.

    `values` holds the node's value of every code; `columns` the codes broken down per child (the
    others stay at this level, see `breakdown_to`); `rows` each child's values for those columns;
    `notes` the counting rule of each non-additive column, printed under the table.
    """

    codes: list[str]
    values: dict[str, Any]
    columns: list[str]
    rows: list[tuple[Any, dict[str, Any]]]
    notes: list[tuple[str, str | Promise]]


def breakdown(path: str, level: int, children: list, codes: list[str]) -> Breakdown:
    """Figures of the node at `path` (of `level`) and of `children` (objects with a `.path`).

    Additive figures come with their children's values from one grouped query: the node's value is
    the sum over every prefix, including rows kept at the node itself. Distinct counts need their own.
    """
    codes = [c for c in codes if REGISTRY[c].shown_at(level)]
    child_level = level + 1
    columns = [c for c in codes if children and REGISTRY[c].breaks_down_to(child_level)]
    values: dict[str, Any] = {}
    grouped: dict[str, dict[str, Any]] = {}
    length = LEVEL_LENGTH.get(child_level, 0)
    derived = [c for c in codes if REGISTRY[c].derived]
    for code in codes:
        indicator = REGISTRY[code]
        if code in columns and not indicator.derived:
            grouped[code] = indicator.by_prefix(path, length)
        if code in columns and indicator.kind in ("count", "sum"):
            values[code] = sum(grouped[code].values())
        elif not indicator.derived:
            values[code] = indicator.value(path)
    # Derived figures from their parts: the node's from the values above, the children's from the groups.
    for code in derived:
        indicator = REGISTRY[code]
        if _has_parts(code, values):
            values[code] = indicator.derive(values[indicator.numerator], values[indicator.denominator])
        else:
            values[code] = for_area(path, [code])[code]
        if code in columns:
            top, bottom = (
                grouped[part] if part in grouped else REGISTRY[part].by_prefix(path, length)
                for part in (indicator.numerator, indicator.denominator)
            )
            grouped[code] = {key: indicator.derive(top.get(key, 0), d) for key, d in bottom.items()}
    rows = [(child, {c: _missing(c, grouped[c], child.path) for c in columns}) for child in children]
    notes = [(c, REGISTRY[c].counts_by) for c in columns if not REGISTRY[c].additive_at(child_level)]
    return Breakdown(codes=codes, values=values, columns=columns, rows=rows, notes=notes)


def check_indicator(
    check: Any, path_field: str, *, unit: str | Promise, chapter: str, level: int
) -> Indicator:
    """An app's coverage check (core.checks.Check whose `run` returns a queryset) as a count of problems:
    the same rows the check page lists, counted for any node, target 0, fewer is better."""
    from .actors import SystemActor

    actor = SystemActor("indicators")
    return register(
        Indicator(
            f"check_{check.code}",
            check.label,
            unit,
            lambda: check.run(actor, "", None),
            path_field,
            description=check.description,
            breakdown_to=level,
            chapter=chapter,
            higher_is_better=False,
            target=0,
        )
    )
