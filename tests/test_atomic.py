"""firebreak.atomic: results folders swapped in complete, with a manifest that readers verify."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from firebreak.atomic import (
    MANIFEST,
    RESULTS_KEY,
    atomic_results,
    check_writable,
    fingerprint,
    sha256_file,
    verify_results,
)
from firebreak.errors import FirebreakError, ResultsError


def _write(folder: Path, files: dict[str, str], **kwargs: object) -> Path:
    with atomic_results(folder, command="test", **kwargs) as out:  # type: ignore[arg-type]
        for name, text in files.items():
            (out.path / name).parent.mkdir(parents=True, exist_ok=True)
            (out.path / name).write_text(text)
    return folder


def test_manifest_names_run_inputs_parameters_and_checksums(tmp_path: Path) -> None:
    src = tmp_path / "input.txt"
    src.write_text("input")
    folder = _write(tmp_path / "r", {"a.jsonl": "1\n", "sub/b.txt": "2"}, inputs={"src": src}, parameters={"seed": 3})
    meta = verify_results(folder)[RESULTS_KEY]
    assert meta["run"]["command"] == "test" and len(meta["run"]["id"]) == 32 and meta["run"]["time"].endswith("Z")
    assert meta["inputs"]["src"] == {"path": str(src.resolve()), "kind": "sha256", "sha256": sha256_file(src)}
    assert meta["parameters"] == {"seed": 3}
    assert meta["files"]["a.jsonl"] == {"sha256": sha256_file(folder / "a.jsonl"), "bytes": 2}
    assert set(meta["files"]) == {"a.jsonl", "sub/b.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.txt", "r"]  # no temporary left


def test_a_results_folder_fingerprint_is_its_checksums(tmp_path: Path) -> None:
    a = _write(tmp_path / "a", {"x": "1"})
    b = _write(tmp_path / "b", {"x": "1"})
    assert fingerprint(a)["kind"] == "files" and fingerprint(a)["sha256"] == fingerprint(b)["sha256"]
    assert fingerprint(tmp_path / "nope")["kind"] == "missing"


def test_readers_refuse_missing_incomplete_or_changed_folders(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not found"):
        verify_results(tmp_path / "none")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "scores.jsonl").write_text("{}\n")
    with pytest.raises(ResultsError, match="no manifest.json"):
        verify_results(bare)
    folder = _write(tmp_path / "r", {"a": "1", "b": "2"})
    manifest = json.loads((folder / MANIFEST).read_text())
    (folder / "a").write_text("9")  # same size, other bytes
    with pytest.raises(ResultsError, match="a differs from its checksum"):
        verify_results(folder)
    (folder / "a").write_text("1")
    (folder / "b").unlink()
    with pytest.raises(ResultsError, match="b is listed in manifest.json but missing"):
        verify_results(folder)
    manifest[RESULTS_KEY]["complete"] = False
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match="not a complete Firebreak results manifest"):
        verify_results(folder)
    (folder / MANIFEST).write_bytes(b'{"firebreak_res')
    with pytest.raises(ResultsError, match="not a readable manifest"):
        verify_results(folder)
    assert issubclass(ResultsError, FirebreakError)


def test_a_failed_write_leaves_the_old_folder_and_no_temporary(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", {"a": "old"})
    with pytest.raises(RuntimeError), atomic_results(folder, command="test") as out:
        (out.path / "a").write_text("new, half")
        raise RuntimeError("killed")
    assert (folder / "a").read_text() == "old" and verify_results(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_replacing_swaps_the_whole_folder(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", {"a": "old", "stale": "x"})
    with atomic_results(folder, command="test") as out:
        (out.path / "a").write_text("new")
    assert out.replaced and sorted(out.changed) == ["a", "stale"]
    assert sorted(p.name for p in folder.iterdir()) == ["a", MANIFEST]
    assert verify_results(folder)


def test_keep_if_unchanged_leaves_bytes_alone(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", {"a": "same"}, keep_if_unchanged=True)
    before = (folder / MANIFEST).read_bytes()
    with atomic_results(folder, command="test", keep_if_unchanged=True) as out:
        (out.path / "a").write_text("same")
    assert not out.replaced and out.changed == [] and (folder / MANIFEST).read_bytes() == before


def test_a_stale_temporary_from_a_killed_writer_is_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".r.tmp-999999999-deadbeef"
    stale.mkdir()
    (stale / "a").write_text("half")
    _write(tmp_path / "r", {"a": "1"})
    assert not stale.exists()


def test_a_folder_of_someone_elses_files_is_not_replaced(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    with pytest.raises(ResultsError, match="not a Firebreak results folder .*thesis.tex"):
        _write(home, {"scores.jsonl": ""}, may_replace={"scores.jsonl"})
    assert (home / "thesis.tex").read_text() == "precious"


def test_check_writable_refuses_a_file_up_front(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("a file")
    with pytest.raises(ResultsError, match="output folder is a file"):
        check_writable(target)
    with pytest.raises(ResultsError, match="is a file, cannot create the output folder"):
        check_writable(target / "sub")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; the CLI test covers it as nobody")
def test_check_writable_refuses_a_read_only_parent(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(ResultsError, match="not writable"):
        check_writable(locked / "out")
