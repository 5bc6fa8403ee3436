"""Encryption at rest for personal identifiers, with blind indexes for exact lookup.

Ciphertext layout: 1 version byte, 12-byte random nonce, AES-256-GCM ciphertext and tag. The blind
index is HMAC-SHA256 under a separate key, so equal values can be found without decrypting and
the index alone reveals nothing without the key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = b"\x01"


class PIIError(ValueError):
    pass


@functools.cache
def _aead(key_b64: str) -> AESGCM:
    key = base64.b64decode(key_b64)
    if len(key) != 32:
        raise PIIError("GRIDGOV_PII_KEY must be 32 bytes, base64-encoded")
    return AESGCM(key)


@functools.cache
def _index_key(key_b64: str) -> bytes:
    return base64.b64decode(key_b64)


def encrypt(plain: str, *, purpose: bytes) -> bytes:
    """`purpose` is bound as associated data: an ID ciphertext cannot be passed off as a phone."""
    nonce = os.urandom(12)
    return VERSION + nonce + _aead(settings.GRIDGOV_PII_KEY).encrypt(nonce, plain.encode(), purpose)


def decrypt(blob: bytes | memoryview, *, purpose: bytes) -> str:
    data = bytes(blob)
    if not data or data[:1] != VERSION:
        raise PIIError("unknown ciphertext version")
    return _aead(settings.GRIDGOV_PII_KEY).decrypt(data[1:13], data[13:], purpose).decode()


def blind_index(plain: str, *, purpose: bytes) -> str:
    key = _index_key(settings.GRIDGOV_PII_INDEX_KEY)
    return hmac.new(key, purpose + b":" + plain.encode(), hashlib.sha256).hexdigest()
