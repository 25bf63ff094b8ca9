"""User reports as a careful signal: child-safety reports discounted for mass reporters and tight groups.

A burst of child-safety reports from a tight group (reporters who follow each
other) onto one account is a harassment pattern, not evidence; a reporter who
files many child-safety reports counts less for each. Reports alone never make
a role (see :class:`firebreak.graph.roles.RoleParams.report_cap`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.csr import Graph
from firebreak.snapshot.model import Snapshot

CHILD_SAFETY = "child_safety"


@dataclass(frozen=True, slots=True)
class ReportSignal:
    """Per account: effective report units, raw reporter count, reporter-group follow density, harassment flag;
    trusted flaggers among its reporters; as a reporter, the accounts it reported (``filed``: reporter x
    target, 1 per pair, any reason) and how many accounts it reported for child safety (``history``)."""

    units: np.ndarray
    reporters: np.ndarray
    density: np.ndarray
    harassment: np.ndarray
    trusted_reporters: np.ndarray = field(default_factory=lambda: np.zeros(0))
    filed: sp.csr_matrix | None = None
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))


def report_signal(
    snapshot: Snapshot,
    graph: Graph,
    *,
    unit_per_report: float = 0.25,
    min_group: int = 3,
    max_density: float = 0.15,
    trusted: np.ndarray | None = None,
    trusted_weight: float = 4.0,
) -> ReportSignal:
    """Child-safety reports per target account (post reports count for the author), discounted as described above.

    ``trusted``: bool per account, the registry's trusted flaggers (their reports count
    ``trusted_weight`` ordinary reports each, never discounted for how many they file).
    """
    n = graph.n
    zeros = np.zeros(n)
    is_trusted = trusted if trusted is not None and trusted.shape[0] == n else np.zeros(n, dtype=bool)
    authors = snapshot.posts.select(pl.col("id").alias("target"), pl.col("author"))
    every = snapshot.reports.join(authors, on="target", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("target_kind") == "post").then(pl.col("author")).otherwise(pl.col("target")).alias("account")
    )
    f_target = graph.ids.encode(every.get_column("account"))
    f_reporter = graph.ids.encode(every.get_column("reporter").fill_null(""))
    f_ok = (f_target >= 0) & (f_reporter >= 0)
    filed = sp.csr_matrix((np.ones(int(f_ok.sum())), (f_reporter[f_ok], f_target[f_ok])), shape=(n, n))
    filed.sum_duplicates()
    filed.data[:] = 1.0
    reports = every.filter(pl.col("reason") == CHILD_SAFETY)
    if reports.height == 0:
        return ReportSignal(zeros, zeros.copy(), zeros.copy(), np.zeros(n, dtype=bool), zeros.copy(), filed, zeros.copy())
    target = graph.ids.encode(reports.get_column("account"))
    reporter = graph.ids.encode(reports.get_column("reporter").fill_null(""))
    ok = target >= 0
    target, reporter = target[ok], reporter[ok]
    known = reporter >= 0
    # distinct (target, reporter) pairs; anonymous reports count a tenth each
    pairs = sp.csr_matrix((np.ones(int(known.sum())), (target[known], reporter[known])), shape=(n, n))
    pairs.sum_duplicates()
    pairs.data[:] = 1.0
    anonymous = np.bincount(target[~known], minlength=n).astype(np.float64)
    per_reporter = np.asarray(pairs.sum(axis=0)).ravel()  # child-safety targets per reporter
    inv = np.divide(1.0, per_reporter, out=np.zeros(n), where=per_reporter > 0)
    inv = np.where(is_trusted, trusted_weight, inv)
    weighted = pairs @ inv
    trusted_reporters = pairs @ is_trusted.astype(np.float64)
    k = np.diff(pairs.indptr).astype(np.float64)
    within = np.asarray((pairs @ graph.follows).multiply(pairs).sum(axis=1)).ravel()
    density = np.divide(within, k * (k - 1), out=np.zeros(n), where=k > 1)
    harassment = (k >= min_group) & (density > max_density) & (trusted_reporters == 0)
    units = np.where(harassment, 0.0, unit_per_report * (weighted + 0.1 * anonymous))
    return ReportSignal(
        units=units,
        reporters=k + anonymous,
        density=density,
        harassment=harassment,
        trusted_reporters=trusted_reporters,
        filed=filed,
        history=per_reporter,
    )
