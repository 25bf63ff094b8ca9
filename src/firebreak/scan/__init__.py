"""The scan: detection signals + graph -> scores, networks and terms (the spec's "Scan results").

:func:`scan` runs the stages of :mod:`firebreak.scan.stages` in order on one
:class:`~firebreak.snapshot.model.Snapshot` and returns a :class:`ScanResult`
(which also writes and reads the spec's files). Every tuning constant is in
:class:`ScanParams`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from firebreak.detect.lexicon import Lexicon
from firebreak.detect.media.banks import HashBank
from firebreak.scan import stages
from firebreak.scan.memory import release_free_memory
from firebreak.scan.params import ScanParams
from firebreak.scan.result import ScanResult
from firebreak.snapshot.model import Snapshot

__all__ = ["STAGES", "ScanParams", "ScanResult", "read_scan", "scan"]

Progress = Callable[[str], None]
#: the stages in the order they run (names of :attr:`ScanResult.timings`).
STAGES = ("graph", "detect", "reports", "roles", "evasion", "terms", "propagate", "networks", "evidence")


def scan(
    snapshot: Snapshot,
    bank: HashBank | None = None,
    *,
    params: ScanParams | None = None,
    lexicon: Lexicon | None = None,
    progress: Progress | None = None,
    trusted: pl.DataFrame | None = None,
    release: bool = False,
) -> ScanResult:
    """Scan ``snapshot`` (with an optional media hash ``bank``) and return a :class:`ScanResult`.

    ``params`` holds every tuning constant (seed included); ``lexicon`` defaults to
    the shipped one plus ``FIREBREAK_LEXICON``; ``progress`` is called with each
    stage's name (:data:`STAGES`) as it starts. ``trusted`` is the trusted-flagger registry
    (``account, organisation, since``; :func:`firebreak.scan.trusted.read_trusted_flaggers`): those
    accounts are never flagged nor network members, and their reports are prioritised. The result's ``timings`` has seconds per
    stage and ``stats`` the counts and platform rates. With ``release``, the scan empties
    ``snapshot.follows`` once the graph holds them (no later stage reads the table): for callers
    that are done with the snapshot, 1-2 GiB less at 50M follows.
    """
    p = params or ScanParams()
    say = progress or (lambda _s: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        release_free_memory()
        now = time.perf_counter()
        timings[name] = now - started
        started = now

    say("graph")
    graph = stages.graph_stage(snapshot, release=release)
    lap("graph")
    say("detect")
    detection = stages.detect_stage(snapshot, bank, lexicon)
    lap("detect")
    say("reports")
    trusted_mask = stages.trusted_mask(trusted, graph)
    reports = stages.reports_stage(snapshot, graph, trusted_mask, p)
    units = stages.units_stage(detection, graph, reports, p, trusted_mask)
    lap("reports")
    say("roles")
    roles = stages.roles_stage(graph, units.signals, p)
    lap("roles")
    say("evasion")
    evasion, roles = stages.evasion_stage(snapshot, graph, units.signals, roles, p)
    lap("evasion")
    say("terms")
    discovery, roles = stages.terms_stage(snapshot, graph, detection, units, roles, p)
    lap("terms")
    say("propagate")
    proximity = stages.propagate_stage(graph, roles, p)
    lap("propagate")
    say("networks")
    networks = stages.networks_stage(snapshot, graph, units, roles, discovery, p)
    lap("networks")
    say("evidence")
    result = stages.results_stage(graph, detection, units, reports, roles, evasion, discovery, proximity, networks, p, trusted)
    lap("evidence")
    result.timings = timings
    result.stats = {
        "accounts": graph.n,
        "follows": int(graph.follows.nnz),
        "sellers": int(roles.seller.sum()),
        "buyers": int(roles.buyer.sum()),
        "networks": networks.count,
        "evasion_matches": int(evasion.new.size),
        "trusted_flaggers": int(trusted_mask.sum()),
        "discovered_terms_weighed": int(discovery.uses.get_column("term").n_unique()) if discovery.uses.height else 0,
        "role_iterations": roles.iterations,
        "rates": roles.rates,
    }
    return result


def read_scan(directory: str | Path) -> ScanResult:
    """Read a scan results folder (:meth:`ScanResult.read`)."""
    return ScanResult.read(directory)
