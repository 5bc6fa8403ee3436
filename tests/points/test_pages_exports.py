"""The xlsx downloads of the points staff pages (one helper, views.xlsx_export): each needs its page's
permission, holds exactly the rows the user sees in the page's columns, and leaves an audit row; and the
merchant's statement page follows Merchant.scope_rule (a merchant account finds only its own)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEvent
from gridgov.points import services
from gridgov.points.models import MerchantKind
from tests.factories import UserFactory
from tests.helpers import read_xlsx

from .conftest import SYSTEM, give, participation


def test_approvals_export_holds_the_users_rows(city, users, client_for):
    inside = participation(city.resident_a)
    participation(city.resident_outside(users["grid_worker"]))
    response = client_for("grid_worker").get(reverse("points:approvals_export"))
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert [(r["居民"], r["服务时长(分钟)"], r["自主申报"]) for r in rows] == [
        (inside.resident.name, 90, "是")
    ]
    assert (
        AuditEvent.objects.filter(action="points.export_approvals", actor=users["grid_worker"]).count() == 1
    )
    assert client_for("property").get(reverse("points:approvals_export")).status_code == 403


def test_rules_and_catalogue_exports_mark_items_defined_above(city, users, client_for):
    services.save_rule(SYSTEM, area=city.city, role="resident", activity_kind="volunteer", points_per_hour=5)
    services.save_scenario(SYSTEM, area=city.streets[0], code="cut", name="理发", category="生活", price=10)
    client = client_for("street")
    rules = read_xlsx(client.get(reverse("points:rules_export")).content)
    assert [(r["制定层级"], r["每小时积分"], r["活动类型"]) for r in rules] == [
        ("上级（市级）", 5, "志愿服务")
    ]
    catalogue = read_xlsx(client.get(reverse("points:catalogue_export")).content)
    assert [(r["制定层级"], r["名称"], r["状态"]) for r in catalogue] == [("本级", "理发", "上架")]
    assert client_for("grid_worker").get(reverse("points:rules_export")).status_code == 403
    assert {"points.export_rules", "points.export_catalogue"} <= set(
        AuditEvent.objects.filter(actor=users["street"]).values_list("action", flat=True)
    )


def test_accounts_export_follows_the_page_filters(funded, users, client_for):
    give(funded.resident_a, 7)
    client = client_for("community_worker")
    rows = read_xlsx(client.get(reverse("points:accounts_export"), {"kind": "resident"}).content)
    assert [(r["名称"], r["余额"]) for r in rows] == [(funded.resident_a.name, 7)]
    assert {r["账户类型"] for r in read_xlsx(client.get(reverse("points:accounts_export")).content)} > {
        "居民"
    }


def test_report_export_is_a_book_and_refuses_a_bad_range(funded, client_for):
    client = client_for("city_admin")
    ok = client.get(reverse("points:report_export"), {"start": "2025-01-01", "end": "2025-01-31"})
    assert ok.status_code == 200 and "points-report-2025-01-01-2025-01-31.xlsx" in ok["Content-Disposition"]
    bad = client.get(reverse("points:report_export"), {"start": "2025-02-01", "end": "2025-01-01"})
    assert bad.status_code == 400 and "errors" in bad.json()


@pytest.mark.parametrize("name", ["approvals_export", "rules_export", "catalogue_export", "accounts_export"])
def test_exports_need_login(client_for, name):
    response = client_for(None).get(reverse(f"points:{name}"))
    assert response.status_code == 302


def test_merchant_statement_page_finds_only_its_own(funded):
    user = UserFactory(username="shop7", role=Role.MERCHANT, area=funded.communities[0])
    own = services.create_merchant(
        SYSTEM, name="便利店", kind=MerchantKind.SHOP, area=funded.communities[0], user=user
    )
    other = services.create_merchant(
        SYSTEM, name="隔壁店", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    client = Client()
    client.force_login(user)
    assert client.get(reverse("points:statement", args=[own.pk])).status_code == 200
    assert client.get(reverse("points:statement", args=[other.pk])).status_code == 404


def test_export_book_writes_formula_like_cells_as_text(db):
    """A figures book goes through core.xlsx.write_book: a name starting with "=" is a text cell (quote
    prefix), never a formula, and every sheet keeps its header row."""
    import io

    from openpyxl import load_workbook

    from gridgov.core.xlsx import Column

    columns = [Column("name", "名称"), Column("n", "数量")]
    content = services.export_book(
        SYSTEM,
        "report",
        "2025-01",
        [
            ("按区域", columns, [{"name": '=HYPERLINK("x")', "n": 3}]),
            ("按月", columns, [{"name": "+1", "n": 1}]),
        ],
    )
    book = load_workbook(io.BytesIO(content))
    first, second = book.worksheets
    assert [c.value for c in first[1]] == ["名称", "数量"]
    cell = first.cell(row=2, column=1)
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s" and cell.quotePrefix
    assert first.cell(row=2, column=2).value == 3
    assert second.cell(row=2, column=1).data_type == "s"
    assert AuditEvent.objects.filter(action="points.export_report").count() == 1
