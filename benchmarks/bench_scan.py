"""Scan benchmark: wall time and peak memory per stage, propagation vs bare SciPy SpMV, Leiden vs igraph.

    python benchmarks/bench_scan.py --quick            # 20k-account default platform
    nice python benchmarks/bench_scan.py               # the `large` preset (1M accounts, ~50M follows)

The platform is simulated once into ``--workdir`` (Parquet) by a child process,
so the scan's memory is measured in a process that only reads the snapshot.
Prints figures and ratios against the reference measured in the same run:

* per stage of :func:`firebreak.scan.scan`: wall seconds, CPU seconds (all threads), peak
  RSS (sampled every 10 ms), and wall time as a multiple of one bare SciPy SpMV of the
  propagation matrix measured in the same run (``xSpMV``);
* a last line ``scan_wall_incl_load_s=.. cpu_s=.. peak_rss_gib=..`` for scripts;
* propagation: one personalised-PageRank iteration vs one bare ``scipy.sparse``
  CSR SpMV of the same matrix (goal: within 1.5x), and one role-scoring
  iteration in SpMV units;
* Leiden: :func:`firebreak.graph.communities.leiden_labels` (with leidenalg, and
  with igraph, the scan's default) vs igraph's own ``community_leiden``
  (modularity) on the same abusive subgraph.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

GiB = 2**30


class PeakRSS:
    """Samples this process's RSS in a thread; ``stage(name)`` starts a new stage's peak.

    With ``children``, the RSS of every child process counts too (a JVM, Python workers).
    """

    def __init__(self, interval: float = 0.01, *, children: bool = False) -> None:
        self.proc = psutil.Process()
        self.children = children
        self.interval = interval
        self.current = "start"
        self.peaks: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self._cpu_at = time.process_time()
        self.overall = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        """RSS now, in bytes (this process, plus its children if asked)."""
        total = self.proc.memory_info().rss
        if self.children:
            for child in self.proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.rss()
            self.peaks[self.current] = max(self.peaks.get(self.current, 0), rss)
            self.overall = max(self.overall, rss)
            time.sleep(self.interval)

    def stage(self, name: str) -> None:
        """Start stage ``name``: the CPU seconds (all threads) since the last call go to the stage before."""
        now = time.process_time()
        self.cpu[self.current] = self.cpu.get(self.current, 0.0) + now - self._cpu_at
        self._cpu_at = now
        self.current = name
        self.peaks[name] = max(self.peaks.get(name, 0), self.rss())

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def simulate_once(workdir: Path, preset: str, accounts: int | None, seed: int) -> None:
    """Write the platform to ``workdir`` as Parquet in a child process (skipped when already there)."""
    if (workdir / "accounts.parquet").exists():
        return
    code = (
        "import sys; from firebreak.lab.sim import simulate; "
        f"simulate({str(workdir)!r}, seed={seed}, accounts={accounts!r}, preset={preset!r}, encoding='parquet')"
    )
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    print(f"simulated {preset} ({accounts or 'preset size'} accounts) into {workdir} in {time.perf_counter() - t:.1f} s")


def timed(fn, reps: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def flagged_mask(graph, scores) -> np.ndarray:
    """Accounts the scan flagged (role seller or buyer), as a boolean array over the graph's ids."""
    flagged_ids = scores.filter(scores["role"] != "none")["account"]
    return graph.ids.ids.is_in(flagged_ids.implode()).to_numpy()


