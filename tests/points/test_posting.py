"""Group commit (points/posting.py): concurrent requests share a batch, each gets its own answer."""

from __future__ import annotations

import threading
import time

import pytest

from gridgov.points import posting


class Recorder:
    """A processor that holds its first batch until `release` is set, so others queue up meanwhile."""

    def __init__(self, fail: bool = False):
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, requests):
        self.batches.append(list(requests))
        if len(self.batches) == 1:
            assert self.release.wait(5)
        if self.fail:
            raise RuntimeError("database gone")
        return [ValueError(f"refused {r}") if r % 2 else r * 10 for r in requests]


def _submit_all(batcher, requests, started_first):
    results: dict[int, object] = {}

    def client(r):
        try:
            results[r] = batcher.submit(r)
        except Exception as exc:
            results[r] = exc

    first = threading.Thread(target=client, args=(requests[0],))
    first.start()
    started_first()
    others = [threading.Thread(target=client, args=(r,)) for r in requests[1:]]
    for t in others:
        t.start()
    return first, others, results


def _wait_for_queue(batcher, n):
    deadline = time.monotonic() + 5
    while len(batcher._queue) < n:
        assert time.monotonic() < deadline, "requests did not queue"
        time.sleep(0.005)


def test_requests_arriving_together_share_one_batch_and_each_gets_its_answer(settings):
    settings.GRIDGOV_POINTS_BATCH_LEADERS = 1
    recorder = Recorder()
    batcher = posting.Batcher(recorder)
    first, others, results = _submit_all(batcher, [2, 4, 6, 8, 3], lambda: _wait_for_leader(recorder))
    _wait_for_queue(batcher, 4)
    recorder.release.set()
    for t in [first, *others]:
        t.join(5)
    assert recorder.batches[0] == [2]
    assert sorted(recorder.batches[1]) == [3, 4, 6, 8]  # the four that waited: one batch
    assert len(recorder.batches) == 2
    assert results[2] == 20 and results[4] == 40 and results[8] == 80
    assert isinstance(results[3], ValueError) and str(results[3]) == "refused 3"  # only its own refusal
    assert batcher._leaders == 0 and not batcher._queue


def test_a_failing_batch_reaches_every_waiter_and_the_batcher_recovers(settings):
    settings.GRIDGOV_POINTS_BATCH_LEADERS = 1
    recorder = Recorder(fail=True)
    batcher = posting.Batcher(recorder)
    first, others, results = _submit_all(batcher, [2, 4, 6], lambda: _wait_for_leader(recorder))
    _wait_for_queue(batcher, 2)
    recorder.release.set()
    for t in [first, *others]:
        t.join(5)
    assert all(isinstance(results[r], RuntimeError) for r in (2, 4, 6))
    assert batcher._leaders == 0 and not batcher._queue
    recorder.fail = False
    assert batcher.submit(10) == 100


def test_a_second_leader_serves_the_queue_while_the_first_batch_is_in_flight(settings):
    settings.GRIDGOV_POINTS_BATCH_LEADERS = 2
    recorder = Recorder()
    batcher = posting.Batcher(recorder)
    first, others, results = _submit_all(batcher, [2, 4, 6], lambda: _wait_for_leader(recorder))
    for t in others:
        t.join(5)  # served by the second leader while the first batch is still held
    assert results[4] == 40 and results[6] == 60
    assert 2 not in results
    recorder.release.set()
    first.join(5)
    assert results[2] == 20
    assert batcher._leaders == 0 and not batcher._queue


def _wait_for_leader(recorder):
    deadline = time.monotonic() + 5
    while not recorder.batches:
        assert time.monotonic() < deadline, "the first request was not served"
        time.sleep(0.005)


@pytest.mark.django_db
def test_inside_a_transaction_a_request_is_served_alone_on_the_callers_connection():
    recorder = Recorder()
    recorder.release.set()
    batcher = posting.Batcher(recorder)
    assert batcher.submit(4) == 40  # the db fixture wraps the test in a transaction
    assert recorder.batches == [[4]] and batcher._leaders == 0
