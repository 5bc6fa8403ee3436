"""Hot accounts split into slots (热点账户拆分): same balance, same refusals, one rule on both databases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.points import ledger, services
from gridgov.points.models import Account, AccountSlot, MerchantKind
from gridgov.points.services import redemption

from .conftest import SYSTEM, give, key


def _slots(account) -> list[int]:
    return list(
        AccountSlot.objects.filter(account_id=account.pk).order_by("number").values_list("balance", flat=True)
    )


def test_split_spreads_the_balance_and_joins_back(funded):
    acc = services.resident_account(funded.resident_a)
    give(funded.resident_a, 10)
    acc = services.split_account(SYSTEM, acc, 3)
    assert acc.slots == 3 and acc.main_balance == 0
    assert _slots(acc) == [4, 3, 3]
    assert acc.balance == 10 == ledger.balance_from_entries(acc)
    acc = services.split_account(SYSTEM, acc, 1)
    assert acc.slots == 1 and acc.main_balance == 10 and _slots(acc) == []
    assert AuditEvent.objects.filter(action="points.split_account", object_id=str(acc.pk)).count() == 2
    assert ledger.check_invariants() == []


@pytest.mark.parametrize("slots", [0, -1, 65, "4", None, 2.5])
def test_bad_slot_counts_change_nothing(funded, slots):
    acc = services.resident_account(funded.resident_a)
    give(funded.resident_a, 10)
    with pytest.raises(ServiceError):
        services.split_account(SYSTEM, acc, slots)
    fresh = Account.objects.unscoped("t").get(pk=acc.pk)
    assert (fresh.slots, fresh.main_balance, _slots(fresh)) == (1, 10, [])


def test_an_issuing_source_is_never_split(funded):
    source = services.issuance_account(funded.city)
    with pytest.raises(ServiceError, match="发行账户不能拆分"):
        services.split_account(SYSTEM, source, 4)
    assert Account.objects.unscoped("t").get(pk=source.pk).slots == 1


def test_a_debit_no_single_slot_can_carry_is_spread_over_the_slots(funded):
    acc = services.split_account(SYSTEM, services.resident_account(funded.resident_a), 3)
    give(funded.resident_a, 10)  # credits land in the emptiest slot
    pool = services.earning_pool(funded.resident_a.area_path)
    services.transfer(SYSTEM, acc, pool, 9, key=key("spend"))
    acc = Account.objects.unscoped("t").get(pk=acc.pk)
    assert acc.balance == 1 == ledger.balance_from_entries(acc)
    assert all(b >= 0 for b in _slots(acc))
    before = _slots(acc)
    with pytest.raises(ledger.InsufficientPoints):
        services.transfer(SYSTEM, acc, pool, 2, key=key("spend"))
    assert _slots(acc) == before
    assert ledger.check_invariants() == []


def test_merchant_and_pool_accounts_are_created_split(funded, settings):
    shop = services.create_merchant(
        SYSTEM, name="热点商户", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    assert services.merchant_account(shop).slots == settings.GRIDGOV_POINTS_HOT_SLOTS
    pool = services.earning_pool(funded.resident_a.area_path)
    assert pool.slots == settings.GRIDGOV_POINTS_HOT_SLOTS
    assert pool.balance == 100_000 == ledger.balance_from_entries(pool)


def test_redeeming_from_a_split_account(funded, catalogue):
    shop = services.create_merchant(
        SYSTEM, name="热点商户", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    scenario = services.save_scenario(
        SYSTEM, area=funded.city, code="hot", name="热点", category="测试", price=4
    )
    acc = services.split_account(SYSTEM, services.resident_account(funded.resident_a), 4)
    give(funded.resident_a, 10)
    for _ in range(2):
        services.redeem(SYSTEM, merchant=shop, scenario=scenario, resident=funded.resident_a, key=key("r"))
    with pytest.raises(ledger.InsufficientPoints):
        services.redeem(SYSTEM, merchant=shop, scenario=scenario, resident=funded.resident_a, key=key("r"))
    assert Account.objects.unscoped("t").get(pk=acc.pk).balance == 2
    assert services.merchant_account(shop).balance == 8
    assert ledger.check_invariants() == []


def test_split_api_rejects_bad_input_and_changes_nothing(funded, api_for):
    acc = services.resident_account(funded.resident_a)
    url = reverse("points-account-split", args=[acc.pk])
    for body in ({}, {"slots": "many"}, {"slots": 0}, {"slots": 1000}):
        response = api_for("city_admin").post(url, body, format="json")
        assert response.status_code == 400, body
    assert Account.objects.unscoped("t").get(pk=acc.pk).slots == 1
    response = api_for("city_admin").post(url, {"slots": 4}, format="json")
    assert response.status_code == 200 and response.json()["slots"] == 4


def test_split_page(funded, client_for):
    acc = services.resident_account(funded.resident_a)
    give(funded.resident_a, 8)
    page = client_for("city_admin").get(reverse("points:accounts"), {"q": funded.resident_a.name})
    assert page.status_code == 200 and f'data-account="{acc.pk}"' in page.content.decode()
    response = client_for("city_admin").post(reverse("points:account_split", args=[acc.pk]), {"slots": "abc"})
    assert Account.objects.unscoped("t").get(pk=acc.pk).slots == 1
    response = client_for("city_admin").post(reverse("points:account_split", args=[acc.pk]), {"slots": "4"})
    assert response.status_code == 302
    acc = Account.objects.unscoped("t").get(pk=acc.pk)
    assert acc.slots == 4 and acc.balance == 8
    assert (
        client_for("community_worker")
        .post(reverse("points:account_split", args=[acc.pk]), {"slots": "1"})
        .status_code
        == 403
    )


# --- the PostgreSQL posting function and the ORM path agree ------------------------------------------------
pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the server-side path exists on PostgreSQL"
)


def _outcome(fn, **kwargs):
    from django.db import transaction

    try:
        with transaction.atomic():
            result = fn(SYSTEM, **kwargs)
            transaction.set_rollback(True)
            return ("ok", result.redemption.points, result.replayed)
    except ServiceError as exc:
        return ("refused", type(exc).__name__, str(exc))


@pg_only
def test_server_side_redemption_matches_the_orm_path(funded, catalogue):
    shop = services.create_merchant(
        SYSTEM, name="对照商户", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    elsewhere = next(c for c in funded.communities if not funded.resident_a.area_path.startswith(c.path))
    far_shop = services.create_merchant(SYSTEM, name="远处商户", kind=MerchantKind.CANTEEN, area=elsewhere)
    plain = services.save_scenario(SYSTEM, area=funded.city, code="p", name="普通", category="测试", price=5)
    limited = services.save_scenario(
        SYSTEM, area=funded.city, code="l", name="限次", category="测试", price=1, monthly_limit=1, stock=5
    )
    no_stock = services.save_scenario(
        SYSTEM, area=funded.city, code="n", name="无货", category="测试", price=1, stock=0
    )
    elderly = services.save_scenario(
        SYSTEM, area=funded.city, code="e", name="老人", category="测试", price=1, eligible_groups=["elderly"]
    )
    canteen = services.save_scenario(
        SYSTEM, area=funded.city, code="c", name="食堂", category="测试", price=1, merchant_kinds=["canteen"]
    )
    give(funded.resident_a, 6)
    services.redeem(SYSTEM, merchant=shop, scenario=limited, resident=funded.resident_a, key="used-limit")
    services.redeem(SYSTEM, merchant=shop, scenario=plain, resident=funded.resident_a, key="taken")
    give(funded.resident_a, 5)
    young = funded.resident_a
    cases = [
        {"merchant": shop, "scenario": plain, "resident": young},  # ok
        {"merchant": shop, "scenario": plain, "resident": young, "quantity": 50},  # not enough points
        {"merchant": shop, "scenario": limited, "resident": young},  # monthly limit
        {"merchant": shop, "scenario": no_stock, "resident": young},  # out of stock
        {"merchant": shop, "scenario": canteen, "resident": young},  # wrong merchant kind
        {"merchant": far_shop, "scenario": plain, "resident": young},  # merchant outside the area
        {"merchant": shop, "scenario": elderly, "resident": young},  # not eligible (unless 60+)
        {"merchant": shop, "scenario": plain, "resident": young, "key": "taken"},  # replay
        {"merchant": shop, "scenario": limited, "resident": young, "key": "taken"},  # key conflict
        {"merchant": shop, "scenario": plain, "token": "garbage"},  # bad code
        {"merchant": shop, "scenario": plain, "token": services.resident_token(young)},  # ok by code
    ]
    for case in cases:
        kwargs = {"key": key("parity"), "quantity": 1, "token": "", "resident": None, **case}
        orm = _outcome(redemption._redeem_orm, code="", **kwargs)
        pg = _outcome(redemption._redeem_pg, **kwargs)
        assert orm == pg, case
    assert [
        o[0] for o in (_outcome(redemption._redeem_pg, key=key("x"), quantity=1, token="", **cases[0]),)
    ] == ["ok"]


@pg_only
def test_server_side_redemption_writes_what_the_orm_path_writes(funded):
    shop = services.create_merchant(
        SYSTEM, name="对照商户", kind=MerchantKind.SHOP, area=funded.communities[0]
    )
    scenario = services.save_scenario(
        SYSTEM, area=funded.city, code="w", name="对照", category="测试", price=2
    )
    give(funded.resident_a, 10)
    a = redemption._redeem_orm(
        SYSTEM,
        merchant=shop,
        scenario=scenario,
        key="orm",
        token="",
        code="",
        resident=funded.resident_a,
        quantity=1,
    ).redemption
    b = redemption._redeem_pg(
        SYSTEM, merchant=shop, scenario=scenario, key="pg", token="", resident=funded.resident_a, quantity=1
    ).redemption
    skip = {"id", "transaction_id", "created_at"}
    audit_a = AuditEvent.objects.get(action="points.redeem", object_id=str(a.pk))
    audit_b = AuditEvent.objects.get(action="points.redeem", object_id=str(b.pk))
    assert {k: v for k, v in audit_a.after.items() if k not in skip} == {
        k: v for k, v in audit_b.after.items() if k not in skip
    }
    assert audit_b.after["id"] == b.pk and audit_b.object_repr == audit_a.object_repr
    assert (audit_a.area_path, audit_a.source, audit_a.object_type_id) == (
        audit_b.area_path,
        audit_b.source,
        audit_b.object_type_id,
    )
    ta, tb = a.transaction, b.transaction
    assert (ta.kind, ta.memo, ta.area_path) == (tb.kind, tb.memo, tb.area_path)
    assert ta.payload_hash != "" and len(tb.payload_hash) == 64
    entries = lambda tx: sorted((e.account_id, e.amount, e.area_path) for e in tx.entries.all())  # noqa: E731
    assert entries(ta) == entries(tb)
    assert ledger.check_invariants() == []


def test_listing_split_accounts_costs_no_query_per_account(funded, api_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api_for("city_admin").get(reverse("points-account-list"), {"owner_kind": "merchant"})
            assert response.status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        shop = services.create_merchant(
            SYSTEM, name=f"甲{n}", kind=MerchantKind.SHOP, area=funded.communities[0]
        )
        services.merchant_account(shop)
    list_queries()  # the first request also loads what is cached afterwards
    few = list_queries()
    for n in range(4):
        shop = services.create_merchant(
            SYSTEM, name=f"乙{n}", kind=MerchantKind.SHOP, area=funded.communities[0]
        )
        services.merchant_account(shop)
    assert list_queries() == few
    listed = api_for("city_admin").get(reverse("points-account-list"), {"owner_kind": "merchant"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert len(rows) >= 6 and all(r["slots"] > 1 for r in rows)
