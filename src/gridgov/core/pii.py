"""Encryption at rest for personal identifiers, with blind indexes for exact lookup.

Ciphertext layout: 1 version byte, 12-byte random nonce, AES-256-GCM ciphertext and tag. The blind
index is HMAC-SHA256 under a separate key, so equal values can be found without decrypting and
the index alone reveals nothing without the key.

Key versions. The version byte names the key a ciphertext was written with. `GRIDGOV_PII_KEYS`
("<version>:<base64 key>,<version>:<base64 key>", versions 1–255) holds every key still needed to read,
and `GRIDGOV_PII_KEY_VERSION` the one new ciphertexts are written with (default: the highest). Without
`GRIDGOV_PII_KEYS` the single `GRIDGOV_PII_KEY` is version 1 — the layout of every ciphertext written before
versions existed, so those stay readable unchanged. `decrypt` picks the key by the version byte; a version
without a key is a `PIIError`. `python manage.py rotate_pii_key` (core/pii_rotation.py) re-encrypts every
registered column under the current version; the blind-index key is not versioned (docs/hardening.md).

Every encrypted column is registered here (`register_column`, next to the model that declares it), so the
rotation cannot forget one; tests/core/test_pii_rotation.py fails for a `*_cipher` BinaryField that is not.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

if TYPE_CHECKING:
    from django.db import models

VERSION = b"\x01"  # the version byte of the single-key layout (GRIDGOV_PII_KEY alone)
LEGACY_VERSION = VERSION[0]
MAX_VERSION = 255
NONCE_BYTES = 12


class PIIError(ValueError):
    pass


# --- keys ---------------------------------------------------------------------------------------------
@functools.cache
def _aead(key_b64: str, name: str = "GRIDGOV_PII_KEY") -> AESGCM:
    try:
        key = base64.b64decode(key_b64)
    except (binascii.Error, ValueError) as exc:
        raise PIIError(f"{name} must be 32 bytes, base64-encoded") from exc
    if len(key) != 32:
        raise PIIError(f"{name} must be 32 bytes, base64-encoded")
    return AESGCM(key)


@dataclass(frozen=True)
class KeyRing:
    current: int  # the version new ciphertexts are written with
    versions: tuple[int, ...]  # every version that can be read, ascending
    _aeads: tuple[tuple[int, AESGCM], ...]

    def aead(self, version: int) -> AESGCM:
        for v, aead in self._aeads:
            if v == version:
                return aead
        raise PIIError(
            f"unknown ciphertext version {version}: no key with this version is configured "
            f"(GRIDGOV_PII_KEYS has {', '.join(map(str, self.versions))})"
        )


def _parse_version(text: str, name: str) -> int:
    try:
        version = int(text.strip())
    except ValueError as exc:
        raise PIIError(f"{name}: the version must be a whole number from 1 to {MAX_VERSION}") from exc
    if not 1 <= version <= MAX_VERSION:
        raise PIIError(f"{name}: the version must be a whole number from 1 to {MAX_VERSION}")
    return version


@functools.cache
def _ring(keys_setting: str, single_key: str, version_setting: str) -> KeyRing:
    keys: dict[int, AESGCM] = {}
    if keys_setting.strip():
        for entry in keys_setting.split(","):
            if not entry.strip():
                continue
            version_text, sep, key_b64 = entry.partition(":")
            if not sep or not key_b64.strip():
                raise PIIError("GRIDGOV_PII_KEYS: each entry is <version>:<base64 key>, separated by commas")
            version = _parse_version(version_text, "GRIDGOV_PII_KEYS")
            if version in keys:
                raise PIIError(f"GRIDGOV_PII_KEYS: version {version} is given twice")
            keys[version] = _aead(key_b64.strip(), f"GRIDGOV_PII_KEYS (version {version})")
    else:
        keys[LEGACY_VERSION] = _aead(single_key)
    if version_setting.strip():
        current = _parse_version(version_setting, "GRIDGOV_PII_KEY_VERSION")
        if current not in keys:
            raise PIIError(f"GRIDGOV_PII_KEY_VERSION={current} has no key in GRIDGOV_PII_KEYS")
    else:
        current = max(keys)
    versions = tuple(sorted(keys))
    return KeyRing(current=current, versions=versions, _aeads=tuple((v, keys[v]) for v in versions))


def key_ring() -> KeyRing:
    """The configured keys (read from settings each time, so overriding them in tests takes effect)."""
    version = getattr(settings, "GRIDGOV_PII_KEY_VERSION", None)
    return _ring(
        getattr(settings, "GRIDGOV_PII_KEYS", "") or "",
        settings.GRIDGOV_PII_KEY,
        "" if version is None else str(version),
    )


def current_version() -> int:
    return key_ring().current


def version_of(blob: bytes | memoryview) -> int:
    data = bytes(blob)
    if len(data) <= 1 + NONCE_BYTES:
        raise PIIError("not a ciphertext: too short")
    return data[0]


# --- encryption ---------------------------------------------------------------------------------------
def encrypt(plain: str, *, purpose: bytes) -> bytes:
    """`purpose` is bound as associated data: an ID ciphertext cannot be passed off as a phone."""
    ring = key_ring()
    nonce = os.urandom(NONCE_BYTES)
    return bytes([ring.current]) + nonce + ring.aead(ring.current).encrypt(nonce, plain.encode(), purpose)


def decrypt(blob: bytes | memoryview, *, purpose: bytes) -> str:
    data = bytes(blob)
    if not data:
        raise PIIError("unknown ciphertext version: empty ciphertext")
    aead = key_ring().aead(data[0])
    return aead.decrypt(data[1 : 1 + NONCE_BYTES], data[1 + NONCE_BYTES :], purpose).decode()


def reencrypt(blob: bytes | memoryview, *, purpose: bytes) -> bytes | None:
    """The same plaintext under the current version, or None when the blob already is under it."""
    if version_of(blob) == current_version():
        return None
    return encrypt(decrypt(blob, purpose=purpose), purpose=purpose)


def blind_index(plain: str, *, purpose: bytes) -> str:
    key = _index_key(settings.GRIDGOV_PII_INDEX_KEY)
    return hmac.new(key, purpose + b":" + plain.encode(), hashlib.sha256).hexdigest()


@functools.cache
def _index_key(key_b64: str) -> bytes:
    return base64.b64decode(key_b64)


# --- the registry of encrypted columns ----------------------------------------------------------------
@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: str
    purpose: bytes


_COLUMNS: dict[tuple[str, str], EncryptedColumn] = {}


def register_column(model: type[models.Model], field: str, *, purpose: bytes) -> None:
    """Declare an encrypted column and the purpose its values are bound to (call it next to the model)."""
    _COLUMNS[(model._meta.label, field)] = EncryptedColumn(model, field, purpose)


def encrypted_columns() -> list[EncryptedColumn]:
    """Every registered column, grouped by model in the order the models registered them."""
    return list(_COLUMNS.values())


def unregistered_cipher_fields(all_models: Iterable[type[models.Model]]) -> list[str]:
    """`app.Model.field` for every `*_cipher` BinaryField of these models that is not registered."""
    from django.db import models as db_models

    missing = []
    for model in all_models:
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, db_models.BinaryField)
                and field.name.endswith("_cipher")
                and (model._meta.label, field.name) not in _COLUMNS
            ):
                missing.append(f"{model._meta.label}.{field.name}")
    return missing
