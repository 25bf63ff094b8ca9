"""PDQ bank benchmark: build / reload time and memory, match speed and recall vs threatexchange.

    nice .venv/bin/python benchmarks/bench_pdq.py               # banks of 1M and 10M hashes
    .venv/bin/python benchmarks/bench_pdq.py --quick            # banks of 20k hashes (smoke test)
    .venv/bin/python benchmarks/bench_pdq.py --sizes 1000000 --queries 4000

Two kinds of bank (``--banks``), each of N hashes (seeded):

* ``random``: uniformly random bits, the best case for multi-index hashing.
* ``realistic``: shaped like real PDQ banks. Each bit i is set with its own
  probability p_i ~ Beta(0.5, 0.5) (most bits lean hard to 0 or 1, so a
  16-bit substring has a few huge buckets), and N/200 base hashes each come with
  5-50 near-duplicate variants 0-20 bits away (re-encodes and crops of one
  picture); the rest are independent draws. Non-matching queries are fresh
  draws from the same biased bits, not uniform ones.

For each bank the parent
them as a plain-text bank file (64 hex per line, the format HMA exchanges),
makes a query set that interleaves near-duplicates of bank entries (0-31 bits
flipped) with random hashes, and computes the exact answer on a sample of those
queries by brute force (NumPy XOR + popcount over every hash). Each
configuration then runs in its own subprocess so its resident memory is its
own (peak from ``getrusage``, current from ``psutil``):

* ``build``:  ``load_bank(text file)`` + index build + ``HashBank.save``.
* ``reload``: ``load_bank(saved folder)`` (memory-mapped), then all queries in
  batches through :class:`PDQIndex` at distance <= 31.
* ``faiss``:  faiss ``IndexBinaryMultiHash(256, 16, 16)``, ``nflip=1``, batched
  ``range_search`` (the structure threatexchange wraps, without its Python layer).
* ``tx``:     threatexchange's own ``PDQIndex`` (``signal_type/pdq/pdq_index.py``,
  a faiss multi-hash index behind a Python API of one hash per ``query``), built
  from the same file, queried with a prefix of the same query set.

Recall is ``|found & exact| / |exact|`` on the sampled queries (must be 1.0).
Goals: 10M hashes build or reload in < 60 s and stay < 2 GiB resident; at least
3x threatexchange's queries/s at recall 1.0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DATA = Path(__file__).resolve().parent / ".data" / "pdq"
GIB = float(1 << 30)
THRESHOLD = 31
_GENERATOR = 2  # bump when prepare() changes, so cached data under DATA is regenerated


# --------------------------------------------------------------------------- data (parent)


def _flip_upto(codes: np.ndarray, flips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies of ``codes`` with ``flips[i]`` distinct random bits flipped in row i (vectorised, in blocks)."""
    import numpy as np

    out = np.empty_like(codes)
    for s in range(0, len(codes), 1 << 15):
        bits = np.unpackbits(codes[s : s + (1 << 15)], axis=1)
        rank = rng.random(bits.shape).argsort(axis=1).argsort(axis=1)  # a random order of the 256 bits per row
        bits ^= (rank < flips[s : s + (1 << 15), None]).astype(np.uint8)
        out[s : s + (1 << 15)] = np.packbits(bits, axis=1)
    return out


