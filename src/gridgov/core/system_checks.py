"""Django system checks for what a deployment must get right (`manage.py check`; `make prod-check` runs
them with `--deploy`). A bad personal-data key is an error everywhere: the platform could not read or
write an ID number. Keys and services left at the embedded defaults are errors only for a deployment.
"""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from . import pii

DEV_SECRET_PREFIX = "gridgov-embedded-development-key"  # noqa: S105 - recognised, never used as a key


def _derived(label: str) -> str:
    # The embedded default derives the personal-data keys from SECRET_KEY (settings._derived_key).
    return base64.b64encode(hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()).decode()


@register(Tags.security)
def pii_keys(app_configs=None, **kwargs):
    errors: list[CheckMessage] = []
    try:
        ring = pii.key_ring()
        pii.blind_index("check", purpose=b"system-check")
    except pii.PIIError as exc:
        return [Error(str(exc), hint="docs/deploy.md: GRIDGOV_PII_KEY / GRIDGOV_PII_KEYS", id="gridgov.E001")]
    except Exception as exc:  # e.g. a blind-index key that is not base64
        return [Error(f"personal-data keys: {exc}", id="gridgov.E002")]
    index_key = getattr(settings, "GRIDGOV_PII_INDEX_KEY", "")
    encryption_keys = {settings.GRIDGOV_PII_KEY} | {
        entry.partition(":")[2].strip()
        for entry in (getattr(settings, "GRIDGOV_PII_KEYS", "") or "").split(",")
    }
    if index_key and index_key in encryption_keys:
        errors.append(
            Error(
                "GRIDGOV_PII_INDEX_KEY is also an encryption key: keep the blind-index key separate",
                id="gridgov.E003",
            )
        )
    if ring.current not in ring.versions:  # pragma: no cover - _ring refuses this already
        errors.append(Error("no key for the current version", id="gridgov.E004"))
    return errors


@register(Tags.security, deploy=True)
def deployment_defaults(app_configs=None, **kwargs):
    problems: list[CheckMessage] = []
    if settings.SECRET_KEY.startswith(DEV_SECRET_PREFIX):
        problems.append(
            Error("SECRET_KEY is the embedded development key", hint="set SECRET_KEY", id="gridgov.E010")
        )
    if _derived("pii-encryption") == settings.GRIDGOV_PII_KEY and not getattr(
        settings, "GRIDGOV_PII_KEYS", ""
    ):
        problems.append(
            Error(
                "GRIDGOV_PII_KEY is derived from SECRET_KEY (the embedded default)",
                hint="set GRIDGOV_PII_KEY to 32 random bytes, base64, kept apart from SECRET_KEY (docs/deploy.md)",
                id="gridgov.E011",
            )
        )
    if _derived("pii-blind-index") == settings.GRIDGOV_PII_INDEX_KEY:
        problems.append(
            Error(
                "GRIDGOV_PII_INDEX_KEY is derived from SECRET_KEY (the embedded default)",
                hint="set GRIDGOV_PII_INDEX_KEY to 32 random bytes, base64 (docs/deploy.md)",
                id="gridgov.E012",
            )
        )
    if not settings.REDIS_URL:
        problems.append(
            Warning(
                "REDIS_URL is not set: tasks run inside requests (eager)",
                hint="docs/deploy.md",
                id="gridgov.W013",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "the database is the embedded SQLite file",
                hint="set DATABASE_URL to PostgreSQL for a city (docs/deploy.md)",
                id="gridgov.W014",
            )
        )
    if not getattr(settings, "GRIDGOV_CSP", "default"):
        problems.append(
            Warning("the Content-Security-Policy is turned off (GRIDGOV_CSP='')", id="gridgov.W015")
        )
    return problems
