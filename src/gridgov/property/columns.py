"""The ranking workbook (Chinese headers), shared by the page and the API."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from gridgov.core.xlsx import Column, write_sheet


def ranking_columns() -> list[Column]:
    return [
        Column("rank", _("名次")),
        Column("name", _("物业企业")),
        Column("party", _("党建覆盖")),
        Column("professional", _("专业服务")),
        Column("satisfaction", _("居民满意")),
        Column("total", _("综合得分")),
        Column("star", _("服务之星")),
    ]


def ranking_sheet(month: dt.date, rows) -> bytes:
    return write_sheet(
        _("%(month)s 物业企业排名") % {"month": f"{month:%Y-%m}"},
        ranking_columns(),
        (
            {
                "rank": r.rank,
                "name": r.company.name,
                "party": r.party,
                "professional": r.professional,
                "satisfaction": r.satisfaction,
                "total": r.total,
                "star": _("是") if r.star else "",
            }
            for r in rows
        ),
    )
