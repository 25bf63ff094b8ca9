"""ingest and ``firebreak ingest``: canonical copy, quarantine file, store, idempotence, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from firebreak.cli import app
from firebreak.errors import SnapshotError
from firebreak.ingestion import ingest
from firebreak.snapshot import Snapshot, load_snapshot, write_snapshot
from firebreak.store import open_store

from .test_read import write


def _bad_snapshot(tmp_path: Path, snapshot: Snapshot) -> Path:
    """``snapshot`` as jsonl plus two bad follows and one duplicate report."""
    d = write_snapshot(snapshot, tmp_path / "snap", "jsonl")
    with (d / "follows.jsonl").open("a") as fh:
        fh.write('{"src":"a1","dst":"nobody"}\n{"src":"a1","dst":"a2","created_at":"never"}\n')
    with (d / "reports.jsonl").open("a") as fh:
        fh.write('{"id":"r1","target":"a3"}\n')
    return d


def _state(work: Path) -> dict[str, bytes]:
    files = sorted(p for p in work.rglob("*") if p.is_file() and p.suffix != ".db")
    return {str(p.relative_to(work)): p.read_bytes() for p in files}


def test_ingest_writes_canonical_copy_quarantine_and_reports(snapshot: Snapshot, tmp_path: Path) -> None:
    work = tmp_path / "work"
    result = ingest(_bad_snapshot(tmp_path, snapshot), work)
    assert result.counts["follows"] == 2 and result.counts["reports"] == 2
    assert result.quarantined == {"follows": 2, "reports": 1}
    rows = [json.loads(line) for line in (work / "quarantine.jsonl").read_text().splitlines()]
    assert [(r["table"], r["line"], r["reason"]) for r in rows] == [
        ("follows", 3, "follow to unknown account nobody"),
        ("follows", 4, "bad timestamp in created_at: never"),
        ("reports", 3, "duplicate id r1 (first on line 1)"),
    ]
    loaded = load_snapshot(work)
    assert loaded.quarantine.height == 0
    for table in ("accounts", "follows", "posts", "events", "reports", "labels"):
        assert_frame_equal(loaded.snapshot.table(table), result.read.snapshot.table(table))
    assert result.reports_new == 2
    with open_store(f"sqlite:///{work / 'firebreak.db'}") as store:
        assert sorted(store.reports()["id"].to_list()) == ["r1", "r2"]


def test_ingest_is_idempotent(snapshot: Snapshot, tmp_path: Path, db_url: str) -> None:
    """Same files, byte for byte, and no duplicate reports, on SQLite and on PostgreSQL."""
    src = _bad_snapshot(tmp_path, snapshot)
    work = tmp_path / "work"
    first = ingest(src, work, db_url=db_url)
    before = _state(work)
    second = ingest(src, work, db_url=db_url)
    assert second.files_changed == [] and second.reports_new == 0
    assert _state(work) == before
    assert first.reports_new == 2 and first.reports_total == second.reports_total == 2
    with open_store(db_url) as store:
        assert store.count_reports() == 2


def test_reingest_after_a_table_disappears_removes_it(snapshot: Snapshot, tmp_path: Path) -> None:
    src = write_snapshot(snapshot, tmp_path / "snap", "csv")
    work = tmp_path / "work"
    ingest(src, work)
    (src / "events.csv").unlink()
    result = ingest(src, work)
    assert "snapshot/events.parquet" in result.files_changed
    assert load_snapshot(work).snapshot.events.height == 0


def test_ingest_stops_on_unreadable_file(snapshot: Snapshot, tmp_path: Path) -> None:
    d = write_snapshot(snapshot, tmp_path / "snap", "jsonl")
    write(d, "posts.jsonl", b'{"id":"p1","author":"a1","text":"\xc3"}\n')
    with pytest.raises(SnapshotError, match=r"posts\.jsonl: not UTF-8: invalid byte 0xc3 at byte 33 \(line 1\)"):
        ingest(d, tmp_path / "work")
    assert not (tmp_path / "work" / "snapshot").exists()


def test_cli_prints_counts_and_quarantine(snapshot: Snapshot, tmp_path: Path) -> None:
    src = _bad_snapshot(tmp_path, snapshot)
    work = tmp_path / "work"
    runner = CliRunner()
    out = runner.invoke(app, ["ingest", str(src), "--out", str(work), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert out.exit_code == 0, out.output
    assert "quarantined 3 rows" in out.output
    assert "reports: 2 new" in out.output
    again = runner.invoke(app, ["ingest", str(src), "--out", str(work), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert "reports: 0 new, 2 in store" in again.output and "nothing changed" in again.output


def test_cli_unreadable_file_is_one_line_no_traceback(snapshot: Snapshot, tmp_path: Path) -> None:
    d = write_snapshot(snapshot, tmp_path / "snap", "jsonl.gz")
    path = d / "accounts.jsonl.gz"
    path.write_bytes(path.read_bytes()[:-12])
    out = CliRunner().invoke(app, ["ingest", str(d), "--out", str(tmp_path / "work")])
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.output
    assert lines[0].startswith(f"error: {path}: truncated gzip: the compressed stream ends early at byte ")


def test_cli_process_non_utf8_error_is_one_stderr_line(snapshot: Snapshot, tmp_path: Path) -> None:
    import subprocess
    import sys

    d = write_snapshot(snapshot, tmp_path / "snap", "csv")
    path = write(d, "follows.csv", b"src,dst\na1,a2\na1,\xe9\n")
    proc = subprocess.run(
        [sys.executable, "-m", "firebreak.cli", "ingest", str(d), "--out", str(tmp_path / "work")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"error: {path}: not UTF-8: invalid byte 0xe9 at byte 17 (line 3)\n"
