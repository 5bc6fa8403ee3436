"""The party member export: masked by default, full ID numbers only for users who may unmask and ask
for them (?unmasked=1), audited either way; the unmasked file re-imports into a fresh state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.party import services
from gridgov.party.models import CentralHousehold, PartyMember

from ..helpers import read_xlsx, upload
from .conftest import SYSTEM


def _members():
    return {
        (m.resident_id, m.org_id, m.in_service, m.workplace, m.dual_community_id, m.joined_on, m.area_path)
        for m in PartyMember.objects.unscoped("test").filter(is_active=True)
    }


def _fresh_state():
    """Members (and the central households hanging on them) removed, residents and orgs kept."""
    CentralHousehold.objects.unscoped("test").all().delete()
    PartyMember.objects.unscoped("test").all().delete()


@pytest.fixture
def in_service(city, network):
    return services.register_member(
        SYSTEM,
        resident=city.residents[1],
        in_service=True,
        workplace="市财政局机关党委",
        dual_community=city.communities[0],
        joined_on=dt.date(2010, 7, 1),
    )


def _last_export():
    return AuditEvent.objects.filter(action="party.export_members").order_by("-id").first()


@pytest.mark.parametrize("via", ["page", "api"])
def test_unmasked_export_round_trip(city, users, client_for, api_for, network, in_service, via):
    if via == "page":
        response = client_for("street").get(reverse("party:member_export"), {"unmasked": "1"})
    else:
        response = api_for("street").get(reverse("party-member-export-xlsx"), {"unmasked": "1"})
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    inside = {m.resident_id for m in PartyMember.objects.visible_to(users["street"])}
    assert {str(r["身份证号"]) for r in rows} == {city.id_numbers[pk] for pk in inside}
    event = _last_export()
    assert event.actor == users["street"] and event.after["unmasked"] is True
    before = _members()
    street_rows = {row for row in before if row[0] in inside}
    _fresh_state()
    client = api_for("street")
    imported = client.post(
        reverse("party-member-import-xlsx"), {"file": upload(response.content)}, format="multipart"
    )
    assert imported.status_code == 201, imported.content
    assert imported.json() == {"members": len(rows)}
    assert _members() == street_rows


def test_export_is_masked_unless_asked_and_allowed(city, users, client_for, network, monkeypatch):
    client = client_for("community_secretary")
    masked = read_xlsx(client.get(reverse("party:member_export")).content)
    assert masked and all("*" in str(r["身份证号"]) for r in masked)
    assert _last_export().after["unmasked"] is False
    # Out-of-scope members never appear, masked or not.
    inside = {m.resident_id for m in PartyMember.objects.visible_to(users["community_secretary"])}
    unmasked = read_xlsx(client.get(reverse("party:member_export"), {"unmasked": "1"}).content)
    assert {str(r["身份证号"]) for r in unmasked} == {city.id_numbers[pk] for pk in inside}
    # Without people.unmask_resident the request for full numbers is ignored (still masked, audited so).
    monkeypatch.setattr("gridgov.people.services.can_unmask", lambda actor: False)
    refused = read_xlsx(client.get(reverse("party:member_export"), {"unmasked": "1"}).content)
    assert all("*" in str(r["身份证号"]) for r in refused)
    assert _last_export().after["unmasked"] is False


def test_masked_export_does_not_import_and_changes_nothing(city, client_for, api_for, network):
    content = client_for("street").get(reverse("party:member_export")).content
    before = _members()
    _fresh_state()
    audit_rows = AuditEvent.objects.count()
    response = api_for("street").post(
        reverse("party-member-import-xlsx"), {"file": upload(content)}, format="multipart"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"身份证号"}
    assert _members() == set() and before
    assert AuditEvent.objects.count() == audit_rows


def test_unmasked_file_of_another_scope_is_refused(city, client_for, api_for, network):
    content = client_for("city_admin").get(reverse("party:member_export"), {"unmasked": "1"}).content
    _fresh_state()
    client = api_for("community_secretary")  # only 东一社区: the other rows are out of scope
    response = client.post(reverse("party-member-import-xlsx"), {"file": upload(content)}, format="multipart")
    assert response.status_code == 400 and "不在您的管辖范围内" in str(response.json())
    assert _members() == set()


@pytest.mark.parametrize("role", ["community_worker", "grid_worker", "property", "resident"])
def test_export_without_permission_is_403(city, client_for, api_for, network, role):
    client, api = client_for(role), api_for(role)
    audit_rows = AuditEvent.objects.filter(action="party.export_members").count()
    assert client.get(reverse("party:member_export"), {"unmasked": "1"}).status_code == 403
    assert api.get(reverse("party-member-export-xlsx"), {"unmasked": "1"}).status_code == 403
    assert AuditEvent.objects.filter(action="party.export_members").count() == audit_rows


def test_member_list_offers_the_unmasked_export(client_for, network):
    html = client_for("street").get(reverse("party:member_list")).content.decode()
    assert "unmasked=1" in html
