"""``scan_spark``: the scan's stages with the edge-scale work on Spark (see :mod:`firebreak.spark`).

Stage by stage (names as in :data:`firebreak.scan.STAGES`):

* ``graph``: Parquet tables read, ids numbered on the driver (accounts' order),
  follow / interaction / message edge lists built by joins and cached, degrees counted.
* ``detect``: :func:`~firebreak.spark.detect.detect_spark` (detectors per account bucket).
* ``reports``: reports per account on the driver, with the follows among reporters collected.
* ``roles``: :func:`~firebreak.scan.stages.roles_stage` with every matrix-vector product a Spark join.
* ``evasion``: :func:`~firebreak.spark.evasion.find_evasion_spark` (``MinHashLSH``).
* ``terms``: term discovery on the driver's text tables; roles again on Spark if terms are new.
* ``propagate``: :func:`~firebreak.spark.propagate.pagerank_spark`.
* ``networks`` and ``evidence``: the flagged accounts' edges collected to a local graph,
  Leiden and the result tables as the local engine makes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from pyspark.sql import SparkSession

from firebreak.detect.lexicon import Lexicon, load_lexicon
from firebreak.detect.media.banks import HashBank
from firebreak.graph.ids import IdMap
from firebreak.scan import stages
from firebreak.scan.params import ScanParams
from firebreak.scan.result import ScanResult
from firebreak.spark.detect import detect_spark
from firebreak.spark.evasion import find_evasion_spark
from firebreak.spark.graph import build_edges, neighbourhood, spark_graph
from firebreak.spark.propagate import pagerank_spark
from firebreak.spark.tables import driver_snapshot, read_tables

Progress = Callable[[str], None]


def scan_spark(
    spark: SparkSession,
    path: str,
    bank: HashBank | None = None,
    *,
    params: ScanParams | None = None,
    lexicon: Lexicon | None = None,
    buckets: int | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Scan the canonical Parquet snapshot at ``path`` on ``spark``; the same :class:`~firebreak.scan.ScanResult` as
    :func:`firebreak.scan.scan` (``timings`` per stage, ``stats``).

    ``buckets`` is how many groups the detectors run in (default: twice Spark's default parallelism).
    """
    p = params or ScanParams()
    say = progress or (lambda _s: None)
    lex = load_lexicon() if lexicon is None else lexicon
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = now - started
        started = now

    say("graph")
    tables = read_tables(spark, path)
    snapshot = driver_snapshot(tables)
    ids = IdMap.from_ids(snapshot.accounts.get_column("id"))
    edges = build_edges(tables, ids)
    graph = spark_graph(ids, edges)
    out_degree, in_degree = graph.out_degree, graph.in_degree  # counted once, cached with the matrices
    lap("graph")
    say("detect")
    evidence, dests = detect_spark(tables, bank, lex, buckets or 2 * spark.sparkContext.defaultParallelism)
    detection = stages.Detection(evidence, dests, lex)
    lap("detect")
    say("reports")
    reporters = ids.encode(snapshot.reports.get_column("reporter").fill_null(""))
    is_reporter = np.zeros(ids.n, dtype=bool)
    is_reporter[reporters[reporters >= 0]] = True
    reports = stages.reports_stage(snapshot, neighbourhood(ids, edges, is_reporter, follows_only=True))
    units = stages.units_stage(detection, graph, reports, p)
    lap("reports")
    say("roles")
    roles = stages.roles_stage(graph, units.signals, p)
    lap("roles")
    say("evasion")
    status = snapshot.accounts.get_column("status").fill_null("active")
    disabled = (status == "disabled").to_numpy()
    evasion = find_evasion_spark(ids, edges, np.flatnonzero(disabled & roles.seller), np.flatnonzero(~disabled), seed=p.seed)
    roles = stages.inherit_evasion(graph, units.signals, evasion, roles, p)
    lap("evasion")
    say("terms")
    discovery, roles = stages.terms_stage(snapshot, graph, detection, units, roles, p)
    lap("terms")
    say("propagate")
    seller_mass = roles.seller.astype(np.float64)
    proximity = np.zeros(ids.n)
    if seller_mass.sum() > 0:
        ppr = pagerank_spark(edges, seller_mass, alpha=p.pagerank_alpha, tol=p.pagerank_tol, max_iter=p.pagerank_max_iter)
        proximity = ppr * ids.n
    lap("propagate")
    say("networks")
    members = roles.seller | roles.buyer
    members[evasion.old] = True
    members[evasion.new] = True
    local = neighbourhood(ids, edges, members)
    networks = stages.networks_stage(snapshot, local, units, roles, discovery, p)
    lap("networks")
    say("evidence")
    result = stages.results_stage(local, detection, units, reports, roles, evasion, discovery, proximity, networks, p)
    lap("evidence")
    for matrix in (edges.follows, edges.followers, edges.interactions, edges.messages):
        matrix.unpersist()
    result.timings = timings
    result.stats = {
        "accounts": ids.n,
        "follows": int(out_degree.sum()),
        "sellers": int(roles.seller.sum()),
        "buyers": int(roles.buyer.sum()),
        "networks": networks.count,
        "evasion_matches": int(evasion.new.size),
        "role_iterations": roles.iterations,
        "rates": roles.rates,
        "in_degree_max": int(in_degree.max(initial=0)),
    }
    return result
