"""The deployment checks (`manage.py check`, `make prod-check`): bad personal-data keys are errors
everywhere; the embedded defaults are errors or warnings only when checking a deployment."""

from __future__ import annotations

import base64
import os

from django.test import override_settings

from gridgov.core import system_checks


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _ids(messages) -> set[str]:
    return {m.id for m in messages}


def test_the_test_settings_have_usable_keys():
    assert system_checks.pii_keys() == []


@override_settings(GRIDGOV_PII_KEY="not base64!", GRIDGOV_PII_KEYS="")
def test_a_malformed_key_is_an_error():
    assert _ids(system_checks.pii_keys()) == {"gridgov.E001"}


@override_settings(GRIDGOV_PII_KEYS="1:" + base64.b64encode(b"short").decode())
def test_a_short_versioned_key_is_an_error():
    assert _ids(system_checks.pii_keys()) == {"gridgov.E001"}


def test_the_index_key_must_not_be_an_encryption_key():
    key = _key()
    with override_settings(GRIDGOV_PII_KEY=key, GRIDGOV_PII_INDEX_KEY=key, GRIDGOV_PII_KEYS=""):
        assert _ids(system_checks.pii_keys()) == {"gridgov.E003"}
    with override_settings(GRIDGOV_PII_KEYS=f"1:{_key()},2:{key}", GRIDGOV_PII_INDEX_KEY=key):
        assert _ids(system_checks.pii_keys()) == {"gridgov.E003"}


def test_embedded_defaults_fail_a_deployment_check():
    with override_settings(SECRET_KEY="gridgov-embedded-development-key-not-for-production"):
        from django.conf import settings

        derived = {
            "GRIDGOV_PII_KEY": system_checks._derived("pii-encryption"),
            "GRIDGOV_PII_INDEX_KEY": system_checks._derived("pii-blind-index"),
        }
        with override_settings(REDIS_URL="", GRIDGOV_PII_KEYS="", **derived):
            found = _ids(system_checks.deployment_defaults())
            assert {"gridgov.E010", "gridgov.E011", "gridgov.E012", "gridgov.W013"} <= found
            assert ("gridgov.W014" in found) == settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


@override_settings(
    SECRET_KEY="a-real-secret-from-the-secret-store-0123456789",
    GRIDGOV_PII_KEY=_key(),
    GRIDGOV_PII_INDEX_KEY=_key(),
    GRIDGOV_PII_KEYS="",
    REDIS_URL="redis://127.0.0.1:6379/0",
)
def test_a_configured_deployment_passes():
    assert not {m.id for m in system_checks.deployment_defaults()} & {
        "gridgov.E010",
        "gridgov.E011",
        "gridgov.E012",
        "gridgov.W013",
    }
