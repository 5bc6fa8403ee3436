"""The generator's points step: a year of volunteer services and redemptions, all through the ledger."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gridgov.points import ledger
from gridgov.points.models import Participation, PartStatus, Redemption, ResidentLink, StaffAward


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
