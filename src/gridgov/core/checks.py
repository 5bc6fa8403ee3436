"""Coverage checks, domain-free: what a check is, how its result is counted, the overview sheet.

A check is a first-class query: `run(user, root_path, params)` returns the offending items in the user's
scope below `root_path` (a queryset, or a list), and `describe(item)` gives the one row the page, the API
and the xlsx show: id, name, code, path, where, detail, url. Party and workforce define their checks;
the area-bound half (which area, page and API plumbing) is `areas.checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Check:
    code: str
    label: str | Promise
    description: str | Promise
    run: Callable[..., Any]
    # One row for the page and the API: name, where, what is wrong, link.
    describe: Callable[[Any], dict]


def count_of(result) -> int:
    return len(result) if isinstance(result, list) else result.count()


def check_list_sheet(context: dict) -> bytes:
    """The overview of checks as on the page: each check with its number of problems for the area."""
    from django.utils.translation import gettext as _

    from gridgov.core.xlsx import Column, write_sheet

    area = context["area"]
    columns = [
        Column("area", str(_("区域"))),
        Column("label", str(_("检查项"))),
        Column("description", str(_("说明"))),
        Column("count", str(_("问题数"))),
    ]
    rows = [
        {
            "area": area.name,
            "label": str(c["label"]),
            "description": str(c["description"]),
            "count": c["count"],
        }
        for c in context["checks"]
    ]
    return write_sheet(f"{context['title']} {area.name}", columns, rows)
