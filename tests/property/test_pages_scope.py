"""The property pages not covered by the generic classes of the other modules, in the scope matrix: the
ranking, the exports, the forms, the scorer's month and the company's own pages (only a login linked to a
company)."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import ROLE_PERMISSIONS
from gridgov.property import services

from ..base import Page, PageMatrixTests
from ..conftest import ROLES
from .conftest import SYSTEM

pytestmark = pytest.mark.django_db

SCORERS = tuple(r for r in ROLES if set(services.SCORER_PERMISSION.values()) & ROLE_PERMISSIONS[r])


@pytest.fixture
def linked_company(city, users, estate_in):
    services.link_account(SYSTEM, users["property"], estate_in.company)


@pytest.mark.usefixtures("linked_company", "estate_out")
class TestPropertyCollectionPages(PageMatrixTests):
    pages = {
        "property:ranking": Page(("property.view_monthlyscore",)),
        "property:ranking_export": Page(("property.export_ranking",)),
        "property:company_export": Page(("property.view_propertycompany",)),
        "property:estate_export": Page(("property.view_estate",)),
        "property:my_company": Page((), roles=("property",)),
        "property:my_company_export": Page((), roles=("property",)),
        "property:score_entry": Page((), roles=SCORERS),
        "property:meeting_create": Page(("property.add_roundtable",)),
        "property:talk_create": Page(("property.add_talk",)),
        "property:elimination_create": Page(("property.decide_elimination",)),
    }
