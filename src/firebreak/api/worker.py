"""The background worker: rounds of queue maintenance until SIGTERM or SIGINT.

Each round is committed transactions only, so a SIGKILL at any point loses nothing:
the next worker finds the same state and carries on. Each round also runs
:func:`firebreak.act.worker.work` once: stored reports without a work item are queued,
queued reports are routed into cases (expired leases of a crashed worker come back
through ``claim``), failures retried with backoff and dead-lettered.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType

from firebreak.act.worker import work
from firebreak.store import open_store
from firebreak.store.actions import requeue_stale_claims

log = logging.getLogger("firebreak.api.worker")


def run_worker(db_url: str, *, interval_s: float = 5.0, lease_s: float = 900.0, once: bool = False) -> int:
    """Run rounds every ``interval_s`` seconds until SIGTERM/SIGINT (or one round if ``once``).

    A round puts review claims older than ``lease_s`` back in the queue, then routes every
    queued report into its case with :func:`firebreak.act.worker.work` (``once``). Returns the
    number of rounds done. Prints one line per round that changed something.
    """
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    rounds = 0
    try:
        with open_store(db_url) as store:
            print(f"firebreak worker: running on {store.url}", file=sys.stderr, flush=True)
            while not stop.is_set():
                requeued = requeue_stale_claims(store, timedelta(seconds=lease_s))
                rounds += 1
                if requeued:
                    print(f"requeued {len(requeued)} expired claim(s)", file=sys.stderr, flush=True)
                # one item per claim: its lease (lease_s) need only cover one routing transaction
                stats = work(store, worker="worker", once=True, batch=1, lease=timedelta(seconds=lease_s), stop=stop)
                if stats.routed or stats.failed or stats.queued_from_store:
                    print(
                        f"routed {stats.routed} report(s), {stats.failed} failed, "
                        f"{stats.queued_from_store} queued from the store",
                        file=sys.stderr,
                        flush=True,
                    )
                if once:
                    break
                stop.wait(interval_s)
            print(f"firebreak worker: stopped after {rounds} round(s)", file=sys.stderr, flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return rounds
