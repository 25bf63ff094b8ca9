"""Benchmark: recommendation throughput and latency with and without the guard.

Prints, for single requests and for batches: requests/s, suggestions/s, p50 and
p99 latency, unguarded and guarded, and the guard's added share of p99 (goal:
at most 10%). As the reference measured in the same run, the bare SciPy sparse
products that any co-follow recommender must do (seeds @ Anᵀ, then @ An) are
timed on the same requests, and the full recommender is shown as a multiple of it.

Sources: ``--source sim`` builds the simulator's preset (``large``: 1M accounts,
~60M follows; ``--quick``: ``default``, 20k), guard fed by the labels;
``--source numpy`` builds a same-shaped graph directly in NumPy (power-law
popularity, communities, a planted flagged set and minors) for machines where
the simulator's large preset does not fit.

    python benchmarks/bench_guard.py --quick
    nice python benchmarks/bench_guard.py                 # large preset
    nice python benchmarks/bench_guard.py --source numpy  # 1M accounts, 50M follows, NumPy-built
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from dataclasses import dataclass

import numpy as np
import polars as pl
import psutil
import scipy.sparse as sp

from firebreak.graph.ids import IdMap
from firebreak.guard.matrices import prune_rows
from firebreak.guard.policy import Guard
from firebreak.guard.recommender import CoFollowRecommender


@dataclass
class Bench:
    follows: sp.csr_matrix
    views: sp.csr_matrix | None
    active: np.ndarray
    minor: np.ndarray
    ids: IdMap
    scores: pl.DataFrame
    source: str


def rss_gib() -> float:
    return psutil.Process().memory_info().rss / 2**30


def numpy_graph(n: int, mean_follows: float, seed: int = 0) -> Bench:
    """A follow graph shaped like the simulator's: communities, Pareto popularity, a flagged 0.3%."""
    rng = np.random.default_rng(seed)
    m = int(n * mean_follows)
    communities = max(8, n // 5000)
    comm = rng.integers(0, communities, n)
    order = np.argsort(comm, kind="stable")
    starts = np.searchsorted(comm[order], np.arange(communities))
    sizes = np.bincount(comm, minlength=communities)
    pop = rng.pareto(1.3, n) + 1.0
    src = rng.integers(0, n, m)
    local = rng.random(m) < 0.85
    # popularity-weighted choice inside the follower's community (inverse CDF per community)
    dst = np.empty(m, dtype=np.int64)
    w = pop[order]
    cum = np.cumsum(w)
    c = comm[src[local]]
    lo = np.where(starts[c] > 0, cum[starts[c] - 1], 0.0)
    hi = cum[starts[c] + sizes[c] - 1]
    u = lo + rng.random(c.size) * (hi - lo)
    dst[local] = order[np.minimum(np.searchsorted(cum, u), n - 1)]
    g = rng.random(int((~local).sum())) * cum[-1]
    dst[~local] = order[np.minimum(np.searchsorted(cum, g), n - 1)]
    keep = src != dst
    a = sp.csr_matrix((np.ones(int(keep.sum()), np.float32), (src[keep], dst[keep])), shape=(n, n))
    a.sum_duplicates()
    a.data[:] = 1.0
    ids = IdMap.from_ids([f"a{i}" for i in range(n)])
    flagged = rng.choice(n, size=max(10, n // 300), replace=False)
    roles = np.where(rng.random(flagged.size) < 0.15, "seller", "buyer")
    scores = pl.DataFrame(
        {"account": ids.decode(flagged), "risk": np.full(flagged.size, 0.9), "role": roles, "network": None},
        schema_overrides={"network": pl.String},
    )
    return Bench(a, None, np.ones(n, bool), rng.random(n) < 0.06, ids, scores, "NumPy-built graph")


def sim_graph(preset_name: str, seed: int = 0, snapshot_dir: str | None = None) -> Bench:
    """The simulator's preset (or a snapshot directory with labels.jsonl), guard flags from its labels.

    The scan's own cost is benchmarked in ``bench_scan.py``; the guard's cost does not depend
    on where its flags came from.
    """
    from firebreak.guard.platform import Platform
    from firebreak.lab.oracle import scores_from_labels
    from firebreak.labels import read_labels

    if snapshot_dir:
        from firebreak.snapshot import load_snapshot

        snap, labels = load_snapshot(snapshot_dir).snapshot, read_labels(f"{snapshot_dir}/labels.jsonl")
        source = f"snapshot {snapshot_dir}"
    else:
        from firebreak.lab.sim import generate, preset

        out = generate(preset(preset_name, seed=seed))
        snap, labels = out.snapshot, out.labels
        source = f"simulator preset {preset_name!r}"
        del out
    p = Platform.from_snapshot(snap)
    o = scores_from_labels(labels)
    del snap, labels
    gc.collect()
    return Bench(p.follows, p.views, p.active, p.minor, p.ids, o.scores, source)


def pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) * 1e3


def time_calls(fns: dict, args_list: list, repeat_warm: int = 3) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Wall and CPU seconds of each fn on every args, variants interleaved per request so drift hits all alike.

    CPU time (``time.thread_time``) is reported beside wall time because this
    machine is shared: CPU time is what the request itself consumed.
    """
    for a in args_list[:repeat_warm]:
        for fn in fns.values():
            fn(*a)
    out = {k: (np.zeros(len(args_list)), np.zeros(len(args_list))) for k in fns}
    for i, a in enumerate(args_list):
        for k, fn in fns.items():
            gc.disable()
            c, t = time.thread_time(), time.perf_counter()
            fn(*a)
            out[k][0][i] = time.perf_counter() - t
            out[k][1][i] = time.thread_time() - c
            gc.enable()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (20k accounts), for a smoke run")
    ap.add_argument("--source", choices=["sim", "numpy"], default="sim")
    ap.add_argument("--snapshot", default=None, help="use this snapshot directory (with labels.jsonl) instead of simulating")
    ap.add_argument("--accounts", type=int, default=None, help="accounts for --source numpy")
    ap.add_argument("--mean-follows", type=float, default=50.0)
    ap.add_argument("--requests", type=int, default=None, help="single requests timed")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--batches", type=int, default=None)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    requests = args.requests or (200 if args.quick else 400)
    batches = args.batches or (10 if args.quick else 12)

    t0 = time.perf_counter()
    if args.source == "sim":
        try:
            bench = sim_graph("default" if args.quick else "large", snapshot_dir=args.snapshot)
        except MemoryError:
            print("simulator preset did not fit in memory; falling back to a NumPy-built graph")
            bench = numpy_graph(20_000 if args.quick else 1_000_000, args.mean_follows)
    else:
        bench = numpy_graph(args.accounts or (20_000 if args.quick else 1_000_000), args.mean_follows)
    build = time.perf_counter() - t0
    n = bench.follows.shape[0]
    print(f"graph: {bench.source}: {n:,} accounts, {bench.follows.nnz:,} follows (built in {build:.1f}s, RSS {rss_gib():.2f} GiB)")

    t = time.perf_counter()
    rec = CoFollowRecommender().fit(bench.follows, bench.views, bench.active)
    fit_rec = time.perf_counter() - t
    t = time.perf_counter()
    guard = Guard(block_search_terms=False).fit(bench.ids, bench.scores, minor=bench.minor)
    fit_guard = time.perf_counter() - t
    print(f"fit: recommender {fit_rec:.2f}s, guard {fit_guard:.3f}s; {int(guard.blocked_.sum()):,} accounts blocked, "
          f"{int(bench.minor.sum()):,} minors; RSS {rss_gib():.2f} GiB")

    rng = np.random.default_rng(1)
    has = np.flatnonzero(np.diff(bench.follows.indptr) > 0)
    users = rng.choice(has, size=requests, replace=False)
    f = bench.follows

    def plain(u):
        return rec.recommend(f[u], k=args.k, viewers=u)

    def guarded(u):
        return rec.recommend(f[u], k=args.k, viewers=u, guard=guard)

    def bare(u):
        return (prune_rows((f[u] @ rec.ant_).tocsr(), rec.cofollowers) @ rec.an_)

    single = [(users[i : i + 1],) for i in range(requests)]
    ts = time_calls({"bare SciPy products": bare, "unguarded": plain, "guarded": guarded}, single)
    batch_args = [(rng.choice(has, size=args.batch, replace=False),) for _ in range(batches)]
    tb = time_calls({"bare SciPy products": bare, "unguarded": plain, "guarded": guarded}, batch_args, repeat_warm=1)

    def table(title: str, res: dict, per_call: int, unit: str) -> None:
        print(f"\n{title}")
        print(f"{'variant':<22}{'req/s':>10}{'suggest/s':>12}{'p50 ' + unit:>10}{'p99 ' + unit:>10}{'p99 CPU':>10}")
        scale = 1.0 if unit == "ms" else 1e-3
        for name, (wall, cpu) in res.items():
            rps = per_call / wall.mean()
            print(f"{name:<22}{rps:>10.1f}{rps * args.k:>12.0f}{pct(wall, 50) * scale:>10.2f}"
                  f"{pct(wall, 99) * scale:>10.2f}{pct(cpu, 99) * scale:>10.2f}")

    table(f"single requests (k={args.k}, {requests} requests, variants interleaved)", ts, 1, "ms")
    table(f"batches of {args.batch} ({batches} batches, variants interleaved)", tb, args.batch, "s")

    def added(res: dict, q: float, i: int) -> float:
        return pct(res["guarded"][i], q) / pct(res["unguarded"][i], q) - 1

    print("\nguard's added latency (goal: p99 <= +10%):")
    print(f"  single requests: p50 {added(ts, 50, 0):+.1%}, p99 {added(ts, 99, 0):+.1%} wall, {added(ts, 99, 1):+.1%} CPU")
    print(f"  batches:         p50 {added(tb, 50, 0):+.1%}, p99 {added(tb, 99, 0):+.1%} wall, {added(tb, 99, 1):+.1%} CPU")
    print("  mean CPU per request: single {:+.1%}, batch {:+.1%}".format(
        ts["guarded"][1].mean() / ts["unguarded"][1].mean() - 1, tb["guarded"][1].mean() / tb["unguarded"][1].mean() - 1))
    print("recommender / bare SciPy products (p50 CPU): single {:.2f}x, batch {:.2f}x".format(
        pct(ts["unguarded"][1], 50) / pct(ts["bare SciPy products"][1], 50),
        pct(tb["unguarded"][1], 50) / pct(tb["bare SciPy products"][1], 50)))
    peak = psutil.Process().memory_info().rss
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except ImportError:  # pragma: no cover
        pass
    print(f"peak RSS {peak / 2**30:.2f} GiB; total {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
