"""User reports as a careful signal: child-safety reports discounted for mass reporters and tight groups.

A burst of child-safety reports from a tight group (reporters who follow each
other) onto one account is a harassment pattern, not evidence; a reporter who
files many child-safety reports counts less for each. Reports alone never make
a role (see :class:`firebreak.graph.roles.RoleParams.report_cap`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.csr import Graph
from firebreak.snapshot.model import Snapshot

CHILD_SAFETY = "child_safety"


@dataclass(frozen=True, slots=True)
class ReportSignal:
    """Per account: effective report units, raw reporter count, reporter-group follow density, harassment flag."""

    units: np.ndarray
    reporters: np.ndarray
    density: np.ndarray
    harassment: np.ndarray


def report_signal(
    snapshot: Snapshot, graph: Graph, *, unit_per_report: float = 0.25, min_group: int = 3, max_density: float = 0.15
) -> ReportSignal:
    """Child-safety reports per target account (post reports count for the author), discounted as described above."""
    n = graph.n
    zeros = np.zeros(n)
    reports = snapshot.reports.filter(pl.col("reason") == CHILD_SAFETY)
    if reports.height == 0:
        return ReportSignal(zeros, zeros.copy(), zeros.copy(), np.zeros(n, dtype=bool))
    authors = snapshot.posts.select(pl.col("id").alias("target"), pl.col("author"))
    reports = reports.join(authors, on="target", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("target_kind") == "post").then(pl.col("author")).otherwise(pl.col("target")).alias("account")
    )
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
    weighted = pairs @ inv
    k = np.diff(pairs.indptr).astype(np.float64)
    within = np.asarray((pairs @ graph.follows).multiply(pairs).sum(axis=1)).ravel()
    density = np.divide(within, k * (k - 1), out=np.zeros(n), where=k > 1)
    harassment = (k >= min_group) & (density > max_density)
    units = np.where(harassment, 0.0, unit_per_report * (weighted + 0.1 * anonymous))
    return ReportSignal(units=units, reporters=k + anonymous, density=density, harassment=harassment)