def _biased(p: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    import numpy as np

    out = np.empty((rows, 32), dtype=np.uint8)
    for s in range(0, rows, 1 << 16):
        m = min(1 << 16, rows - s)
        out[s : s + m] = np.packbits(rng.random((m, 256)) < p[None, :], axis=1)
    return out


def make_bank(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """``n`` codes of the given kind and, for ``realistic``, its per-bit set-probabilities."""
    import numpy as np

    if kind == "random":
        return rng.integers(0, 256, size=(n, 32), dtype=np.uint8), None
    p = rng.beta(0.5, 0.5, size=256)
    sizes = rng.integers(5, 51, size=max(1, n // 200))
    sizes = sizes[: max(1, int(np.searchsorted(np.cumsum(sizes + 1), n)))]
    bases = _biased(p, len(sizes), rng)
    variants = _flip_upto(np.repeat(bases, sizes, axis=0), rng.integers(0, 21, size=int(sizes.sum())), rng)
    rest = _biased(p, n - len(bases) - len(variants), rng)
    codes = np.vstack([bases, variants, rest])[:n]
    codes = codes[rng.permutation(len(codes))]
    _, first = np.unique(codes.view(np.dtype((np.void, 32))).ravel(), return_index=True)
    return codes[np.sort(first)], p  # 0-bit variants repeat their base; a bank file holds each hash once


def prepare(kind: str, n: int, queries: int, sample: int, seed: int) -> Path:
    """Write bank.txt, queries.npy and the brute-force answer for the sample under DATA/<kind>-<n>."""
    import numpy as np

    from firebreak.detect.media.hamming import brute_force_range_search

    out = DATA / f"{kind}-{n}"
    if (out / "done.json").is_file() and json.loads((out / "done.json").read_text()) == [_GENERATOR, kind, n, queries, sample, seed]:
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    codes, p = make_bank(kind, n, rng)
    with (out / "bank.txt").open("wb") as fh:
        fh.write(f"# benchmark bank: {kind} PDQ hashes\n".encode())
        for s in range(0, n, 1 << 20):
            block = codes[s : s + (1 << 20)]
            text = np.frombuffer(block.tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(-1, 64)
            rows = np.empty((text.shape[0], 65), dtype=np.uint8)
            rows[:, :64], rows[:, 64] = text, ord("\n")
            fh.write(rows.tobytes())
    near_rows = rng.integers(0, len(codes), size=queries // 2)
    bits = np.unpackbits(codes[near_rows], axis=1)
    flips = rng.integers(0, THRESHOLD + 1, size=len(near_rows))
    for i, k in enumerate(flips):  # a few thousand query rows, once
        bits[i, rng.choice(256, size=int(k), replace=False)] ^= 1
    near = np.packbits(bits, axis=1)
    rand = rng.integers(0, 256, size=(queries - len(near), 32), dtype=np.uint8) if p is None else _biased(p, queries - len(near), rng)
    q = np.empty((queries, 32), dtype=np.uint8)
    q[0::2], q[1::2] = near[: (queries + 1) // 2], rand[: queries // 2]
    np.save(out / "queries.npy", q)
    qi, ids, dist = brute_force_range_search(codes, q[:sample], THRESHOLD)
    np.savez(out / "exact.npz", q=qi, ids=ids, dist=dist)
    (out / "done.json").write_text(json.dumps([_GENERATOR, kind, n, queries, sample, seed]))
    return out


# --------------------------------------------------------------------------- workers (subprocesses)


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def _rss_gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / GIB


def _recall(found: set[tuple[int, int]], exact_path: Path) -> dict[str, float | int]:
    import numpy as np

    ex = np.load(exact_path)
    exact = set(zip(ex["q"].tolist(), ex["ids"].tolist()))
    hit = len(found & exact)
    return {"recall": hit / len(exact) if exact else 1.0, "exact_pairs": len(exact), "extra_pairs": len(found - exact)}


def worker_build(work: Path) -> dict[str, object]:
    from firebreak.detect.media.banks import load_bank

    c0, t0 = time.process_time(), time.perf_counter()
    bank = load_bank(work / "bank.txt")
    t1 = time.perf_counter()
    _ = bank.index
    t2 = time.perf_counter()
    bank.save(work / "saved")
    t3 = time.perf_counter()
    return {
        "cpu_s": time.process_time() - c0,
        "parse_s": t1 - t0,
        "index_s": t2 - t1,
        "save_s": t3 - t2,
        "total_s": t3 - t0,
        "hashes": int(bank.pdq.shape[0]),
        "bits": bank.index.bits,
        "tables": bank.index.tables,
        "rejected": bank.report.rejected.height,
        "rss_gib": _rss_gib(),
    }


def worker_reload(work: Path, sample: int) -> dict[str, object]:
    import numpy as np

    from firebreak.detect.media.banks import load_bank

    c0, t0 = time.process_time(), time.perf_counter()
    bank = load_bank(work / "saved")
    index = bank.index
    t1 = time.perf_counter()
    reload_cpu = time.process_time() - c0
    rss_loaded = _rss_gib()
    queries = np.load(work / "queries.npy")
    index.search(queries[:64], THRESHOLD)  # first touch of the mapped pages
    c2, t2 = time.process_time(), time.perf_counter()
    q, ids, _ = index.search(queries, THRESHOLD)
    t3 = time.perf_counter()
    qps_cpu = len(queries) / (time.process_time() - c2)
    keep = q < sample
    found = set(zip(q[keep].tolist(), ids[keep].tolist()))
    return {
        "reload_s": t1 - t0,
        "reload_cpu_s": reload_cpu,
        "warm_s": t2 - t1,
        "qps": len(queries) / (t3 - t2),
        "qps_cpu": qps_cpu,
        "queries": len(queries),
        "matches": len(q),
        "rss_loaded_gib": rss_loaded,
        "rss_gib": _rss_gib(),
        **_recall(found, work / "exact.npz"),
    }


def worker_faiss(work: Path, sample: int) -> dict[str, object]:
    import faiss
    import numpy as np

    from firebreak.detect.media.banks import load_bank

    codes = np.ascontiguousarray(load_bank(work / "saved").pdq)
    t0 = time.perf_counter()
    index = faiss.IndexBinaryMultiHash(256, 16, 16)
    index.nflip = 1
    index.add(codes)
    t1 = time.perf_counter()
    queries = np.load(work / "queries.npy")
    t2 = time.perf_counter()
    lims, _, ids = index.range_search(queries, THRESHOLD + 1)
    t3 = time.perf_counter()
    found = {(qi, int(i)) for qi in range(sample) for i in ids[lims[qi] : lims[qi + 1]]}
    return {"build_s": t1 - t0, "qps": len(queries) / (t3 - t2), "queries": len(queries), "rss_gib": _rss_gib(), **_recall(found, work / "exact.npz")}


def worker_tx(work: Path, sample: int, queries_max: int) -> dict[str, object]:
    import numpy as np
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex as TxPDQIndex

    t0 = time.perf_counter()
    with (work / "bank.txt").open() as fh:
        entries = ((line[:64], i) for i, line in enumerate(ln for ln in fh if not ln.startswith("#")))
        index = TxPDQIndex.build(entries)
    t1 = time.perf_counter()
    queries = np.load(work / "queries.npy")[:queries_max]
    hexes = [row.tobytes().hex() for row in queries]
    t2 = time.perf_counter()
    results = [index.query(h) for h in hexes]
    t3 = time.perf_counter()
    found = {(qi, int(m.metadata)) for qi, res in enumerate(results[:sample]) for m in res}
    ex = np.load(work / "exact.npz")
    in_prefix = ex["q"] < len(hexes)
    np.savez(work / "exact_tx.npz", q=ex["q"][in_prefix], ids=ex["ids"][in_prefix], dist=ex["dist"][in_prefix])
    return {"build_s": t1 - t0, "qps": len(hexes) / (t3 - t2), "queries": len(hexes), "rss_gib": _rss_gib(), **_recall(found, work / "exact_tx.npz")}


# --------------------------------------------------------------------------- parent


def run(config: str, work: Path, *extra: str) -> dict[str, object]:
    """Run one configuration in a fresh interpreter; add its peak RSS polled with psutil."""
    import psutil

    cmd = [sys.executable, __file__, "--worker", config, "--work", str(work), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = [0.0]

    def poll() -> None:
        try:
            p = psutil.Process(proc.pid)
            while proc.poll() is None:
                peak[0] = max(peak[0], p.memory_info().rss / GIB)
                time.sleep(0.05)
        except psutil.NoSuchProcess:
            pass

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_gib"] = max(peak[0], float(result.get("peak_ru_gib", 0.0)))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small banks (20k hashes, random and realistic)")
    ap.add_argument("--banks", default="random,realistic", help="bank kinds: random, realistic (comma-separated)")
    ap.add_argument("--sizes", default=None, help="comma-separated bank sizes (default 1000000,10000000)")
    ap.add_argument("--queries", type=int, default=4000, help="queries per run (half near-duplicates)")
    ap.add_argument("--sample", type=int, default=200, help="queries checked against brute force")
    ap.add_argument("--tx-queries", type=int, default=600, help="queries sent to threatexchange (one call each)")
    ap.add_argument("--no-tx", action="store_true", help="skip threatexchange's index")
    ap.add_argument("--no-faiss", action="store_true", help="skip the bare faiss multi-hash index")
    ap.add_argument("--only", default="build,reload,faiss,tx", help="configurations to run (comma-separated)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        work = Path(args.work)
        if args.worker == "build":
            res = worker_build(work)
        elif args.worker == "reload":
            res = worker_reload(work, args.sample)
        elif args.worker == "faiss":
            res = worker_faiss(work, args.sample)
        else:
            res = worker_tx(work, args.sample, args.tx_queries)
        res["peak_ru_gib"] = _peak_gib()
        print(json.dumps(res))
        return

    import psutil

    sizes = [int(s) for s in (args.sizes or ("20000" if args.quick else "1000000,10000000")).split(",")]
    if args.quick:
        args.queries, args.sample, args.tx_queries = min(args.queries, 2000), min(args.sample, 100), min(args.tx_queries, 150)
    print(f"PDQ bench: distance <= {THRESHOLD}, {args.queries} queries (half near-duplicates, 0-31 bits flipped), "
          f"recall on {args.sample} by brute force; {os.cpu_count()} CPUs")
    sample = min(args.sample, args.queries)
    extra = ["--sample", str(sample), "--tx-queries", str(args.tx_queries)]
    for kind, n in ((k, n) for n in sizes for k in args.banks.split(",")):
        if kind not in ("random", "realistic"):
            sys.exit(f"error: unknown bank kind {kind!r} (random, realistic)")
        t = time.perf_counter()
        work = prepare(kind, n, args.queries, sample, args.seed)
        print(f"\n== bank of {n:,} {kind} PDQ hashes (data + brute-force answer: {time.perf_counter() - t:.1f} s)")
        only = set(args.only.split(","))
        args.no_faiss = args.no_faiss or "faiss" not in only
        args.no_tx = args.no_tx or "tx" not in only
        b = run("build", work, *extra) if "build" in only or not (work / "saved").is_dir() else None
        if b is not None:
            print(f"build  firebreak: parse {b['parse_s']:.1f} s + index {b['index_s']:.1f} s + save {b['save_s']:.1f} s = "
                  f"{b['total_s']:.1f} s wall ({b['cpu_s']:.1f} s CPU); peak RSS {b['peak_gib']:.2f} GiB (b={b['bits']}, {b['tables']} tables)")
        r = run("reload", work, *extra)
        print(f"reload firebreak: {r['reload_s']:.2f} s wall ({r['reload_cpu_s']:.2f} s CPU, memory-mapped); RSS {r['rss_loaded_gib']:.2f} GiB after reload, "
              f"{r['rss_gib']:.2f} GiB after queries, peak {r['peak_gib']:.2f} GiB")
        print(f"match  firebreak: {r['qps']:,.0f} queries/s wall ({r['qps_cpu']:,.0f} per CPU-second; {r['queries']} in batches), recall {r['recall']:.3f} "
              f"({r['exact_pairs']} exact pairs, {r['extra_pairs']} false)")
        if not args.no_faiss:
            f = run("faiss", work, *extra)
            if "error" in f:
                print(f"faiss  MIH 16x16: failed ({f['error']})")
            else:
                print(f"faiss  MIH 16x16: build {f['build_s']:.1f} s, peak RSS {f['peak_gib']:.2f} GiB, "
                      f"{f['qps']:,.0f} queries/s (batched), recall {f['recall']:.3f}; firebreak/faiss = {r['qps'] / f['qps']:.1f}x")
        if not args.no_tx:
            need = 0.75 * n / 1e6  # GiB: measured ~0.66 GiB per million hashes
            avail = psutil.virtual_memory().available / GIB
            if need > 0.6 * avail:
                print(f"threatexchange PDQIndex: skipped (needs ~{need:.1f} GiB, {avail:.1f} GiB available)")
                continue
            x = run("tx", work, *extra)
            if "error" in x:
                print(f"threatexchange PDQIndex: failed ({x['error']})")
                continue
            print(f"threatexchange PDQIndex: build {x['build_s']:.1f} s, peak RSS {x['peak_gib']:.2f} GiB, "
                  f"{x['qps']:,.0f} queries/s ({x['queries']} single queries), recall {x['recall']:.3f}")
            print(f"ratio firebreak / threatexchange: {r['qps'] / x['qps']:.1f}x queries/s (goal >= 3x at recall 1.0)"
                  + (f", build {x['build_s'] / b['total_s']:.1f}x faster, peak RSS {b['peak_gib'] / x['peak_gib']:.2f}x" if b else ""))


if __name__ == "__main__":
    main()
