"""Kill trials: a worker process killed with SIGKILL at random points must lose nothing.

:func:`prepare` fills a store with synthetic network cases; :func:`run_trials`
starts, per trial, a worker process (``python -m firebreak.lab.killtrial``)
that submits reports (printing ``ACK <id>`` only after each commit returned),
routes queued reports and takes cases down under leases, and kills it with
SIGKILL at a random moment (optionally restarting the PostgreSQL server
while it runs). :func:`drain` then finishes the queue once the dead workers'
leases expire, and :func:`verify` checks the invariants:

- every acknowledged report is stored;
- no account got the same action twice in one case;
- every action has its audit entry, every decision its case entry;
- no lease is left held; nothing is dead-lettered without being counted.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl
from sqlalchemy import func, select

from firebreak.act import cases as act_cases
from firebreak.act import decisions, intake, queue, worker
from firebreak.errors import FirebreakError
from firebreak.store import Store, open_store
from firebreak.store.schema import actions, audit_log, reports
from firebreak.store.schema import decisions as decisions_table

EVIDENCE = pl.List(pl.Struct({"signal": pl.String, "detail": pl.String, "weight": pl.Float64}))
LEASE = timedelta(milliseconds=400)


def synthetic_scan(networks: int, size: int = 5, prefix: str = "k") -> tuple[pl.DataFrame, pl.DataFrame]:
    """``scores`` and ``networks`` frames: ``networks`` networks of one seller and ``size - 1`` buyers."""
    accounts = [f"{prefix}{n}-{i}" for n in range(networks) for i in range(size)]
    roles = ["seller" if i == 0 else "buyer" for _ in range(networks) for i in range(size)]
    nets = [f"net-{n}" for n in range(networks) for _ in range(size)]
    scores = pl.DataFrame(
        {"account": accounts, "risk": [0.9 if r == "seller" else 0.5 for r in roles], "role": roles, "network": nets,
         "evidence": [[{"signal": "graph:synthetic", "detail": "kill trial", "weight": 1.0 + (i % 3)}]
                      for i in range(len(accounts))]},
        schema_overrides={"evidence": EVIDENCE},
    )
    frame = pl.DataFrame(
        {"id": [f"net-{n}" for n in range(networks)],
         "members": [[f"{prefix}{n}-{i}" for i in range(size)] for n in range(networks)],
         "sellers": [1] * networks, "buyers": [size - 1] * networks, "unique_followers": [10] * networks,
         "risk": [0.9] * networks, "evidence": [[{"signal": "network:sellers", "detail": "x", "weight": 1.0}]] * networks,
         "destinations": [[f"t.me/k{n}"] for n in range(networks)]},
        schema_overrides={"evidence": EVIDENCE},
    )
    return scores, frame


def prepare(store: Store, networks: int) -> None:
    """Open ``networks`` synthetic network cases (the review work of the trials)."""
    scores, nets = synthetic_scan(networks)
    act_cases.open_cases(store, scores, nets, "kill-trial-scan")


def worker_main(db: str, source: str, start: int, count: int, targets: int, seed: int) -> None:
    """The worker killed in the trials: intake, routing and takedowns, interleaved, forever."""
    rng = random.Random(seed)
    store = open_store(db)
    print("READY", flush=True)
    i = start
    name = f"kill-worker-{os.getpid()}"
    while True:
        try:
            if i < start + count:
                payload = {"id": f"kr{i}", "target": f"k{rng.randrange(targets)}-{rng.randrange(5)}",
                           "reason": rng.choice(["spam", "child_safety", "other"]),
                           "created_at": "2026-11-30T00:00:00Z"}
                intake.submit_report(store, source, payload)
                print(f"ACK {source} kr{i}", flush=True)
                i += 1
            if rng.random() < 0.3:
                for lease in queue.claim(store, "report", name, n=3, lease=LEASE):
                    worker.route_report(store, lease, actor=name)
            if rng.random() < 0.3:
                for lease in queue.claim(store, "case", name, n=1, lease=LEASE):
                    decisions.take_down(store, int(lease.subject), actor=name, reason="kill trial", lease=lease)
        except FirebreakError as exc:  # a restarted database, a lost lease: carry on like a real worker
            print(f"ERR {str(exc)[:120]}", file=sys.stderr, flush=True)
            time.sleep(0.05)


def drain(store: Store, *, deadline_s: float = 120.0) -> int:
    """Finish every report and case item (waiting out expired leases and backoff); returns items done."""
    done = 0
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        progressed = False
        for lease in queue.claim(store, "report", "drain", n=100, lease=timedelta(seconds=30)):
            worker.route_report(store, lease, actor="drain")
            done += 1
            progressed = True
        for lease in queue.claim(store, "case", "drain", n=20, lease=timedelta(seconds=30)):
            detail = act_cases.get_case(store, int(lease.subject)).case
            if detail.state == "open":
                decisions.take_down(store, detail.id, actor="drain", reason="kill trial drain", lease=lease)
            else:
                queue.complete(store, lease)
            done += 1
            progressed = True
        stats = queue.queue_stats(store)
        waiting = sum(n for (_, state), n in stats.counts.items() if state in ("ready", "leased"))
        if not waiting:
            return done
        if not progressed:
            time.sleep(0.2)
    return done


@dataclass(slots=True)
class TrialReport:
    """Invariant counts after the trials (all must be 0 except the totals)."""

    trials: int = 0
    restarts: int = 0
    acked: int = 0
    lost_reports: int = 0
    duplicate_actions: int = 0
    actions_without_audit: int = 0
    decisions_without_audit: int = 0
    leases_held: int = 0
    dead_letters: int = 0
    actions: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every invariant held."""
        return not (self.lost_reports or self.duplicate_actions or self.actions_without_audit
                    or self.decisions_without_audit or self.leases_held)


