"""Encoding follow endpoints to dense account indices: the hash index against the libraries' lookups, same run.

    nice python benchmarks/bench_ids.py                    # 1M account ids, 50M follow endpoints
    python benchmarks/bench_ids.py --accounts 100000 --rows 5000000
    python benchmarks/bench_ids.py --quick                 # 20,000 ids, 500,000 endpoints (smoke test)

The ids look like a platform export's (``u`` and 12 random digits, plus 1% of
endpoints naming no account). Two orders of the endpoints: sorted (a follows
table sorted by follower: the ``src`` column) and random (its ``dst`` column).
Each method gives int32 indices (``-1``: unknown), checked equal to the Enum
cast's. Prints best-of-3 wall and CPU seconds and each method's ratio to
:meth:`firebreak.hash_index.HashIndex.lookup`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow.compute as pc

from firebreak.hash_index import HashIndex


def best_of(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, float, np.ndarray]:
    """Best wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus = [], []
    out = np.empty(0)
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), out


def compact(column: pl.Series) -> pl.Series:
    """``column`` with its strings copied into fresh buffers in row order (through Arrow)."""
    out = pl.from_arrow(column.to_arrow())
    assert isinstance(out, pl.Series)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20,000 ids, 500,000 endpoints, one run each")
    args = ap.parse_args()
    if args.quick:
        args.accounts, args.rows, args.repeat = 20_000, 500_000, 1
    rng = np.random.default_rng(0)
    numbers = rng.choice(10**12, size=args.accounts, replace=False)
    ids = pl.select(pl.lit("u") + pl.Series(numbers).cast(pl.String).str.zfill(12)).to_series().alias("id")
    picks = rng.integers(0, args.accounts, size=args.rows)
    unknown = rng.random(args.rows) < 0.01
    rows = pl.Series("dst", picks).cast(pl.String)
    rows = pl.select(pl.when(pl.lit(unknown)).then(pl.lit("x") + rows).otherwise(ids.gather(picks))).to_series()
    enum = pl.Enum(ids)
    t = time.perf_counter()
    index = HashIndex.build(ids)
    assert index is not None
    print(f"{args.accounts:,} ids, {args.rows:,} endpoints; index built in {time.perf_counter() - t:.2f} s "
          f"({len(index.tables)} tables of {index.tables[0].size:,} slots)")
    id_frame = pl.DataFrame({"dst": ids, "idx": np.arange(args.accounts, dtype=np.int32)})
    arrow_ids = ids.to_arrow()
    # both columns rebuilt with their strings stored in order, as a file reader gives them
    # (a sort or a gather leaves views into the ids' scattered strings)
    for order, column in (("sorted", compact(rows.sort())), ("random", compact(rows))):
        methods: dict[str, Callable[[], np.ndarray]] = {
            "HashIndex.lookup": lambda c=column: index.lookup(c),
            "Polars Enum cast": lambda c=column: c.cast(enum, strict=False).to_physical().cast(pl.Int32).fill_null(-1).to_numpy(),
            "Polars left join": lambda c=column: c.to_frame("dst").join(id_frame, on="dst", how="left", maintain_order="left")
            .get_column("idx").fill_null(-1).to_numpy(),
            "Arrow index_in": lambda c=column: pc.index_in(c.to_arrow(), value_set=arrow_ids.cast(c.to_arrow().type))
            .fill_null(-1).to_numpy().astype(np.int32),
        }
        print(f"\n{order} endpoints")
        print(f"{'method':<20}{'wall s':>9}{'CPU s':>9}{'wall / index':>14}")
        base = 0.0
        reference = None
        for name, fn in methods.items():
            wall, cpu, out = best_of(fn, args.repeat)
            if reference is None:
                base, reference = wall, out
            assert np.array_equal(out, reference), f"{name} disagrees with the hash index"
            print(f"{name:<20}{wall:>9.2f}{cpu:>9.2f}{wall / base:>13.1f}x")


if __name__ == "__main__":
    main()
