"""SIGKILL at many points of ``firebreak ingest`` and ``firebreak scan``: a results folder is old-complete or new-complete.

Two kinds of kill. A writer process (ingest of snapshots A, B, A, ... or
``ScanResult.write`` of results A, B, A, ...) is forked from a driver that paid the
imports once, and killed with SIGKILL at a random moment, many times, so that the
kills land while files are written, fsynced and swapped. Then the real commands run
as subprocesses and are killed at random moments of their run. After every kill the
folder must be absent (nothing finished yet) or pass
:func:`firebreak.atomic.verify_results` holding exactly the A or the B files, and
the readers (``load_snapshot``, ``read_scan``) accept it.
"""

from __future__ import annotations

import json
import os
import random
import runpy
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from firebreak.atomic import RESULTS_KEY, verify_results
from firebreak.scan import read_scan
from firebreak.snapshot import load_snapshot

KILLS = int(os.environ.get("FIREBREAK_KILLS", "12"))

#: forks one writer child per "go" line on stdin (the driver never runs Polars itself, so
#: no thread pool exists at fork time); prints the child's pid, then "reaped" once it is killed.
_FORK_SERVER = """
import os, sys
{setup}
def child():
    {loop}
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(0)
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def _files(folder: Path) -> dict[str, str]:
    meta = verify_results(folder)[RESULTS_KEY]
    return {name: info["sha256"] for name, info in meta["files"].items()}  # type: ignore[index]


def _snapshot(folder: Path, follows: int) -> Path:
    """A small JSON-lines snapshot: 3 accounts, ``follows`` follows, one report."""
    folder.mkdir(parents=True)
    (folder / "accounts.jsonl").write_text("".join(json.dumps({"id": f"a{i}"}) + "\n" for i in (1, 2, 3)))
    pairs = [{"src": "a1", "dst": "a2"}, {"src": "a2", "dst": "a3"}] * (follows // 2)
    (folder / "follows.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    (folder / "reports.jsonl").write_text(json.dumps({"id": "r1", "target": "a1", "reason": "spam"}) + "\n")
    return folder


def _fork_server(tmp_path: Path, setup: str, loop: str) -> subprocess.Popen[str]:
    script = tmp_path / "driver.py"
    script.write_text(_FORK_SERVER.format(setup=textwrap.dedent(setup), loop=loop))
    log = (tmp_path / "driver.log").open("a")
    return subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
    )


def _kill_children(server: subprocess.Popen[str], tmp_path: Path, target: Path, check: object) -> int:
    """Start and SIGKILL ``KILLS`` writer children; call ``check()`` after each; count kills mid-write.

    The first child runs until ``target`` first appears (its time ``t`` to one complete
    write, imports included); of the others, half are killed at uniform moments in
    ``[0.3 t, 3 t]`` and half as soon as a temporary folder appears (at once or within 30 ms: mid-write).
    """
    assert server.stdin is not None and server.stdout is not None
    rng = random.Random(target.name)
    mid_write = 0
    first: float | None = None
    for _ in range(KILLS):
        server.stdin.write("go\n")
        server.stdin.flush()
        pid = int(server.stdout.readline())
        if first is None:
            started = time.monotonic()
            while not target.exists() and time.monotonic() - started < 120:
                time.sleep(0.01)
            first = time.monotonic() - started
        elif rng.random() < 0.5:
            time.sleep(rng.uniform(0.3 * first, 3 * first))
        else:  # wait for a write to begin, then kill within the next 30 ms
            started = time.monotonic()
            while not any(".tmp-" in p.name for p in target.parent.iterdir()) and time.monotonic() - started < 10 * first:
                time.sleep(0.001)
            time.sleep(rng.choice((0.0, rng.uniform(0, 0.03))))  # at once, or within 30 ms
        os.kill(pid, signal.SIGKILL)
        assert server.stdout.readline().strip() == "reaped", (tmp_path / "driver.log").read_text()[-800:]
        mid_write += any(".tmp-" in p.name for p in target.parent.iterdir())
        check()  # type: ignore[operator]
    server.stdin.close()
    server.wait(timeout=30)
    return mid_write


def _kill_command(args: list[str], rng: random.Random, spread: tuple[float, float]) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "firebreak.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(*spread))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_killed_ingest_leaves_the_old_or_the_new_canonical_copy(tmp_path: Path) -> None:
    from firebreak.ingestion import ingest

    src_a, src_b = _snapshot(tmp_path / "A", 2), _snapshot(tmp_path / "B", 400_000)
    refs = []
    for name, src in (("refA", src_a), ("refB", src_b)):
        ingest(src, tmp_path / name)
        refs.append(_files(tmp_path / name / "snapshot"))
    work = tmp_path / "work"

    def check() -> None:
        if (work / "snapshot").exists():
            assert _files(work / "snapshot") in refs
            assert load_snapshot(work).snapshot.accounts.height == 3

    server = _fork_server(
        tmp_path,
        # imported up front (no Polars work), so a child's time goes to ingesting
        "from firebreak.ingestion import ingest\nimport itertools, firebreak.store, sqlalchemy, alembic.command",
        f"for i in itertools.count(): ingest({str(src_b)!r} if i % 2 else {str(src_a)!r}, {str(work)!r})",
    )
    mid_write = _kill_children(server, tmp_path, work / "snapshot", check)
    assert mid_write >= 1, "no kill landed while the copy was being written"
    rng = random.Random(15)
    for _ in range(2):  # the real command, killed at random moments of its run
        _kill_command(["ingest", str(src_b), "--out", str(work)], rng, (0.5, 4.0))
        check()
    done = subprocess.run([sys.executable, "-m", "firebreak.cli", "ingest", str(src_a), "--out", str(work)],
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert _files(work / "snapshot") == refs[0]
    assert not [p for p in work.iterdir() if ".tmp-" in p.name], "a later run cleans up what the kills left"


def test_killed_scan_leaves_the_old_or_the_new_results(tmp_path: Path) -> None:
    setup = """
        import itertools
        import polars as pl
        from firebreak.scan import ScanResult
        def result(tag, n):
            scores = pl.DataFrame({"account": [f"{tag}{i}" for i in range(n)], "risk": [0.5] * n,
                                   "role": ["buyer"] * n, "network": ["n1"] * n})
            networks = pl.DataFrame({"id": ["n1"], "members": [[f"{tag}0"]], "sellers": [0], "buyers": [1],
                                     "unique_followers": [0], "risk": [0.5], "evidence": [[]], "destinations": [["d"]]})
            terms = pl.DataFrame({"term": [tag], "known": [False]})
            return ScanResult(scores, networks, terms)
        """
    module = tmp_path / "results_module.py"
    module.write_text(textwrap.dedent(setup))
    here = runpy.run_path(str(module))  # the same two results, written here as references
    here["result"]("a", 60_000).write(tmp_path / "refA")  # type: ignore[operator]
    here["result"]("b", 40_000).write(tmp_path / "refB")  # type: ignore[operator]
    refs = [_files(tmp_path / "refA"), _files(tmp_path / "refB")]
    out = tmp_path / "scan"

    def check() -> None:
        if out.exists():
            assert _files(out) in refs
            assert read_scan(out).scores.height in (60_000, 40_000)

    server = _fork_server(
        tmp_path, setup,
        f"rs = [result('a', 60_000), result('b', 40_000)]\n    for i in itertools.count(): rs[i % 2].write({str(out)!r})",
    )
    mid_write = _kill_children(server, tmp_path, out, check)
    assert mid_write >= 1, "no kill landed while results were being written"
    # the real command on a simulated platform, killed at a random moment of its run
    from firebreak.lab.sim import simulate

    simulate(tmp_path / "sim", seed=3, accounts=500)
    before = _files(out) if out.exists() else None
    _kill_command(["scan", str(tmp_path / "sim"), "--out", str(out)], random.Random(42), (1.0, 8.0))
    after = _files(out) if out.exists() else None
    assert after == before or verify_results(out)[RESULTS_KEY]["run"]["command"] == "scan"  # type: ignore[index]


@pytest.mark.parametrize("reader", ["load_snapshot", "read_scan"])
def test_readers_refuse_a_folder_with_a_half_written_file(tmp_path: Path, reader: str) -> None:
    from firebreak.errors import ResultsError
    from firebreak.ingestion import ingest

    if reader == "load_snapshot":
        ingest(_snapshot(tmp_path / "s", 4), tmp_path / "w")
        victim = tmp_path / "w" / "snapshot" / "follows.parquet"
        victim.write_bytes(victim.read_bytes()[:-5])
        with pytest.raises(ResultsError, match="follows.parquet differs"):
            load_snapshot(tmp_path / "w")
    else:
        from firebreak.atomic import atomic_results

        with atomic_results(tmp_path / "r", command="scan") as staged:
            (staged.path / "scores.jsonl").write_text('{"account":"a","risk":0.5}\n')
        with (tmp_path / "r" / "scores.jsonl").open("a") as fh:
            fh.write('{"account":"b"')
        with pytest.raises(ResultsError, match="scores.jsonl differs"):
            read_scan(tmp_path / "r")
