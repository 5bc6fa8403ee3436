"""The audit log page shows each reader their own subtree, and nothing to an account without an area."""

from django.db import transaction
from django.test import Client
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.core import audit


def test_a_street_reads_only_its_subtree_and_the_city_reads_all(city, users, client_for):
    with transaction.atomic():
        audit.record(users["street"], "test.inside", city.grid_a)
        other = audit.record(users["city_admin"], "test.outside", None, area_path=city.other_city[0].path)
    street_rows = list(client_for("street").get(reverse("web:audit"), {"action": "test."}).context["page"])
    city_rows = list(client_for("city_admin").get(reverse("web:audit"), {"action": "test."}).context["page"])
    assert [e.action for e in street_rows] == ["test.inside"]
    assert {e.action for e in city_rows} == {"test.inside"}  # the other city is outside the city admin too
    assert other.pk not in {e.pk for e in street_rows}


def test_an_account_without_area_that_is_not_a_superuser_reads_nothing(city, users):
    with transaction.atomic():
        audit.record(users["street"], "test.inside", city.grid_a)
    # an account whose area was never set (area is nullable) but which holds the auditor's permission
    stray = User.objects.create_user("stray-auditor", password="x", role=users["city_admin"].role)
    assert stray.has_perm("core.view_auditevent")
    client = Client()
    client.force_login(stray)
    response = client.get(reverse("web:audit"))
    assert response.status_code == 200
    assert len(response.context["page"]) == 0
