"""Spark engine scaling: the scan on Spark ``local[2]`` at doubling platform sizes, the local engine beside it.

    python benchmarks/bench_spark.py --quick                       # 1,000 accounts, both engines (smoke test)
    nice python benchmarks/bench_spark.py --sizes 125000,250000    # ~50 follows per account (`large` preset)
    nice python benchmarks/bench_spark.py                          # 0.125M, 0.25M, 0.5M and 1M accounts

Each platform is simulated once (``preset("large", accounts=N)``) into a Parquet
folder; each engine then runs in a child process of its own, so its peak memory
(the process tree's RSS: the driver, Spark's JVM and its Python workers, sampled
every 50 ms) is its own. Prints seconds and peak GiB per stage, the growth factor
per doubling of the platform (goal: <= 2.2x), the Spark engine against the local
engine at each size, and the per-edge cost the README's capacity plan uses.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

GiB = 2**30
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_scan import PeakRSS  # noqa: E402 - the benchmarks folder, as when run as a script


def simulate_once(workdir: Path, preset: str, accounts: int, seed: int) -> None:
    """Write the platform to ``workdir`` as Parquet in a child process (skipped when already there)."""
    if (workdir / "accounts.parquet").exists():
        return
    code = (
        "from firebreak.lab.sim import simulate; "
        f"simulate({str(workdir)!r}, seed={seed}, accounts={accounts}, preset={preset!r}, encoding='parquet')"
    )
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    print(f"simulated {preset} ({accounts:,} accounts) into {workdir} in {time.perf_counter() - t:.1f} s", flush=True)


def run_one(engine: str, workdir: Path, master: str, driver_memory: str) -> dict[str, object]:
    """One scan of ``workdir`` with ``engine``; timings and peaks per stage (run in a child process)."""
    with PeakRSS(0.05, children=True) as mem:
        t0 = time.perf_counter()
        mem.stage("start")
        if engine == "local":
            from firebreak.scan import scan
            from firebreak.snapshot import load_snapshot

            mem.stage("load")
            snap = load_snapshot(workdir).snapshot
            t_load = time.perf_counter() - t0
            result = scan(snap, progress=mem.stage)
        else:
            from firebreak.spark import scan_spark, spark_session

            mem.stage("load")
            spark = spark_session(master, conf={"spark.driver.memory": driver_memory})
            t_load = time.perf_counter() - t0
            result = scan_spark(spark, str(workdir), progress=mem.stage)
        wall = time.perf_counter() - t0
        mem.stage("done")
    st = result.stats
    flagged = result.scores.filter(result.scores["role"] != "none")
    return {
        "engine": engine,
        "wall": wall,
        "start": t_load,
        "timings": result.timings,
        "peaks": {k: v / GiB for k, v in mem.peaks.items()},
        "peak": mem.overall / GiB,
        "follows": st["follows"],
        "accounts": st["accounts"],
        "flagged": sorted(zip(flagged["account"].to_list(), flagged["role"].to_list(), strict=True)),
    }


def child(engine: str, workdir: Path, args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", engine, "--workdir", str(workdir), "--master", args.master, "--driver-memory", args.driver_memory]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:  # say why: the child's own error, not only its exit status
        raise SystemExit(f"the {engine} scan of {workdir} failed (exit {out.returncode}):\n{out.stderr[-4000:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def report(size: int, res: dict[str, dict[str, object]]) -> None:
    local, spark = res.get("local"), res["spark"]
    stages = list(spark["timings"])  # type: ignore[call-overload]
    print(f"\n{size:,} accounts, {spark['follows']:,} follows")
    print(f"{'stage':<12}{'spark s':>10}{'spark GiB':>11}{'local s':>10}{'local GiB':>11}")
    print(f"{'start/load':<12}{spark['start']:>10.1f}{spark['peaks'].get('load', 0):>11.2f}"  # type: ignore[union-attr]
          + (f"{local['start']:>10.1f}{local['peaks'].get('load', 0):>11.2f}" if local else ""))  # type: ignore[union-attr]
    for name in stages:
        line = f"{name:<12}{spark['timings'][name]:>10.1f}{spark['peaks'].get(name, 0):>11.2f}"  # type: ignore[index,union-attr]
        if local:
            line += f"{local['timings'].get(name, 0):>10.1f}{local['peaks'].get(name, 0):>11.2f}"  # type: ignore[union-attr]
        print(line)
    line = f"{'total':<12}{spark['wall']:>10.1f}{spark['peak']:>11.2f}"
    if local:
        line += f"{local['wall']:>10.1f}{local['peak']:>11.2f}"
        a, b = dict(local["flagged"]), dict(spark["flagged"])  # type: ignore[call-overload]
        jac = len(a.keys() & b.keys()) / max(1, len(a.keys() | b.keys()))
        line += f"   spark/local {spark['wall'] / local['wall']:.1f}x; flags jaccard {jac:.4f}"  # type: ignore[operator]
    print(line)
    print(f"spark: {spark['wall'] / spark['follows'] * 1e6:.1f} s per million follows (whole scan, local[2])")  # type: ignore[operator]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one 1,000-account default platform (smoke test)")
    ap.add_argument("--sizes", default="125000,250000,500000,1000000", help="platform sizes (accounts), comma-separated")
    ap.add_argument("--no-local", action="store_true", help="skip the local engine")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="6g", help="spark.driver.memory (local mode: the whole JVM)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.workdir, args.master, args.driver_memory)))
        return
    preset = "default" if args.quick else "large"
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    totals: list[tuple[int, float, int]] = []
    for size in sizes:
        workdir = Path(f"/tmp/firebreak-bench-spark-{preset}-{size}-{args.seed}")
        simulate_once(workdir, preset, size, args.seed)
        res = {"spark": child("spark", workdir, args)}
        if not args.no_local:
            res["local"] = child("local", workdir, args)
        report(size, res)
        totals.append((size, float(res["spark"]["wall"]), int(res["spark"]["follows"])))  # type: ignore[arg-type]
        sys.stdout.flush()
    if len(totals) > 1:
        print("\ngrowth per doubling (spark wall time; goal <= 2.2x):")
        for (n0, t0, e0), (n1, t1, e1) in zip(totals, totals[1:]):
            print(f"  {n0:,} -> {n1:,} accounts ({e0:,} -> {e1:,} follows): {t0:.1f} s -> {t1:.1f} s = {t1 / t0:.2f}x "
                  f"(edges {e1 / e0:.2f}x)")


if __name__ == "__main__":
    main()
