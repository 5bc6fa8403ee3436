"""The SMS channel: a pluggable backend (settings.GRIDGOV_SMS_BACKEND, a dotted path); the default logs.

A backend has `send_many(messages)` taking (phone, text) pairs; it is called after the activation's
transaction commits, so a rolled-back activation never texts anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from gridgov.core import idcard

log = logging.getLogger("gridgov.emergency.sms")


class SmsBackend(Protocol):
    def send_many(self, messages: Iterable[tuple[str, str]]) -> int: ...


class LoggingBackend:
    """Writes one log line per message with the phone number masked."""

    def send_many(self, messages: Iterable[tuple[str, str]]) -> int:
        sent = 0
        for phone, text in messages:
            log.info("sms to %s: %s", idcard.mask_phone(phone), text)
            sent += 1
        return sent


class MemoryBackend:
    """Keeps messages in `outbox` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send_many(self, messages: Iterable[tuple[str, str]]) -> int:
        batch = list(messages)
        MemoryBackend.outbox.extend(batch)
        return len(batch)


def backend() -> SmsBackend:
    path = getattr(settings, "GRIDGOV_SMS_BACKEND", "gridgov.emergency.sms.LoggingBackend")
    return import_string(path)()
