"""PII key versions (core.pii) and their rotation (core.pii_rotation, `python manage.py rotate_pii_key`).

The test city's residents are written under the embedded single key, which is version 1; the tests then
configure a second key (version 2, the current one) and rotate. A few responders add a second model with
the same two columns, one of them without a phone (a NULL column).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps

from gridgov.core import pii, pii_rotation
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.emergency import services as emergency_services
from gridgov.emergency.models import Responder
from gridgov.people import services as people_services
from gridgov.people.models import ID_PURPOSE, PHONE_PURPOSE, Resident
from tests.factories import unique_id_number

SYSTEM = SystemActor("tests.pii_rotation")
KEY2 = base64.b64encode(hashlib.sha256(b"the second key").digest()).decode()
KEY3 = base64.b64encode(bytes(range(32))).decode()
MODELS = (Resident, Responder)


# --- helpers --------------------------------------------------------------------------------------------
def _rows(model) -> models.QuerySet:
    return model.objects.unscoped("test reads every ciphertext").order_by("pk")


def _stored() -> dict[tuple[str, int], tuple[bytes, bytes | None]]:
    """(model, pk) -> the raw id and phone ciphertexts."""
    return {
        (model.__name__, pk): (bytes(id_cipher), None if phone is None else bytes(phone))
        for model in MODELS
        for pk, id_cipher, phone in _rows(model).values_list("pk", "id_cipher", "phone_cipher")
    }


def _plain() -> dict[tuple[str, int], tuple[str, str]]:
    """(model, pk) -> the decrypted id and phone numbers, through the registered purposes."""
    result = {}
    for model in MODELS:
        purposes = {c.field: c.purpose for c in pii.encrypted_columns() if c.model is model}
        for row in _rows(model):
            phone = row.phone_cipher
            result[(model.__name__, row.pk)] = (
                pii.decrypt(row.id_cipher, purpose=purposes["id_cipher"]),
                "" if phone is None else pii.decrypt(phone, purpose=purposes["phone_cipher"]),
            )
    return result


def _versions() -> set[int]:
    return {blob[0] for pair in _stored().values() for blob in pair if blob is not None}


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_pii_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _rotation_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=pii_rotation.AUDIT_ACTION).order_by("pk"))


@pytest.fixture
def responders(city) -> list[Responder]:
    employer = emergency_services.create_employer(SYSTEM, name="市直机关", code="PIIROT", area=city.city)
    made = []
    for i, phone in enumerate(("13900000001", "13900000002", "")):
        made.append(
            emergency_services.register_responder(
                SYSTEM,
                kind="cadre",
                name="轮换" + "甲乙丙"[i],
                id_number=unique_id_number(),
                employer=employer,
                community=city.communities[i % len(city.communities)],
                home_x=0.0,
                home_y=0.0,
                skills=["general"],
                phone=phone,
            )
        )
    return made


@pytest.fixture
def secrets(city, responders) -> set[str]:
    """Every plaintext stored: no output or audit row may contain one."""
    values = set(city.id_numbers.values()) | set(city.phones.values())
    for r in responders:
        values.add(pii.decrypt(r.id_cipher, purpose=b"emergency.responder.id_number"))
        if r.phone_cipher is not None:
            values.add(r.reveal_phone())
    return values


@pytest.fixture
def two_keys(settings, city, responders) -> str:
    """Version 1 = the key the city and the responders were written with, version 2 = a new key, current."""
    key1 = settings.GRIDGOV_PII_KEY
    settings.GRIDGOV_PII_KEYS = f"1:{key1},2:{KEY2}"
    settings.GRIDGOV_PII_KEY_VERSION = "2"
    return key1


# --- key versions ---------------------------------------------------------------------------------------
def test_the_single_key_is_version_1_and_existing_rows_read_under_the_ring(settings, city):
    assert pii.VERSION == b"\x01"
    assert pii.current_version() == 1
    assert pii.encrypt("13800000000", purpose=PHONE_PURPOSE)[:1] == pii.VERSION
    assert _versions() == {1}
    before = _plain()
    # The same key named explicitly as version 1 of a ring reads every existing row.
    settings.GRIDGOV_PII_KEYS = f"1:{settings.GRIDGOV_PII_KEY}"
    assert _plain() == before
    resident = city.resident_a
    assert _rows(Resident).get(pk=resident.pk).reveal_id_number() == city.id_numbers[resident.pk]


def test_new_ciphertexts_use_the_current_version(settings, two_keys):
    assert pii.encrypt("x", purpose=ID_PURPOSE)[0] == 2
    settings.GRIDGOV_PII_KEY_VERSION = "1"  # rolled out everywhere before switching to 2
    blob = pii.encrypt("x", purpose=ID_PURPOSE)
    assert blob[0] == 1
    settings.GRIDGOV_PII_KEY_VERSION = ""  # unset: the highest configured
    settings.GRIDGOV_PII_KEYS = f" 3:{KEY3} , 1:{two_keys},2:{KEY2}"
    assert pii.current_version() == 3
    assert pii.key_ring().versions == (1, 2, 3)
    assert pii.decrypt(pii.encrypt("y", purpose=ID_PURPOSE), purpose=ID_PURPOSE) == "y"
    assert pii.decrypt(blob, purpose=ID_PURPOSE) == "x"


def test_an_unknown_version_is_a_clear_pii_error(settings, two_keys, city):
    blob = pii.encrypt("11010519491231002X", purpose=ID_PURPOSE)
    with pytest.raises(pii.PIIError, match="unknown ciphertext version 7"):
        pii.decrypt(b"\x07" + blob[1:], purpose=ID_PURPOSE)
    # Removing the old key before rotating: version-1 rows are refused by name, not garbled.
    settings.GRIDGOV_PII_KEYS = f"2:{KEY2}"
    with pytest.raises(pii.PIIError, match="unknown ciphertext version 1"):
        _rows(Resident).get(pk=city.resident_a.pk).reveal_id_number()
    with pytest.raises(pii.PIIError, match="empty"):
        pii.decrypt(b"", purpose=ID_PURPOSE)


@pytest.mark.parametrize(
    ("keys", "version", "message"),
    [
        ("1", "", "each entry is <version>:<base64 key>"),
        ("x:" + KEY2, "", "whole number from 1 to 255"),
        ("0:" + KEY2, "", "whole number from 1 to 255"),
        ("256:" + KEY2, "", "whole number from 1 to 255"),
        (f"2:{KEY2},2:{KEY3}", "", "version 2 is given twice"),
        ("2:" + base64.b64encode(b"short").decode(), "", "32 bytes"),
        ("2:not base64!", "", "32 bytes"),
        ("2:" + KEY2, "3", "GRIDGOV_PII_KEY_VERSION=3 has no key"),
        ("", "2", "GRIDGOV_PII_KEY_VERSION=2 has no key"),
        ("2:" + KEY2, "two", "whole number from 1 to 255"),
    ],
)
def test_a_bad_key_configuration_is_refused_clearly(settings, keys, version, message):
    settings.GRIDGOV_PII_KEYS = keys
    settings.GRIDGOV_PII_KEY_VERSION = version
    with pytest.raises(pii.PIIError, match=message):
        pii.encrypt("x", purpose=ID_PURPOSE)


def test_the_command_refuses_a_bad_configuration_and_bad_arguments(settings, city):
    before = _stored()
    with pytest.raises(CommandError, match="--batch"):
        _run("--batch", "0")
    with pytest.raises(CommandError):
        _run("--dry-run", "--check")
    settings.GRIDGOV_PII_KEYS = "2:" + KEY2
    settings.GRIDGOV_PII_KEY_VERSION = "5"
    with pytest.raises(CommandError, match="密钥配置有误"):
        _run()
    assert _stored() == before
    assert _rotation_audits() == []


# --- rotation -------------------------------------------------------------------------------------------
def test_rotation_re_encrypts_every_row_under_the_new_version(two_keys, city, responders, secrets):
    before_plain, before_stored = _plain(), _stored()
    updated = dict(_rows(Resident).values_list("pk", "updated_at"))
    assert _versions() == {1}
    residents, with_phone = len(city.all_residents), sum(r.phone_cipher is not None for r in responders)

    with CaptureQueriesContext(connection) as queries:
        out, err = _run("--batch", "5")

    assert err == ""
    assert _plain() == before_plain  # the same plaintext, every row and column
    stored = _stored()
    assert _versions() == {2}
    assert all(stored[k][0] != before_stored[k][0] for k in stored)  # new ciphertext, not a copy
    assert dict(_rows(Resident).values_list("pk", "updated_at")) == updated  # not an edit of the resident
    assert "居民:已重新加密 5 / 18 行" in out and "居民:已重新加密 18 / 18 行" in out
    assert "居民:共重新加密 18 行" in out
    assert "应急人员:共重新加密 3 行" in out
    assert f"共重新加密 {residents + len(responders)} 行,现均为版本 2" in out
    # One batch of 5 rows at a time, each re-read under a row lock where the database has them.
    selects = [
        q["sql"] for q in queries.captured_queries if "people_resident" in q["sql"] and "SELECT" in q["sql"]
    ]
    assert len([s for s in selects if "LIMIT 5" in s]) == 5  # 4 batches + the empty one
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in s for s in selects if "LIMIT 5" in s)

    [event] = _rotation_audits()
    assert event.actor_label == "system:rotate_pii_key"
    assert event.source == "cli"
    assert event.after["version"] == 2 and event.after["completed"] is True
    assert event.after["rows"] == residents + len(responders)
    assert event.after["models"]["people.Resident"] == {
        "rows": residents,
        "values": {"id_cipher": residents, "phone_cipher": residents},
        "failed": [],
    }
    assert event.after["models"]["emergency.Responder"]["values"] == {
        "id_cipher": len(responders),
        "phone_cipher": with_phone,
    }
    # Nowhere a plaintext: not in the output, not in the audit row.
    recorded = json.dumps([event.before, event.after, event.object_repr], ensure_ascii=False)
    for secret in secrets:
        assert secret not in out and secret not in recorded


def test_a_second_run_re_encrypts_nothing(two_keys, city, responders):
    _run()
    stored = _stored()
    with CaptureQueriesContext(connection) as queries:
        out, _err = _run()
    assert _stored() == stored
    assert "居民:没有需要重新加密的行" in out and "应急人员:没有需要重新加密的行" in out
    assert "共重新加密 0 行" in out
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    first, second = _rotation_audits()
    assert second.after["rows"] == 0 and first.after["rows"] == len(city.all_residents) + len(responders)


def test_a_dry_run_counts_and_changes_nothing(two_keys, city, responders, secrets):
    before = _stored()
    with CaptureQueriesContext(connection) as queries:
        out, err = _run("--dry-run", "--batch", "7")
    assert _stored() == before and _versions() == {1}
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT", "DELETE"))]
    assert _rotation_audits() == []
    assert "居民:将重新加密 18 行" in out and "应急人员:将重新加密 3 行" in out
    assert "试运行:共 21 行将重新加密为版本 2,未做任何修改" in out
    assert err == ""
    assert not any(secret in out for secret in secrets)


def test_rows_written_under_the_new_version_during_and_after_a_rotation_are_skipped(two_keys, city):
    residents = [_rows(Resident).get(pk=r.pk) for r in city.all_residents]
    later = residents[-1]  # a row the first batch does not reach
    written: dict[str, object] = {}

    def writer(model_result: pii_rotation.ModelRotation, done: int) -> None:
        """Between the first and second batch, a phone is changed and another resident is registered."""
        if model_result.model is not Resident or done != 5 or written:
            return
        people_services.update_resident(SYSTEM, later, phone="13711112222")
        fresh = people_services.register_resident(
            SYSTEM,
            household=city.household_a,
            name="新登记",
            id_number=unique_id_number(),
            phone="13711113333",
            relation="other",
        )
        written["phone"] = bytes(_rows(Resident).get(pk=later.pk).phone_cipher)
        written["new"] = (fresh.pk, bytes(fresh.id_cipher), bytes(fresh.phone_cipher))

    result = pii_rotation.rotate(SYSTEM, batch=5, progress=writer)

    resident_result = next(m for m in result.models if m.model is Resident)
    assert resident_result.found == len(residents)  # counted before the writes
    assert resident_result.rows == len(residents)  # `later` still had its id under version 1
    assert resident_result.values == {"id_cipher": len(residents), "phone_cipher": len(residents) - 1}
    changed = _rows(Resident).get(pk=later.pk)
    assert bytes(changed.phone_cipher) == written["phone"]  # the writer's version-2 value, untouched
    assert changed.reveal_phone() == "13711112222"
    assert changed.reveal_id_number() == city.id_numbers[later.pk]
    new_pk, new_id, new_phone = written["new"]  # type: ignore[misc]
    fresh_row = _rows(Resident).get(pk=new_pk)
    assert (bytes(fresh_row.id_cipher), bytes(fresh_row.phone_cipher)) == (new_id, new_phone)
    assert _versions() == {2}

    # After the rotation: a row written now is under version 2 and the next run has nothing to do.
    after = people_services.register_resident(
        SYSTEM,
        household=city.household_a,
        name="后登记",
        id_number=unique_id_number(),
        phone="13711114444",
        relation="other",
    )
    assert bytes(after.id_cipher)[0] == 2
    stored = _stored()
    assert pii_rotation.rotate(SYSTEM).rows == 0
    assert _stored() == stored


def test_the_old_key_can_be_removed_after_rotation(settings, two_keys, city, responders):
    before = _plain()
    _run()
    settings.GRIDGOV_PII_KEYS = f"2:{KEY2}"  # version 1 gone; the current version is the only one
    settings.GRIDGOV_PII_KEY_VERSION = ""
    assert _plain() == before
    for resident in city.all_residents:
        row = _rows(Resident).get(pk=resident.pk)
        assert row.reveal_id_number() == city.id_numbers[resident.pk]
        assert row.reveal_phone() == city.phones[resident.pk]


def test_check_counts_what_is_left_under_an_old_version(settings, two_keys, city, responders, secrets):
    with pytest.raises(CommandError, match="仍有 21 行在旧密钥版本下") as refused:
        _run("--check")
    assert refused.value.returncode == 1
    _run()
    out, err = _run("--check")
    assert "没有行在旧密钥版本下(0 行),全部为版本 2" in out
    assert "可以从 GRIDGOV_PII_KEYS 中移除的旧密钥版本:1" in out
    assert "居民 身份证号(加密):版本 2,18 个值" in out
    assert "应急人员 手机号(加密):版本 2,2 个值" in out  # NULL phones are not values
    assert not any(secret in out + err for secret in secrets)
    # A third key written nowhere yet, then made current: every row is old again, nothing removable.
    settings.GRIDGOV_PII_KEYS = f"2:{KEY2},3:{KEY3}"
    settings.GRIDGOV_PII_KEY_VERSION = ""
    with pytest.raises(CommandError, match="仍有 21 行"):
        _run("--check")


def test_check_counts_rows_whose_key_is_missing(settings, two_keys, city):
    settings.GRIDGOV_PII_KEYS = f"2:{KEY2}"
    out = io.StringIO()
    with pytest.raises(CommandError, match="仍有 21 行"):
        call_command("rotate_pii_key", "--check", stdout=out)
    assert "居民 身份证号(加密):版本 1,18 个值(没有对应的密钥,无法读取)" in out.getvalue()


def test_an_undecryptable_value_is_listed_left_alone_and_the_rest_rotate(two_keys, city, secrets):
    damaged = city.residents[3]
    blob = bytearray(_rows(Resident).get(pk=damaged.pk).phone_cipher)
    blob[-1] ^= 1  # a flipped bit: the tag no longer matches
    _rows(Resident).filter(pk=damaged.pk).update(phone_cipher=bytes(blob))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 个值无法解密") as refused:
        call_command("rotate_pii_key", stdout=out, stderr=err)
    assert refused.value.returncode == 1
    assert f"居民 #{damaged.pk} 的 phone_cipher 无法解密(InvalidTag),未修改" in err.getvalue()
    row = _rows(Resident).get(pk=damaged.pk)
    assert bytes(row.phone_cipher) == bytes(blob)
    assert bytes(row.id_cipher)[0] == 2  # its other column was rotated
    others = [r for r in city.all_residents if r.pk != damaged.pk]
    assert all(bytes(_rows(Resident).get(pk=r.pk).phone_cipher)[0] == 2 for r in others)
    [event] = _rotation_audits()
    assert event.after["models"]["people.Resident"]["failed"] == [
        {"id": str(damaged.pk), "field": "phone_cipher", "reason": "InvalidTag"}
    ]
    text = out.getvalue() + err.getvalue() + json.dumps(event.after, ensure_ascii=False)
    assert not any(secret in text for secret in secrets)


# --- the registry ---------------------------------------------------------------------------------------
def test_every_cipher_column_is_registered():
    assert pii.unregistered_cipher_fields(apps.get_models()) == []
    registered = {(c.model._meta.label, c.field) for c in pii.encrypted_columns()}
    assert {
        ("people.Resident", "id_cipher"),
        ("people.Resident", "phone_cipher"),
        ("emergency.Responder", "id_cipher"),
        ("emergency.Responder", "phone_cipher"),
    } <= registered
    for column in pii.encrypted_columns():
        assert isinstance(column.model._meta.get_field(column.field), models.BinaryField)
        assert column.purpose


@isolate_apps("gridgov.core")
def test_an_unregistered_cipher_column_is_found():
    class Secretive(models.Model):
        secret_cipher = models.BinaryField()
        photo = models.BinaryField()  # not named *_cipher: not PII by convention

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return str(self.pk)

    assert pii.unregistered_cipher_fields([Secretive]) == ["core.Secretive.secret_cipher"]
    pii.register_column(Secretive, "secret_cipher", purpose=b"core.secretive")
    try:
        assert pii.unregistered_cipher_fields([Secretive]) == []
    finally:
        pii._COLUMNS.pop(("core.Secretive", "secret_cipher"))
