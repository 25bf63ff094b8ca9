"""The command line on dirty input (issue 14): one ``error:`` line and exit 2, or quarantined rows written down.

Covers: quarantine.jsonl from scan, detect, map and audit on a raw snapshot; an
output folder that is a file or read-only, refused before the work; rows in = kept
+ quarantined in ingest's summary; lexicon check with non-UTF-8 input; audit
--under-review on a folder or a non-UTF-8 file; bank import of an all-rejected
file and of bad qualities; ``--db notaurl``; ``hash`` on a bad image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firebreak.cli import app

runner = CliRunner()
P1 = "f" * 16 + "0" * 48


@pytest.fixture(scope="module")
def dirty_sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated 500-account platform plus two follows to deleted accounts and an unknown status."""
    from firebreak.lab.sim import simulate

    d = tmp_path_factory.mktemp("dirty") / "snap"
    simulate(d, seed=5, accounts=500)
    with (d / "follows.jsonl").open("a") as fh:
        fh.write('{"src":"deleted_1","dst":"deleted_2"}\n{"src":"deleted_3","dst":"deleted_4"}\n')
    with (d / "accounts.jsonl").open("a") as fh:
        fh.write('{"id":"late_1","status":"shadowbanned"}\n')
    return d


def _one_error_line(result: object, *needles: str) -> str:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    errors = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(errors) == 1 and errors[0].startswith("error: "), result.output  # type: ignore[attr-defined]
    for needle in needles:
        assert needle in errors[0]
    return errors[0]


def _quarantine(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "quarantine.jsonl").read_text().splitlines()]


# -- quarantine files ------------------------------------------------------------------