def verify(store: Store, acked: set[tuple[str, str]], report: TrialReport) -> TrialReport:
    """Check the invariants after :func:`drain` and fill ``report``."""
    with store.connection() as conn:
        stored = {(r.source, r.id) for r in conn.execute(select(reports.c.source, reports.c.id))}
        report.lost_reports = len(acked - stored)
        dup = conn.execute(
            select(actions.c.case_id, actions.c.account, actions.c.action, func.count().label("n"))
            .where(actions.c.action != "restore")
            .group_by(actions.c.case_id, actions.c.account, actions.c.action)
            .having(func.count() > 1)
        ).all()
        report.duplicate_actions = len(dup)
        action_rows = conn.execute(select(actions.c.decision_id, actions.c.account, actions.c.action)).all()
        audit_rows = conn.execute(
            select(audit_log.c.subject, audit_log.c.action, audit_log.c.detail)
            .where(audit_log.c.action.like("action.%"))
        ).all()
        audited = {(int(r.detail["decision"]), r.subject, r.action) for r in audit_rows}
        report.actions = len(action_rows)
        report.actions_without_audit = sum(
            (int(r.decision_id), r.account, f"action.{r.action}") not in audited for r in action_rows
        )
        decision_ids = {int(r[0]) for r in conn.execute(select(decisions_table.c.id))}
        case_audits = {
            int(r.detail["decision"])
            for r in conn.execute(
                select(audit_log.c.detail).where(audit_log.c.action.in_(("case.takedown", "case.decided")))
            )
        }
        report.decisions_without_audit = len(decision_ids - case_audits)
    stats = queue.queue_stats(store)
    report.leases_held = sum(n for (_, state), n in stats.counts.items() if state == "leased")
    report.dead_letters = stats.dead
    return report


def run_trials(
    db: str,
    trials: int,
    *,
    seed: int = 0,
    kill_after: tuple[float, float] = (0.2, 1.5),
    restart_every: int = 0,
    restart: Callable[[], None] | None = None,
    networks: int = 200,
    say: Callable[[str], None] | None = None,
) -> TrialReport:
    """Run ``trials`` kill trials against the store at ``db`` (already migrated) and verify.

    A worker is killed with SIGKILL ``kill_after`` seconds (uniform) after it is
    ready; with ``restart_every`` = k > 0, every k-th trial calls ``restart``
    (e.g. restarting PostgreSQL) while the worker runs, before the kill.
    """
    rng = random.Random(seed)
    report = TrialReport()
    acked: set[tuple[str, str]] = set()
    with open_store(db) as store:
        prepare(store, networks)
        for t in range(trials):
            proc = subprocess.Popen(
                [sys.executable, "-m", "firebreak.lab.killtrial", "--db", db, "--source", f"trial-{seed}",
                 "--start", str(t * 10_000), "--count", "10000", "--targets", str(networks), "--seed",
                 str(seed * 1000 + t)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "READY":
                proc.kill()
                report.errors.append(f"trial {t}: worker did not start ({line.strip()!r})")
                continue
            if restart is not None and restart_every and t % restart_every == restart_every - 1:
                time.sleep(rng.uniform(*kill_after) / 2)
                restart()
                report.restarts += 1
            time.sleep(rng.uniform(*kill_after))
            os.kill(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            for row in out.splitlines():
                parts = row.split()
                if len(parts) == 3 and parts[0] == "ACK":
                    acked.add((parts[1], parts[2]))
            report.trials += 1
            if say is not None:
                say(f"trial {t + 1}/{trials}: {len(acked)} acknowledged so far")
        drain(store)
        report.acked = len(acked)
        return verify(store, acked, report)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the worker process (see :func:`worker_main`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    worker_main(args.db, args.source, args.start, args.count, args.targets, args.seed)


if __name__ == "__main__":
    main()
