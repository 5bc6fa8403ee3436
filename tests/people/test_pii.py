"""Residents' personal data: only ciphertext, index and masked copy stored, masked everywhere, audited
unmasking (the primitives are tested in tests/core/test_pii.py)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core import pii
from gridgov.core.models import AuditEvent
from gridgov.people.models import ID_PURPOSE, Resident

from ..base import UNMASK_ROLES, VIEW_PEOPLE_ROLES
from ..helpers import read_xlsx

NOT_UNMASK_ROLES = [r for r in (*VIEW_PEOPLE_ROLES, "property", "resident") if r not in UNMASK_ROLES]


# --- stored rows --------------------------------------------------------------------------------------
def test_rows_store_only_ciphertext_index_and_masked_copy(city):
    resident = Resident.objects.unscoped("test").get(pk=city.resident_a.pk)
    number, phone = city.id_numbers[resident.pk], city.phones[resident.pk]
    assert number.encode() not in bytes(resident.id_cipher)
    assert phone.encode() not in bytes(resident.phone_cipher)
    assert resident.reveal_id_number() == number
    assert resident.reveal_phone() == phone
    assert resident.id_index == pii.blind_index(number, purpose=ID_PURPOSE)
    assert resident.id_masked == number[:6] + "********" + number[-4:]
    assert resident.phone_masked == phone[:3] + "****" + phone[-4:]
    stored = [
        str(v) for v in Resident.objects.unscoped("test").filter(pk=resident.pk).values().get().values()
    ]
    assert number not in stored
    assert phone not in stored


def test_audit_rows_never_hold_full_numbers(city):
    dumped = json.dumps(list(AuditEvent.objects.values("before", "after", "object_repr")), ensure_ascii=False)
    assert AuditEvent.objects.filter(action="people.register_resident").count() == len(city.all_residents)
    for number in city.id_numbers.values():
        assert number not in dumped
    for phone in city.phones.values():
        assert phone not in dumped


# --- nothing shows full numbers -----------------------------------------------------------------------
def _assert_no_full_numbers(city, content: bytes) -> None:
    text = content.decode()
    for pk, number in city.id_numbers.items():
        assert number not in text, f"full ID number of resident {pk} leaked"
    for pk, phone in city.phones.items():
        assert phone not in text, f"full phone of resident {pk} leaked"


@pytest.mark.parametrize("role", VIEW_PEOPLE_ROLES)
def test_api_never_shows_full_numbers(role, city, api_for):
    client = api_for(role)
    urls = [
        reverse("resident-list") + "?page_size=500",
        reverse("resident-detail", args=[city.resident_a.pk]),
        reverse("household-list"),
        reverse("household-detail", args=[city.household_a.pk]),
        reverse("area-detail", args=[city.unit_a.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_no_full_numbers(city, response.content)
    body = client.get(reverse("resident-detail", args=[city.resident_a.pk])).json()
    assert "*" in body["id_masked"] and "*" in body["phone_masked"]


@pytest.mark.parametrize("role", VIEW_PEOPLE_ROLES)
def test_pages_never_show_full_numbers(role, city, client_for):
    client = client_for(role)
    urls = [
        reverse("people:resident_list"),
        reverse("people:resident_detail", args=[city.resident_a.pk]),
        reverse("people:household_list"),
        reverse("people:household_detail", args=[city.household_a.pk]),
        reverse("areas:detail", args=[city.unit_a.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_no_full_numbers(city, response.content)


def test_search_by_full_number_shows_only_the_masked_match(city, client_for):
    """The page echoes the typed query back, but shows no stored full number."""
    wanted = city.id_numbers[city.resident_a.pk]
    client = client_for("grid_worker")
    html = client.post(reverse("people:resident_list"), {"q": wanted}).content.decode()
    assert city.resident_a.id_masked in html
    assert city.residents[1].name not in html  # the other member of the household does not match
    for pk, number in city.id_numbers.items():
        if pk != city.resident_a.pk:
            assert number not in html
    assert city.phones[city.resident_a.pk] not in html


def test_masked_export_has_no_full_numbers(city, api_for):
    response = api_for("community_worker").get(reverse("resident-export-xlsx"), {"unmasked": "1"})
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert len(rows) == 4  # the community's two grids, one household of two each
    assert {r["身份证号"] for r in rows} == {r.id_masked for r in city.residents[:4]}
    text = json.dumps(rows, ensure_ascii=False, default=str)
    _assert_no_full_numbers(city, text.encode())
    assert AuditEvent.objects.get(action="people.export").after["unmasked"] is False


# --- unmasking ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", UNMASK_ROLES)
def test_api_unmask_returns_full_numbers_and_audits_each_call(role, city, users, api_for):
    resident = city.resident_a
    client = api_for(role)
    for call in (1, 2):
        response = client.post(reverse("resident-unmask", args=[resident.pk]))
        assert response.status_code == 200
        assert response.json() == {
            "id_number": city.id_numbers[resident.pk],
            "phone": city.phones[resident.pk],
            "birth_date": resident.birth_date.isoformat(),
        }
        events = AuditEvent.objects.filter(action="people.unmask", actor=users[role])
        assert events.count() == call
    event = events.latest("id")
    assert event.object_id == str(resident.pk)
    assert event.area_path == resident.area_path
    assert event.source == "api"
    assert event.request_id


@pytest.mark.parametrize("role", NOT_UNMASK_ROLES)
def test_api_unmask_without_permission_is_403_and_unaudited(role, city, api_for):
    response = api_for(role).post(reverse("resident-unmask", args=[city.resident_a.pk]))
    assert response.status_code == 403
    _assert_no_full_numbers(city, response.content)
    assert not AuditEvent.objects.filter(action="people.unmask").exists()


def test_api_unmask_needs_post(city, api_for):
    response = api_for("street").get(reverse("resident-unmask", args=[city.resident_a.pk]))
    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="people.unmask").exists()


@pytest.mark.parametrize("role", UNMASK_ROLES)
def test_page_unmask_returns_full_numbers_and_audits(role, city, users, client_for):
    resident = city.resident_a
    client = client_for(role)
    detail = client.get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    assert 'data-testid="unmask"' in detail
    response = client.post(reverse("people:resident_unmask", args=[resident.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert city.id_numbers[resident.pk] in html
    assert city.phones[resident.pk] in html
    event = AuditEvent.objects.get(action="people.unmask", actor=users[role])
    assert event.source == "web"
    assert event.object_id == str(resident.pk)


def test_unmask_is_limited_per_login_and_hour(city, users, api_for, client_for, settings):
    """The third unmask within the hour is refused (429, Chinese reason, Retry-After), shows no number and
    leaves no audit row; another login is not affected; an hour later the first may unmask again."""
    import datetime as dt

    settings.GRIDGOV_UNMASK_PER_HOUR = 2
    resident = city.resident_a
    api = api_for("street")
    for _ in range(2):
        assert api.post(reverse("resident-unmask", args=[resident.pk])).status_code == 200
    refused = api.post(reverse("resident-unmask", args=[resident.pk]))
    assert refused.status_code == 429
    assert "上限" in refused.json()["detail"] and 0 < int(refused["Retry-After"]) <= 3600
    _assert_no_full_numbers(city, refused.content)
    page = client_for("street").post(reverse("people:resident_unmask", args=[resident.pk]))
    assert page.status_code == 429 and 'data-testid="unmask-refused"' in page.content.decode()
    _assert_no_full_numbers(city, page.content)
    mine = AuditEvent.objects.filter(action="people.unmask", actor=users["street"])
    assert mine.count() == 2
    assert api_for("district").post(reverse("resident-unmask", args=[resident.pk])).status_code == 200
    mine.update(created_at=timezone.now() - dt.timedelta(hours=1, seconds=1))
    assert api.post(reverse("resident-unmask", args=[resident.pk])).status_code == 200


@pytest.mark.parametrize("role", NOT_UNMASK_ROLES)
def test_page_unmask_without_permission_is_403_and_unaudited(role, city, client_for):
    client = client_for(role)
    response = client.post(reverse("people:resident_unmask", args=[city.resident_a.pk]))
    assert response.status_code == 403
    _assert_no_full_numbers(city, response.content)
    assert not AuditEvent.objects.filter(action="people.unmask").exists()
    if role in VIEW_PEOPLE_ROLES:
        detail = client.get(reverse("people:resident_detail", args=[city.resident_a.pk])).content.decode()
        assert 'data-testid="unmask"' not in detail


def test_page_unmask_needs_post(city, client_for):
    response = client_for("street").get(reverse("people:resident_unmask", args=[city.resident_a.pk]))
    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="people.unmask").exists()


# --- the masked number cannot be rebuilt from what is shown ---------------------------------------------
def test_birth_date_is_not_shown_next_to_the_masked_number(city, api_for, client_for, users):
    """The mask hides the 8 birth-date digits; showing the birth date beside it would undo the mask."""
    resident = city.residents[0]
    hidden = resident.birth_date.strftime("%Y%m%d")
    data = api_for("street").get(reverse("resident-detail", args=[resident.pk])).json()
    assert "birth_date" not in data
    assert hidden not in str(data)
    html = client_for("street").get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    assert resident.birth_date.isoformat() not in html


def test_audit_snapshots_leave_out_the_birth_date(city, users):
    from gridgov.core.models import AuditEvent
    from gridgov.people import services

    resident = city.residents[0]
    services.update_resident(users["street"], resident, name="改名人")
    event = AuditEvent.objects.filter(action="people.update_resident").latest("id")
    assert "birth_date" not in event.before and "birth_date" not in event.after
    assert "id_index" not in event.after
    assert event.after["name"] == "改名人"


def test_unmask_reveals_the_birth_date_too(city, api_for):
    resident = city.residents[0]
    data = api_for("street").post(reverse("resident-unmask", args=[resident.pk])).json()
    assert data["birth_date"] == resident.birth_date.isoformat()


@pytest.mark.parametrize("kind", ["id", "phone"])
def test_a_whole_number_in_an_address_is_refused_not_searched(kind, city, client_for, api_for):
    """Full ID and phone numbers are searched by POST only (they would land in server logs and history)."""
    wanted = (city.id_numbers if kind == "id" else city.phones)[city.resident_a.pk]
    html = client_for("grid_worker").get(reverse("people:resident_list"), {"q": wanted}).content.decode()
    assert "不能放在网址中查询" in html and city.resident_a.id_masked not in html
    response = api_for("grid_worker").get(reverse("resident-list"), {"q": wanted})
    assert response.status_code == 400 and "q" in response.json()
    # The last four digits, a name or its pinyin stay ordinary GET searches.
    html = (
        client_for("grid_worker")
        .get(reverse("people:resident_list"), {"q": city.resident_a.id_tail})
        .content.decode()
    )
    assert city.resident_a.id_masked in html


def test_the_page_answers_a_post_search_without_caching_or_pushing_it(city, client_for):
    wanted = city.id_numbers[city.resident_a.pk]
    response = client_for("grid_worker").post(
        reverse("people:resident_list"), {"q": wanted}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == "false" and response["Cache-Control"] == "no-store"
    assert city.resident_a.id_masked in response.content.decode()
    assert city.residents[1].name not in response.content.decode()


def test_the_api_searches_whole_numbers_by_post(city, users, api_for):
    client = api_for("grid_worker")
    url = reverse("resident-search")
    wanted = city.id_numbers[city.resident_a.pk]
    response = client.post(url, {"q": wanted}, format="json")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [city.resident_a.pk]
    assert wanted not in response.content.decode()  # the answer masks it like the list
    phone = client.post(url, {"q": city.phones[city.resident_a.pk], "ignored": 1}, format="json")
    assert [r["id"] for r in phone.json()["results"]] == [city.resident_a.pk]
    for bad in ([wanted], {"q": {"a": 1}}, {"q": True}, {"min_age": -1}, {"q": "x" * 51}):
        assert client.post(url, bad, format="json").status_code == 400, bad
    worker = users["grid_worker"]
    other = next(r for r in city.all_residents if not r.area_path.startswith(worker.area_path))
    outside = client.post(url, {"q": city.id_numbers[other.pk]}, format="json")
    assert outside.status_code == 200
    assert outside.json()["results"] == []  # another grid's resident is not found, even by whole number
