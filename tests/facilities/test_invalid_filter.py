"""An invalid filter never widens a list: the page shows no rows (and the form error), not everything."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["facilities:list", "facilities:candidates", "facilities:export"])
def test_an_invalid_area_filter_gives_nothing(client_for, name, city):
    from gridgov.facilities import services
    from gridgov.facilities.models import FacilityKind

    services.create_facility(
        SYSTEM, area=city.grid_a, kind=FacilityKind.RED_STATION, name="红色驿站甲", floor_area=60, x=10, y=10
    )
    client = client_for("street")
    whole = client.get(reverse(name))
    bad = client.get(reverse(name), {"area": "abc"})
    assert whole.status_code == bad.status_code == 200
    if name == "facilities:export":
        import io

        from openpyxl import load_workbook

        rows = list(load_workbook(io.BytesIO(bad.content)).active.iter_rows(values_only=True))
        assert len(rows) <= 1  # the header only
    else:
        assert "红色驿站甲" not in bad.content.decode()
