"""Personal data primitives (core.pii): encryption at rest and blind indexes."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from gridgov.core import pii
from gridgov.people.models import ID_PURPOSE, PHONE_PURPOSE


# --- primitives ---------------------------------------------------------------------------------------
@given(st.text(max_size=200))
def test_encryption_round_trip(plain):
    blob = pii.encrypt(plain, purpose=ID_PURPOSE)
    assert pii.decrypt(blob, purpose=ID_PURPOSE) == plain
    assert pii.decrypt(memoryview(blob), purpose=ID_PURPOSE) == plain


@given(st.text(min_size=1, max_size=50))
def test_ciphertext_differs_each_time_and_hides_the_plaintext(plain):
    first, second = pii.encrypt(plain, purpose=ID_PURPOSE), pii.encrypt(plain, purpose=ID_PURPOSE)
    assert first != second
    assert first[1:13] != second[1:13]  # fresh nonce
    assert first[:1] == pii.VERSION
    if len(plain.encode()) >= 4:
        assert plain.encode() not in first


def test_purpose_is_bound():
    blob = pii.encrypt("11010519491231002X", purpose=ID_PURPOSE)
    with pytest.raises(InvalidTag):
        pii.decrypt(blob, purpose=PHONE_PURPOSE)


def test_tampered_or_unknown_ciphertext_is_refused():
    blob = bytearray(pii.encrypt("13800000000", purpose=PHONE_PURPOSE))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        pii.decrypt(bytes(blob), purpose=PHONE_PURPOSE)
    with pytest.raises(pii.PIIError):
        pii.decrypt(b"\x02" + bytes(blob[1:]), purpose=PHONE_PURPOSE)
    with pytest.raises(pii.PIIError):
        pii.decrypt(b"", purpose=PHONE_PURPOSE)


def test_other_key_cannot_decrypt(settings):
    blob = pii.encrypt("secret", purpose=ID_PURPOSE)
    settings.GRIDGOV_PII_KEY = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(InvalidTag):
        pii.decrypt(blob, purpose=ID_PURPOSE)


def test_short_key_is_refused(settings):
    settings.GRIDGOV_PII_KEY = base64.b64encode(b"short").decode()
    with pytest.raises(pii.PIIError):
        pii.encrypt("x", purpose=ID_PURPOSE)


@given(st.text(max_size=40), st.text(max_size=40))
def test_blind_index_is_stable_and_separates_values(a, b):
    index = pii.blind_index(a, purpose=ID_PURPOSE)
    assert index == pii.blind_index(a, purpose=ID_PURPOSE)
    assert len(index) == 64
    assert (index == pii.blind_index(b, purpose=ID_PURPOSE)) == (a == b)
    assert index != pii.blind_index(a, purpose=PHONE_PURPOSE)


def test_blind_index_depends_on_its_key(settings):
    index = pii.blind_index("11010519491231002X", purpose=ID_PURPOSE)
    settings.GRIDGOV_PII_INDEX_KEY = base64.b64encode(b"i" * 32).decode()
    assert pii.blind_index("11010519491231002X", purpose=ID_PURPOSE) != index
