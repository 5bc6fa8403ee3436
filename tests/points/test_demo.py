"""The generator's points step: a year of volunteer services and redemptions, all through the ledger."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gridgov.points import ledger
from gridgov.points.models import (
    GridScore,
    MerchantKind,
    MonthClose,
    Participation,
    PartStatus,
    PerformancePay,
    Redemption,
    ResidentLink,
    StaffAward,
)


@pytest.mark.django_db
def test_generated_points_are_backed_by_a_consistent_ledger():
    call_command("generate_city", scale=0.008, seed=5, quiet=True, verbosity=0)
    approved = Participation.objects.unscoped("test").filter(status=PartStatus.APPROVED)
    assert approved.count() >= 200
    assert Redemption.objects.unscoped("test").exists()
    assert ledger.check_invariants() == []
    # The demo resident login is linked to a resident so its phone page has a balance to show.
    assert ResidentLink.objects.filter(user__username="resident").exists()
    assert not StaffAward.objects.unscoped("test").filter(points=0).exists()
    # 积分联奖惩: a year of month closes — grid scores, staff points, performance pay — through the services.
    assert MonthClose.objects.unscoped("test").values("month").distinct().count() == 12
    assert GridScore.objects.unscoped("test").exists()
    assert StaffAward.objects.unscoped("test").filter(source__startswith="gridscore:").exists()
    assert PerformancePay.objects.unscoped("test").exists()
    # The property fee settled with the estate's company, the canteen meal with the canteen.
    redeemed = Redemption.objects.unscoped("test")
    assert redeemed.filter(
        scenario__code="property_fee", merchant__payee_ref__startswith="property.company:"
    ).exists()
    assert redeemed.filter(scenario__code="meal_subsidy", merchant__kind=MerchantKind.CANTEEN).exists()
