"""Workers killed with SIGKILL anywhere: every escalated case still ends with exactly one finished report.

Child workers start from a forkserver that has already imported Firebreak (so a
trial costs milliseconds, not an interpreter start); each is a real process,
killed for real. One trial drives the CLI itself (``firebreak ncmec submit``).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext
from pathlib import Path

import pytest

from firebreak.act.ncmec.ledger import Ledger
from firebreak.act.ncmec.settings import NcmecSettings
from firebreak.act.ncmec.standin import Faults, StandinSettings, running_standin
from firebreak.store import open_store
from tests.act.ncmec.helpers import check_exactly_once, make_case, worker_process

POINTS = [
    "submit", "submit.sent", "upload", "upload.sent", "fileinfo", "fileinfo.sent",
    "finish", "finish.sent", "retract", "retract.sent",
]


@pytest.fixture(scope="module")
def forkserver() -> Iterator[ForkServerContext]:
    """A forkserver context whose server has Firebreak's reporting modules preloaded."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(
        [
            "tests.act.ncmec.helpers", "firebreak.act.ncmec.service", "firebreak.store", "firebreak.detect.media.hashing",
            "PIL.PngImagePlugin", "pdqhash", "alembic.command", "sqlalchemy.dialects.sqlite", "psycopg",
        ]
    )
    yield ctx


def _run(ctx: ForkServerContext, db_url: str, url: str, kill_at: str | None = None, *, after_s: float | None = None) -> int:
    """Run one worker process to its end (or kill it ``after_s`` seconds in); returns its exit code."""
    process = ctx.Process(target=worker_process, args=(db_url, url, kill_at))
    process.start()
    process.join(timeout=after_s if after_s is not None else 60)
    if process.is_alive():
        process.kill()
        process.join(timeout=10)
    assert process.exitcode is not None
    return process.exitcode


def _escalate(db_url: str, n: int) -> list[str]:
    with open_store(db_url) as store:
        ledger = Ledger(store, "lead")
        for i in range(n):
            ledger.escalate(make_case(i), actor="reviewer")
    return [f"case-{i}" for i in range(n)]


def _finish_and_check(ctx: ForkServerContext, db_url: str, url: str, case_ids: list[str]) -> dict[str, int]:
    for _ in range(5):
        assert _run(ctx, db_url, url) == 0
        with open_store(db_url) as store:
            if Ledger(store, "check").cases("finished").height == len(case_ids):
                break
    settings = NcmecSettings("test", url, "firebreak-test", "firebreak-test")
    with open_store(db_url) as store:
        ids = check_exactly_once(settings, store, case_ids)
        assert Ledger(store, "check").cases("returned").height == 0
    return ids


def test_killed_at_every_step_then_resumed(forkserver: ForkServerContext, db_url: str) -> None:
    # Lost upload answers make the worker retract and start again, so retracts happen too.
    faults = Faults(lose=0.25, endpoints=("upload",), seed=2)
    with running_standin(StandinSettings(faults=faults)) as (url, _server):
        case_ids = _escalate(db_url, 2)
        killed = []
        for point in POINTS:
            code = _run(forkserver, db_url, url, point)
            assert code in (0, -9)
            if code == -9:
                killed.append(point)
        assert {"submit", "submit.sent", "upload.sent", "fileinfo.sent", "finish.sent"} <= set(killed)
        ids = _finish_and_check(forkserver, db_url, url, case_ids)
    assert len(set(ids.values())) == len(case_ids)


def test_killed_at_random_moments(forkserver: ForkServerContext, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kill.db'}"
    rng = random.Random(20231207)
    faults = Faults(slow=0.5, slow_s=0.03, error=0.1, lose=0.1, seed=4)
    with running_standin(StandinSettings(faults=faults)) as (url, _server):
        case_ids = _escalate(db_url, 3)
        codes = [_run(forkserver, db_url, url, after_s=rng.uniform(0.05, 0.5)) for _ in range(10)]
        assert codes.count(-9) >= 5
        _finish_and_check(forkserver, db_url, url, case_ids)


def test_the_cli_worker_killed_mid_report_resumes(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    with running_standin() as (url, _server):
        case_ids = _escalate(db_url, 2)
        command = [
            sys.executable, "-m", "firebreak.cli", "ncmec", "submit", "--db", db_url, "--url", url,
            "--generated-media", "--attempts", "3", "--backoff", "0.01",
        ]
        env = {**os.environ, "FIREBREAK_NCMEC_TEST_KILL": "upload.sent:3"}
        env.pop("FIREBREAK_NCMEC_ENV", None)
        killed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert killed.returncode == -9
        with open_store(db_url) as store:
            ledger = Ledger(store, "check")
            assert ledger.cases("finished").height == 1  # case-0 done, case-1 stopped mid-upload
            (open_sub,) = [s for s in ledger.submissions("case-1") if s.state == "open"]
            assert [f.state for f in ledger.files(open_sub.id).values()] == ["uploading"]
        # The same worker name resumes at once (its own lease); the CLI runs this same function.
        worker_process(db_url, url, None, worker="ncmec-worker")
        settings = NcmecSettings("test", url, "firebreak-test", "firebreak-test")
        with open_store(db_url) as store:
            check_exactly_once(settings, store, case_ids)
            states = [s.state for s in Ledger(store, "check").submissions("case-1")]
        assert states == ["retracted", "finished"]  # the upload whose answer was lost forced a fresh report
