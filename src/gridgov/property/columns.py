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


def companies_sheet(companies) -> bytes:
    """The company list (with each company's estate count, as annotated by the caller)."""
    columns = [
        Column("name", _("名称")),
        Column("credit_code", _("统一社会信用代码")),
        Column("area", _("登记区域")),
        Column("area_code", _("区域代码")),
        Column("public", _("公益性物业组织")),
        Column("party_status", _("党组织建设情况")),
        Column("alliance", _("红色物业党建联盟")),
        Column("standards", _("达标项")),
        Column("estates", _("服务小区")),
        Column("active", _("状态")),
    ]
    return write_sheet(
        str(_("物业企业")),
        columns,
        (
            {
                "name": c.name,
                "credit_code": c.credit_code,
                "area": c.area.name,
                "area_code": c.area.code,
                "public": _("是") if c.is_public_interest else "",
                "party_status": c.get_party_status_display(),
                "alliance": _("已加入") if c.in_alliance else "",
                "standards": c.standards_count,
                "estates": getattr(c, "estate_count", ""),
                "active": _("在管") if c.is_active else _("已淘汰"),
            }
            for c in companies
        ),
    )


def estates_sheet(estates) -> bytes:
    """The estate list with the full place of each estate and its complaint count (set by the caller)."""
    from gridgov.events.places import place_labels

    labels = place_labels([e.area_path for e in estates])
    columns = [
        Column("name", _("小区名称")),
        Column("place", _("所在区域")),
        Column("area_code", _("区域代码")),
        Column("company", _("物业服务企业")),
        Column("coverage", _("覆盖模式")),
        Column("households", _("户数")),
        Column("fee_rate", _("物业费收缴率(%)")),
        Column("complaints", _("投诉")),
    ]
    return write_sheet(
        str(_("小区")),
        columns,
        (
            {
                "name": e.name,
                "place": labels.get(e.area_path, e.area.name),
                "area_code": e.area.code,
                "company": e.company.name if e.company else _("无物业服务"),
                "coverage": e.get_coverage_model_display(),
                "households": e.households,
                "fee_rate": float(e.fee_collection_rate) if e.fee_collection_rate is not None else "",
                "complaints": getattr(e, "complaint_count", ""),
            }
            for e in estates
        ),
    )


def my_company_sheet(company, standing: list[dict]) -> bytes:
    """A company's own scores and rank, month by month (property:my_company)."""
    columns = [
        Column("month", _("月份")),
        Column("party", _("党建覆盖")),
        Column("professional", _("专业服务")),
        Column("satisfaction", _("居民满意")),
        Column("total", _("综合得分")),
        Column("rank", _("名次")),
        Column("of", _("参评企业数")),
    ]
    return write_sheet(
        str(_("%(name)s 评分与排名") % {"name": company.name}),
        columns,
        (
            {
                "month": f"{s['month']:%Y-%m}",
                "party": s["row"].party if s["row"] else "",
                "professional": s["row"].professional if s["row"] else "",
                "satisfaction": s["row"].satisfaction if s["row"] else "",
                "total": s["row"].total if s["row"] else "",
                "rank": s["row"].rank if s["row"] else "",
                "of": s["of"],
            }
            for s in standing
        ),
    )
