"""Simulator benchmark: generating (and writing) a platform, against bare NumPy/Polars floors.

    nice .venv/bin/python benchmarks/bench_sim.py                 # large: 1M accounts, ~50M follows
    .venv/bin/python benchmarks/bench_sim.py --quick              # 100k accounts
    .venv/bin/python benchmarks/bench_sim.py --preset default --accounts 20000

Runs ``firebreak.lab.sim.generate`` in a fresh subprocess (its peak RSS is its own), prints the
time of each step, then writes the snapshot as Parquet. The floors, measured in the same run
in their own subprocesses: NumPy drawing as many uniform random follow pairs as the platform
has and deduplicating them with one sort (what any follow generator must at least do), and
Polars' bare ``write_parquet`` of a follows table of the same size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _child(kind: str, preset: str, accounts: int, follows: int, out: str) -> None:
    import numpy as np
    import polars as pl

    result: dict[str, object] = {}
    if kind == "generate":
        from firebreak.lab.sim import generate
        from firebreak.lab.sim import preset as make
        from firebreak.snapshot import write_snapshot

        steps: dict[str, float] = {}
        last = [time.perf_counter()]

        def tick(step: str) -> None:
            now = time.perf_counter()
            steps[step] = round(now - last[0], 2)
            last[0] = now

        t0 = time.perf_counter()
        sim = generate(make(preset, seed=0, accounts=accounts), tick)
        result["generate_s"] = time.perf_counter() - t0
        result["steps"] = steps
        result["follows"] = sim.snapshot.follows.height
        result["accounts"] = sim.snapshot.accounts.height
        t0 = time.perf_counter()
        write_snapshot(sim.snapshot, out, encoding="parquet")
        result["write_s"] = time.perf_counter() - t0
    elif kind == "numpy_floor":
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        key = rng.integers(0, accounts, follows).astype(np.int64) * accounts + rng.integers(0, accounts, follows)
        key.sort()
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
        result["s"] = time.perf_counter() - t0
    elif kind == "polars_write_floor":
        rng = np.random.default_rng(0)
        ids = pl.Series(rng.permutation(accounts)).cast(pl.String).str.zfill(7)
        frame = pl.DataFrame(
            {
                "src": ids.gather(pl.Series(rng.integers(0, accounts, follows))),
                "dst": ids.gather(pl.Series(rng.integers(0, accounts, follows))),
                "created_at": pl.Series(rng.integers(1.6e9, 1.7e9, follows)).cast(pl.Datetime("us", "UTC")),
            }
        )
        t0 = time.perf_counter()
        frame.write_parquet(f"{out}/follows_floor.parquet", compression="zstd", statistics=False)
        result["s"] = time.perf_counter() - t0
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(result))


def _run(kind: str, preset: str, accounts: int, follows: int, out: str) -> dict:
    code = f"import sys; sys.path.insert(0, {__file__.rsplit('/', 1)[0]!r}); import bench_sim; bench_sim._child(*sys.argv[1:3], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])"
    done = subprocess.run(
        [sys.executable, "-c", code, kind, preset, str(accounts), str(follows), out], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse options, run the three measurements, print figures and ratios."""
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="large")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="100k accounts")
    args = parser.parse_args()
    accounts = 100_000 if args.quick else (args.accounts or (1_000_000 if args.preset == "large" else 20_000))
    with tempfile.TemporaryDirectory() as tmp:
        gen = _run("generate", args.preset, accounts, 0, tmp)
        follows = int(gen["follows"])
        floor = _run("numpy_floor", args.preset, accounts, follows, tmp)
        write_floor = _run("polars_write_floor", args.preset, accounts, follows, tmp)
    print(f"preset {args.preset}: {gen['accounts']:,} accounts, {follows:,} follows")
    for step, secs in gen["steps"].items():
        print(f"  {step:22s} {secs:7.2f} s")
    print(f"generate            {gen['generate_s']:7.2f} s   peak RSS {gen['peak_rss_gib']:.2f} GiB")
    print(f"numpy floor         {floor['s']:7.2f} s   (random pairs + sort-dedupe of {follows:,} follows)")
    print(f"  ratio generate / numpy floor: {gen['generate_s'] / floor['s']:.1f}x")
    print(f"write parquet       {gen['write_s']:7.2f} s   (all tables)")
    print(f"polars write floor  {write_floor['s']:7.2f} s   (bare write_parquet of the follows table)")
    print(f"  ratio write / floor: {gen['write_s'] / write_floor['s']:.2f}x")


if __name__ == "__main__":
    main()
