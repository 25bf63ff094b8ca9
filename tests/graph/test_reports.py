import numpy as np

from firebreak.graph.csr import build_graph
from firebreak.graph.reports import report_signal


def test_tight_group_burst_is_harassment_and_independent_reports_count(snapshot_of) -> None:
    group = list(range(10, 18))  # reporters who all follow each other
    follows = [(a, b) for a in group for b in group if a != b]
    reports = [(r, 1) for r in group] + [(20, 2), (21, 2), (22, 2), (None, 2)]
    snap = snapshot_of(30, follows, reports=reports)
    sig = report_signal(snap, build_graph(snap))
    assert sig.harassment[1] and sig.units[1] == 0.0 and sig.density[1] == 1.0
    assert not sig.harassment[2] and sig.units[2] > 0
    assert sig.reporters[2] == 4
    assert np.count_nonzero(sig.units) == 1


def test_mass_reporter_counts_less_per_report(snapshot_of) -> None:
    reports = [(5, t) for t in range(10, 20)] + [(6, 1)]
    snap = snapshot_of(30, reports=reports)
    sig = report_signal(snap, build_graph(snap))
    assert sig.units[1] > sig.units[10] > 0
