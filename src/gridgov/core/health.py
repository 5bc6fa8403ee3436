"""`/healthz`: what a monitor asks every few seconds — can this instance reach its database, Redis and
the task queue? 200 when everything it depends on answers, 503 naming what does not. It reveals no rows
and needs no login (the monitor has none); it is cheap (one SELECT, one PING, one LLEN, one COUNT).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

CELERY_QUEUE = "celery"  # Celery's default queue (the platform routes every task there)


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check() or {}
    except Exception as exc:  # a health check reports the failure, never raises it
        return {
            "ok": False,
            "error": type(exc).__name__,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    return {"ok": True, **result, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def _redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"configured": False}  # the embedded default: eager tasks, local-memory cache
    _redis_client().ping()
    return {"configured": True}


def _queue() -> dict[str, Any]:
    from .models import DeferredTask

    deferred = DeferredTask.objects.count()
    if not settings.REDIS_URL:
        return {"eager": True, "deferred": deferred}
    return {"length": int(_redis_client().llen(CELERY_QUEUE)), "deferred": deferred}


def checks() -> dict[str, dict[str, Any]]:
    return {"database": _timed(_database), "redis": _timed(_redis), "queue": _timed(_queue)}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    result = checks()
    ok = all(part["ok"] for part in result.values())
    return JsonResponse({"status": "ok" if ok else "fail", **result}, status=200 if ok else 503)