def test_scan_writes_the_quarantine_inside_its_complete_results(dirty_sim: Path, tmp_path: Path) -> None:
    from firebreak.atomic import RESULTS_KEY, verify_results

    out = tmp_path / "scan"
    res = runner.invoke(app, ["scan", str(dirty_sim), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = _quarantine(out)
    assert sorted(r["reason"] for r in rows) == [
        "bad value in status: shadowbanned (expected active|disabled)",
        "follow from unknown account deleted_1; follow to unknown account deleted_2",
        "follow from unknown account deleted_3; follow to unknown account deleted_4",
    ]
    meta = verify_results(out)[RESULTS_KEY]
    assert "quarantine.jsonl" in meta["files"] and meta["parameters"] == {"seed": 0}  # type: ignore[index]
    assert meta["inputs"]["snapshot"]["path"] == str(dirty_sim.resolve())  # type: ignore[index]


def test_detect_and_map_write_the_quarantine(dirty_sim: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["detect", str(dirty_sim), "--out", str(tmp_path / "det")])
    assert res.exit_code == 0, res.output
    assert len(_quarantine(tmp_path / "det")) == 3
    seeds = tmp_path / "seeds.txt"
    first = json.loads((dirty_sim / "accounts.jsonl").read_text().splitlines()[0])["id"]
    seeds.write_text(f"{first}\n")
    res = runner.invoke(app, ["map", str(dirty_sim), "--seeds", str(seeds), "--out", str(tmp_path / "map")])
    assert res.exit_code == 0, res.output
    assert len(_quarantine(tmp_path / "map")) == 3


def test_audit_writes_the_quarantine(dirty_sim: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit"
    res = runner.invoke(app, ["audit", str(dirty_sim), "--out", str(out), "--steps", "1", "--accounts", "2",
                              "--recall-users", "20", "--probe-terms", "4"])
    assert res.exit_code == 0, res.output
    assert len(_quarantine(out)) == 3


def test_ingest_summary_states_rows_in_kept_and_quarantined(dirty_sim: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["ingest", str(dirty_sim), "--out", str(tmp_path / "w")])
    assert res.exit_code == 0, res.output
    follows_in = sum(1 for line in (dirty_sim / "follows.jsonl").read_text().splitlines() if line.strip())
    row = next(line for line in res.stdout.splitlines() if "follows" in line)
    numbers = [int(cell.replace(",", "")) for cell in row.replace("│", " ").split()[1:]]
    assert numbers[0] == follows_in and numbers[0] == numbers[1] + numbers[2] and numbers[2] >= 2


# -- output folders, refused before the work -------------------------------------------


@pytest.mark.parametrize("command", ["ingest", "detect", "scan", "map", "audit", "bank"])
def test_an_output_folder_that_is_a_file_is_one_line_before_the_work(command: str, tmp_path: Path) -> None:
    snap = tmp_path / "missing-snapshot"  # the error must come before the snapshot is even looked at
    out = tmp_path / "out"
    out.write_text("a file")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("a0\n")
    args = {
        "ingest": ["ingest", str(snap), "--out", str(out)],
        "detect": ["detect", str(snap), "--out", str(out)],
        "scan": ["scan", str(snap), "--out", str(out)],
        "map": ["map", str(snap), "--seeds", str(seeds), "--out", str(out)],
        "audit": ["audit", str(snap), "--out", str(out)],
        "bank": ["bank", "import", str(snap), "--out", str(out)],
    }[command]
    _one_error_line(runner.invoke(app, args), f"{out}: output folder is a file")
    assert out.read_text() == "a file"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder another user can enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="firebreak-ro-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop to an unprivileged user")
@pytest.mark.parametrize("command", ["ingest", "scan", "bank"])
def test_a_read_only_output_folder_is_one_line_before_the_work(command: str, shared_tmp: Path) -> None:
    snap = shared_tmp / "snap"
    snap.mkdir()
    (snap / "accounts.jsonl").write_text('{"id":"a1"}\n')
    (snap / "follows.jsonl").write_text("")
    (shared_tmp / "bank.txt").write_text(P1 + "\n")
    locked = shared_tmp / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    out = locked / "out"
    args = {
        "ingest": ["ingest", str(snap), "--out", str(out)],
        "scan": ["scan", str(snap), "--out", str(out)],
        "bank": ["bank", "import", str(shared_tmp / "bank.txt"), "--out", str(out)],
    }[command]
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    proc = subprocess.run([*drop, sys.executable, "-m", "firebreak.cli", *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"error: {out}: cannot write the output folder: {locked} is not writable (Permission denied)"
    assert proc.stdout == ""


# -- other commands ----------------------------------------------------------------------


def test_lexicon_check_answers_good_lines_and_flags_the_bad_one() -> None:
    res = runner.invoke(app, ["lexicon", "check"], input=b"hello\nbad \xff\xfe bytes\n#P3D0BAIT menu\r\n")
    assert res.exit_code == 2 and "Traceback" not in res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["text"] for x in lines] == ["hello", None, "#P3D0BAIT menu"]
    assert lines[2]["hits"][0]["term"] == "pedobait"
    assert lines[1]["error"] == "standard input line 2: not UTF-8: invalid byte 0xff at byte 4"
    assert res.stderr.strip() == "error: standard input line 2: not UTF-8: invalid byte 0xff at byte 4"


@pytest.mark.parametrize("kind", ["folder", "binary"])
def test_audit_under_review_folder_or_non_utf8_is_one_line(dirty_sim: Path, tmp_path: Path, kind: str) -> None:
    review = tmp_path / "review"
    if kind == "folder":
        review.mkdir()
        needle = "under-review file is a folder"
    else:
        review.write_bytes(b"a1\n\xff\xfe\n")
        needle = "not UTF-8: invalid byte at byte 3 (line 2)"
    _one_error_line(
        runner.invoke(app, ["audit", str(dirty_sim), "--out", str(tmp_path / "a"), "--under-review", str(review)]),
        str(review), needle,
    )


def test_bank_import_of_an_all_rejected_file_is_an_error(tmp_path: Path) -> None:
    bank = tmp_path / "bank.txt"
    bank.write_text("not a hash\nzzzz\n")
    _one_error_line(
        runner.invoke(app, ["bank", "import", str(bank), "--out", str(tmp_path / "saved")]),
        f"{bank}: no valid hash: all 2 lines rejected (line 1: ",
    )
    assert not (tmp_path / "saved").exists()


@pytest.mark.parametrize("quality", ["notaquality", "150", "-3"])
def test_bank_quality_out_of_range_is_a_rejected_line_with_its_reason(tmp_path: Path, quality: str) -> None:
    bank = tmp_path / "bank.txt"
    bank.write_text(f"{P1} {quality}\n{'e' * 64} 90\n")
    res = runner.invoke(app, ["bank", "import", str(bank), "--out", str(tmp_path / "saved")])
    assert res.exit_code == 0, res.output
    assert f"rejected: {bank}:1: quality '{quality}' is not an integer 0-100" in res.stderr


def test_db_that_is_not_a_url_is_an_error_and_creates_nothing(dirty_sim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _one_error_line(
        runner.invoke(app, ["ingest", str(dirty_sim), "--out", str(tmp_path / "w"), "--db", "notaurl"]),
        "not a database URL: 'notaurl'",
    )
    assert not (tmp_path / "notaurl").exists() and not (tmp_path / "w").exists()


def test_hash_of_a_bad_image_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    _one_error_line(runner.invoke(app, ["hash", str(bad)]), f"{bad}: not an image Pillow can read")
