"""The leased work queue: exclusive claims, expiry, renew, release, backoff, dead letters, priority."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from firebreak.act import (
    check,
    claim,
    complete,
    enqueue,
    fail,
    items,
    queue_stats,
    release,
    renew,
    retry_dead,
)
from firebreak.act.queue import MINORS_BOOST_S, RISK_BOOST_S, priority_boost
from firebreak.errors import LeaseLost
from firebreak.store import Store
from firebreak.store.schema import work_items


def _skip_backoff(store: Store) -> None:
    """Pretend the backoff has passed (make every item available now)."""
    with store.transaction() as conn:
        conn.execute(work_items.update().values(available_at=work_items.c.due_at))


def test_claims_are_exclusive_and_complete_once(store: Store) -> None:
    enqueue(store, "case", [f"c{i}" for i in range(5)])
    assert enqueue(store, "case", ["c0"]) == 0  # idempotent
    first = claim(store, "case", "ana", n=3)
    second = claim(store, "case", "ben", n=3)
    assert len(first) == 3 and len(second) == 2
    assert not {lease.subject for lease in first} & {lease.subject for lease in second}
    assert claim(store, "case", "cy") == []
    complete(store, first[0])
    with pytest.raises(LeaseLost):
        complete(store, first[0])
    assert queue_stats(store).counts[("case", "done")] == 1


def test_concurrent_claimers_never_share_an_item(store: Store) -> None:
    enqueue(store, "report", [f"r{i}" for i in range(60)])
    got: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while leases := claim(store, "report", name, n=4):
            with lock:
                got.extend(lease.subject for lease in leases)
            for lease in leases:
                complete(store, lease)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(f"r{i}" for i in range(60))


def test_expired_lease_comes_back_and_old_holder_cannot_finish(store: Store) -> None:
    enqueue(store, "case", ["c1"])
    [old] = claim(store, "case", "crashed", lease=timedelta(milliseconds=50))
    time.sleep(0.1)
    assert claim(store, "case", "rescuer") == []  # taken back, backing off (it may be a poison item)
    [item] = items(store)
    assert item.state == "ready" and item.last_error == "lease of crashed expired"
    _skip_backoff(store)
    [new] = claim(store, "case", "rescuer")
    assert new.subject == "c1" and new.attempts == 2
    with pytest.raises(LeaseLost):
        complete(store, old)
    with pytest.raises(LeaseLost):
        renew(store, old)
    complete(store, new)


def test_renew_keeps_and_release_returns_without_penalty(store: Store) -> None:
    enqueue(store, "case", ["c1"])
    [lease] = claim(store, "case", "ana", lease=timedelta(seconds=1))
    for _ in range(3):
        time.sleep(0.4)
        lease = renew(store, lease, extend=timedelta(seconds=1))
    assert claim(store, "case", "ben") == []  # still held after 1.2 s thanks to renewals
    release(store, lease)
    [again] = claim(store, "case", "ben")
    assert again.attempts == 1  # the release did not count as a failure


def test_failures_back_off_then_dead_letter_raises_the_alarm(store: Store) -> None:
    enqueue(store, "report", ["r1"], max_attempts=2)
    [lease] = claim(store, "report", "w")
    assert fail(store, lease, "timeout") == "ready"
    assert claim(store, "report", "w") == []  # backing off
    [item] = items(store)
    assert item.available_at > item.due_at and item.last_error == "timeout"
    assert check(store).ok
    _skip_backoff(store)
    [lease] = claim(store, "report", "w")
    assert fail(store, lease, "timeout again") == "dead"
    stats = queue_stats(store)
    assert stats.dead == 1
    result = check(store)
    assert not result.ok and "DEAD LETTERS: 1 report" in result.problems[0]
    assert [e.action for e in store.audit_entries(subject_kind="work_item")] == ["queue.dead_letter"]
    retry_dead(store, lease.item_id, actor="lead")
    assert check(store).ok and len(claim(store, "report", "w")) == 1


def test_crashed_worker_items_dead_letter_after_max_attempts(store: Store) -> None:
    enqueue(store, "report", ["r1"], max_attempts=1)
    claim(store, "report", "crashed", lease=timedelta(milliseconds=10))
    time.sleep(0.05)
    assert claim(store, "report", "w") == []
    [item] = items(store)
    assert item.state == "dead" and "expired" in (item.last_error or "")


def test_priority_from_risk_minors_and_age(store: Store) -> None:
    enqueue(store, "case", ["old-low"], boosts=[priority_boost(0.1, False)])
    enqueue(store, "case", ["new-risky"], boosts=[priority_boost(0.9, False)])
    enqueue(store, "case", ["new-minors"], boosts=[priority_boost(0.2, True)])
    order = [lease.subject for lease in claim(store, "case", "w", n=3)]
    assert order == ["new-minors", "new-risky", "old-low"]
    assert priority_boost(0.5, True) == pytest.approx(0.5 * RISK_BOOST_S + MINORS_BOOST_S)