def leiden_comparison(graph, flagged: np.ndarray) -> None:
    """Time leidenalg (our wrapper) and igraph's own community_leiden on the same abusive subgraph."""
    import igraph as ig

    from firebreak.graph.communities import abusive_subgraph, leiden_labels
    from firebreak.graph.csr import induced_adjacency

    idx, upper = abusive_subgraph(induced_adjacency(graph, flagged), flagged)
    t = time.perf_counter()
    ours = leiden_labels(idx.size, upper, seed=0, method="leidenalg")
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    wrapped = leiden_labels(idx.size, upper, seed=0, method="igraph")
    t_wrapped = time.perf_counter() - t
    g = ig.Graph(n=idx.size, edges=np.column_stack([upper.row, upper.col]), directed=False)
    g.es["weight"] = upper.data
    t = time.perf_counter()
    ref = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
    t_ref = time.perf_counter() - t
    q_ours = g.modularity(ours.tolist(), weights="weight")
    q_ref = g.modularity(ref.membership, weights="weight")
    q_wrapped = g.modularity(wrapped.tolist(), weights="weight")
    print(f"\nLeiden on the abusive subgraph ({idx.size:,} accounts, {upper.nnz:,} edges), 2 iterations each: "
          f"leidenalg (incl. graph build) {t_ours:.2f} s, modularity {q_ours:.4f}, {ours.max() + 1 if ours.size else 0} communities; "
          f"igraph community_leiden {t_ref:.2f} s, modularity {q_ref:.4f}, {len(ref)} communities -> {t_ours / max(t_ref, 1e-9):.2f}x; "
          f"the scan's leiden_labels (igraph, incl. graph build) {t_wrapped:.2f} s, modularity {q_wrapped:.4f} -> {t_wrapped / max(t_ref, 1e-9):.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small platform (default preset, 20k accounts)")
    ap.add_argument("--accounts", type=int, default=None, help="override the platform size")
    ap.add_argument("--workdir", type=Path, default=None, help="where the simulated snapshot is cached")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="also write the scan's results there (to compare two runs)")
    ap.add_argument("--reps", type=int, default=10, help="repetitions for the SpMV comparison")
    ap.add_argument("--leiden-only", action="store_true",
                    help="only the Leiden comparison, on the labelled sellers and buyers (no scan)")
    args = ap.parse_args()
    preset = "default" if args.quick else "large"
    workdir = args.workdir or Path(f"/tmp/firebreak-bench-scan-{preset}-{args.accounts or 'preset'}-{args.seed}")
    simulate_once(workdir, preset, args.accounts, args.seed)

    from firebreak.graph.propagate import personalized_pagerank, transition_transpose
    from firebreak.graph.roles import RoleParams
    from firebreak.lab.evaluate import evaluate_frames
    from firebreak.labels import read_labels
    from firebreak.scan import scan
    from firebreak.snapshot import load_snapshot

    if args.leiden_only:
        import polars as pl

        from firebreak.graph.csr import build_graph

        t = time.perf_counter()
        graph = build_graph(load_snapshot(workdir).snapshot)
        labels = read_labels(workdir).filter(pl.col("role") != "benign")
        print(f"graph of {graph.n:,} accounts built in {time.perf_counter() - t:.1f} s; {labels.height:,} labelled sellers and buyers")
        leiden_comparison(graph, graph.ids.ids.is_in(labels["account"].implode()).to_numpy())
        return

    with PeakRSS() as mem:
        base = mem.proc.memory_info().rss
        t0 = time.perf_counter()
        mem.stage("load")
        snap = load_snapshot(workdir).snapshot
        t_load = time.perf_counter() - t0
        print(f"snapshot: {snap.accounts.height:,} accounts, {snap.follows.height:,} follows, {snap.posts.height:,} posts, "
              f"{snap.events.height:,} events; loaded in {t_load:.1f} s")
        t1 = time.perf_counter()
        result = scan(snap, progress=mem.stage, release=True)
        t_scan = time.perf_counter() - t1
        mem.stage("done")
    if args.out is not None:
        result.write(args.out)
    # --- the bare SpMV every stage is measured against: one CSR SpMV of the propagation matrix
    from firebreak.graph.csr import build_graph
    from firebreak.graph.roles import AccountSignals, score_roles

    snap = load_snapshot(workdir).snapshot  # the scan released the follows
    graph = build_graph(snap)
    matrix = (graph.followers + graph.interactions.T).tocsr()
    pt, dangling = transition_transpose(matrix)
    del matrix
    x = np.full(graph.n, 1.0 / graph.n)
    spmv = timed(lambda: pt @ x, args.reps)

    total_cpu = sum(mem.cpu.get(name, 0.0) for name in ("load", *result.timings))
    print(f"\nscan wall time {t_scan:.1f} s (+ {t_load:.1f} s load), peak RSS {mem.overall / GiB:.2f} GiB "
          f"(goal: <= 60 s including load, <= 4 GiB on the large preset); bare SpMV {spmv * 1e3:.1f} ms")
    print(f"{'stage':<12}{'wall s':>10}{'CPU s':>10}{'peak GiB':>10}{'xSpMV':>10}")
    for name, secs in {"load": t_load, **result.timings}.items():
        print(f"{name:<12}{secs:>10.2f}{mem.cpu.get(name, 0.0):>10.2f}{mem.peaks.get(name, 0) / GiB:>10.2f}{secs / spmv:>10.0f}")
    print(f"{'total':<12}{t_scan + t_load:>10.2f}{total_cpu:>10.2f}{mem.overall / GiB:>10.2f}{(t_scan + t_load) / spmv:>10.0f}"
          f"   (baseline before load {base / GiB:.2f})")
    st = result.stats
    print(f"found {st['sellers']:,} sellers, {st['buyers']:,} buyers, {st['networks']} networks, "
          f"{st['evasion_matches']} ban-evasion matches; role iterations {st['role_iterations']}")

    if (workdir / "labels.jsonl").exists():
        import json

        truth = json.loads((workdir / "truth.json").read_text()) if (workdir / "truth.json").exists() else {}
        ev = evaluate_frames(read_labels(workdir), result.scores, result.networks, result.terms, truth)
        worst = max(ev["confounders"].items(), key=lambda kv: kv[1]["rate"] or 0) if ev["confounders"] else ("-", {"rate": None})
        print(f"quality: precision {ev['precision']}, recall {ev['recall']}, "
              f"camouflage recall {({k: v['recall'] for k, v in ev['camouflage'].items()})}, "
              f"worst confounder {worst[0]} {worst[1]['rate']}, mean network jaccard {ev['networks']['mean_jaccard']}, "
              f"novel-term recall {ev['novel_terms']['recall']}")

    # --- propagation vs bare SpMV on the same matrix
    seeds = np.zeros(graph.n)
    seeds[: max(1, graph.n // 100)] = 1.0
    iters = args.reps
    t = time.perf_counter()
    personalized_pagerank((pt, dangling), seeds, max_iter=iters, tol=0.0)
    ppr_iter = (time.perf_counter() - t) / iters
    print(f"\npropagation over {pt.nnz:,} edges: bare SciPy CSR SpMV {spmv * 1e3:.1f} ms, "
          f"personalised PageRank {ppr_iter * 1e3:.1f} ms/iteration -> {ppr_iter / spmv:.2f}x (goal <= 1.5x)")
    follow_spmv = timed(lambda: graph.follows @ x, args.reps)
    sig = AccountSignals.zeros(graph.n)
    sig.content[: max(1, graph.n // 200)] = 3.0
    t = time.perf_counter()
    roles = score_roles(graph, sig, RoleParams(max_iter=3))
    role_iter = (time.perf_counter() - t) / max(roles.iterations, 1)
    print(f"role scoring: {role_iter * 1e3:.1f} ms/iteration = {role_iter / follow_spmv:.1f} follow-graph SpMVs "
          f"({follow_spmv * 1e3:.1f} ms each; an iteration is ~8 SpMVs plus element-wise work)")
    leiden_comparison(graph, flagged_mask(graph, result.scores))
    print(f"\nscan_wall_incl_load_s={t_scan + t_load:.1f} cpu_s={total_cpu:.1f} peak_rss_gib={mem.overall / GiB:.2f} "
          f"spmv_ms={spmv * 1e3:.1f} sellers={st['sellers']} buyers={st['buyers']} networks={st['networks']}")


if __name__ == "__main__":
    main()
