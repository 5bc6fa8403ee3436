"""Group commit for redemptions on PostgreSQL: concurrent requests of one process share a transaction.

A redemption's cost on the database is dominated by what every request pays once — round trips, the
commit's WAL flush, the balance update of the hot accounts — not by its few rows. So the threads of
a web process that redeem at the same moment hand their requests to one of them (the leader), which
serves up to GRIDGOV_POINTS_BATCH_MAX of them in one transaction
(`services.redemption._serve_redemptions`): one read of everything the requests need, the Python
validation per request (the same rules as on SQLite), then one round trip that takes the batch's
locks in the ledger's order (keys, stocked scenarios, account rows) and one that stores what Python
decided and moves each account's balance once (`gridgov_points_post`, pgsql.py) — one commit, each
request still refused on its own (not enough points, stock, monthly limit, key conflict) with nothing
of it written.

The leader serves waiting threads until the queue is empty, but hands the lead to the oldest waiting
thread as soon as its own request is done, so no request waits behind an endless stream of others.
Up to GRIDGOV_POINTS_BATCH_LEADERS leaders per process work at once, so one batch fills while another
commits.

Only for callers outside a transaction: a request made inside the caller's `atomic()` must commit or
roll back with it, so it is served alone on the caller's connection, in a savepoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

# Serves a batch: one result per request, or the exception that request raises.
Processor = Callable[[Sequence[Any]], list[Any]]


@dataclass(eq=False)
class _Pending:
    request: Any
    event: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    done: bool = False
    lead: bool = False


def _serve(process: Processor, requests: Sequence[Any]) -> list[Any]:
    for attempt in range(3):
        try:
            return process(requests)
        except OperationalError as exc:
            # A deadlock or serialisation failure undid the whole batch: serve it again.
            if getattr(exc.__cause__, "sqlstate", None) not in {"40P01", "40001"} or attempt == 2:
                raise
    raise AssertionError("unreachable")


class Batcher:
    def __init__(self, process: Processor) -> None:
        self._process = process
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._leaders = 0

    def submit(self, request: Any) -> Any:
        """The request's result; raises what serving it raised."""
        if connection.in_atomic_block:
            with transaction.atomic():
                result = _serve(self._process, [request])[0]
        else:
            mine = _Pending(request)
            with self._lock:
                self._queue.append(mine)
                lead = self._leaders < settings.GRIDGOV_POINTS_BATCH_LEADERS
                if lead:
                    self._leaders += 1
            if not lead and not mine.event.wait(timeout=60):
                raise TimeoutError("redemption batch did not answer")
            if not mine.done:  # leader from the start, or handed the lead
                self._lead(mine)
            result = mine.result
        if isinstance(result, BaseException):
            raise result
        return result

    def _lead(self, mine: _Pending) -> None:
        size = settings.GRIDGOV_POINTS_BATCH_MAX
        while True:
            with self._lock:
                if mine.done and self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.event.set()  # the lead passes on; the number of leaders stays
                    return
                batch, self._queue[:size] = self._queue[:size], []
                if not batch:
                    self._leaders -= 1
                    return
            try:
                results = _serve(self._process, [p.request for p in batch])
            except BaseException as exc:  # every waiter learns of it
                results = [exc] * len(batch)
            for p, result in zip(batch, results, strict=True):
                p.result, p.done = result, True
                if p is not mine:
                    p.event.set()
