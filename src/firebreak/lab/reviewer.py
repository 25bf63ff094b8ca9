"""A scripted reviewer for the demo, deciding from the simulator's labels, and the act demo.

:class:`ScriptedReviewer` stands in for a human: it claims case items from the
queue and decides each case from the ground-truth labels (a network with a
labelled seller is taken down; an account case is actioned by its label or
dismissed). :func:`recreate_accounts` simulates ban evasion after a takedown
(a new account that a share of a disabled seller's followers follow).
:func:`run_act_demo` runs scan results -> cases -> reviewer takedowns ->
recidivism -> metrics on a store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import polars as pl

from firebreak.act import cases, decisions, queue, recidivism, worker
from firebreak.act import metrics as act_metrics
from firebreak.act.canary import send_canary
from firebreak.store import Store


@dataclass(slots=True)
class ReviewStats:
    """What a reviewer pass did."""

    takedowns: int = 0
    actioned: int = 0
    dismissed: int = 0
    accounts_acted: int = 0


@dataclass(slots=True)
class ScriptedReviewer:
    """Decides cases from ``labels`` (``account, role``: seller | buyer | none)."""

    labels: pl.DataFrame
    name: str = "scripted-reviewer"
    _role: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._role = dict(self.labels.select("account", pl.col("role").fill_null("none")).iter_rows())

    def label(self, accounts: list[str], role: str) -> None:
        """Label more ``accounts`` with ``role`` (accounts the lab created later)."""
        self._role.update(dict.fromkeys(accounts, role))

    def role(self, account: str) -> str:
        """The labelled role of ``account`` (``none`` if unlabelled)."""
        return self._role.get(account, "none")

    def review(self, store: Store, *, batch: int = 20) -> ReviewStats:
        """Claim and decide every ready case item; returns what was done."""
        stats = ReviewStats()
        while True:
            leases = queue.claim(store, "case", self.name, n=batch, lease=timedelta(minutes=5))
            if not leases:
                return stats
            for lease in leases:
                self._decide(store, lease, stats)

    def _decide(self, store: Store, lease: queue.Lease, stats: ReviewStats) -> None:
        detail = cases.get_case(store, int(lease.subject))
        if detail.case.state != "open":
            queue.complete(store, lease)
            return
        roles = {m.account: self.role(m.account) for m in detail.members}
        if detail.case.kind == "network" and "seller" in roles.values():
            d = decisions.take_down(store, detail.case.id, actor=self.name, lease=lease,
                                    reason="labelled selling network (scripted demo reviewer)")
            stats.takedowns += 1
            stats.accounts_acted += sum(a.action != "dismiss" for a in d.actions)
            return
        choice = {"seller": "disable", "buyer": "restrict"}
        acted = {a: choice.get(r, "dismiss") for a, r in roles.items()}
        d = decisions.decide(store, detail.case.id, acted, actor=self.name, lease=lease,
                             reason="decided from the simulator's labels (scripted demo reviewer)")
        if all(v == "dismiss" for v in acted.values()):
            stats.dismissed += 1
        else:
            stats.actioned += 1
            stats.accounts_acted += sum(a.action != "dismiss" for a in d.actions)


def recreate_accounts(
    follows: pl.DataFrame, disabled: list[str], *, share: float = 0.7, seed: int = 0, prefix: str = "recreated"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Simulate ban evasion: for each disabled account a new one, followed by ``share`` of its followers.

    Returns ``(follows with the new edges, pairs old -> new)``.
    """
    rng = np.random.default_rng(seed)
    audience = follows.filter(pl.col("dst").is_in(disabled)).select("src", "dst")
    keep = audience.filter(pl.Series(rng.random(audience.height) < share))
    pairs = pl.DataFrame({"old": disabled, "new": [f"{prefix}-{i:04d}" for i in range(len(disabled))]})
    new_edges = keep.join(pairs, left_on="dst", right_on="old").select("src", pl.col("new").alias("dst"))
    extra = new_edges.with_columns(pl.lit(None, follows.schema.get("created_at", pl.Datetime("us", "UTC")))
                                   .alias("created_at")) if "created_at" in follows.columns else new_edges
    return pl.concat([follows, extra.select(follows.columns)], how="vertical_relaxed"), pairs


@dataclass(frozen=True, slots=True)
class ActDemoResult:
    """Everything the act demo did, and the metrics at the end."""

    sync: cases.CaseSync
    routed: int
    first_review: ReviewStats
    recidivists: list[recidivism.RecidivismMatch]
    second_review: ReviewStats
    recreated: int
    metrics: act_metrics.Metrics
    check: act_metrics.CheckResult

    def rows(self) -> list[tuple[str, str]]:
        """``(what, value)`` rows for printing."""
        return [
            ("cases opened from the scan", f"{len(self.sync.opened):,}"),
            ("reports routed into cases", f"{self.routed:,}"),
            ("networks taken down", f"{self.first_review.takedowns:,}"),
            ("account cases actioned / dismissed", f"{self.first_review.actioned:,} / {self.first_review.dismissed:,}"),
            ("accounts acted on", f"{self.first_review.accounts_acted:,}"),
            ("re-created accounts (simulated)", f"{self.recreated:,}"),
            ("re-created accounts caught, cases reopened", f"{len(self.recidivists):,}"),
            ("evaders taken down on review", f"{self.second_review.accounts_acted:,}"),
            ("firebreak check", "ok" if self.check.ok else "; ".join(self.check.problems)),
            *self.metrics.rows(),
        ]


def run_act_demo(
    store: Store,
    scores: pl.DataFrame,
    networks: pl.DataFrame,
    labels: pl.DataFrame,
    follows: pl.DataFrame,
    *,
    scan_id: str,
    seed: int = 0,
) -> ActDemoResult:
    """Scan results -> cases -> scripted takedowns -> recidivism -> metrics, on ``store``.

    ``scores``/``networks`` are the scan's frames, ``labels`` the simulator's
    (``account, role``), ``follows`` the snapshot's follow table (``src, dst``).
    Reports already in the store (queued by ingest) are routed into cases; a
    canary travels the same path. Returns an :class:`ActDemoResult`.
    """
    sync = cases.open_cases(store, scores, networks, scan_id, edges=follows)
    send_canary(store)
    routed = worker.work(store, once=True, batch=500).routed
    reviewer = ScriptedReviewer(labels)
    first = reviewer.review(store)
    disabled = store.enforcements("disabled").get_column("account").to_list()
    sellers = [a for a in disabled if reviewer.role(a) == "seller"]
    rescan_follows, pairs = recreate_accounts(follows, sellers, seed=seed)
    caught = recidivism.check_recidivism(store, rescan_follows, f"{scan_id}+rescan")
    # the simulator labels the accounts it re-created as sellers
    reviewer.label(pairs.get_column("new").to_list(), "seller")
    second = reviewer.review(store)
    return ActDemoResult(sync, routed, first, caught, second, pairs.height, act_metrics.compute_metrics(store),
                         act_metrics.check(store))


def demo_rows(result: ActDemoResult) -> list[tuple[str, str]]:
    """Alias of :meth:`ActDemoResult.rows` for callers that print tables."""
    return result.rows()


__all__: list[str] = ["ActDemoResult", "ReviewStats", "ScriptedReviewer", "recreate_accounts", "run_act_demo"]
