"""write_snapshot: file layout, text forms of timestamps and lists, manifest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from firebreak.snapshot import Snapshot, write_snapshot
from firebreak.snapshot.schema import ENCODINGS, empty


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_writes_every_non_empty_table_and_manifest(snapshot: Snapshot, tmp_path: Path, encoding: str) -> None:
    out = write_snapshot(snapshot, tmp_path / "snap", encoding)
    names = sorted(p.name for p in out.iterdir())
    tables = ["accounts", "events", "follows", "labels", "posts", "reports"]
    assert names == sorted([f"{t}.{encoding}" for t in tables] + ["manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == 1 and manifest["platform"] == "test"


def test_required_tables_written_even_when_empty(tmp_path: Path) -> None:
    out = write_snapshot(Snapshot(accounts=empty("accounts")), tmp_path, "csv")
    assert sorted(p.name for p in out.iterdir()) == ["accounts.csv", "follows.csv", "manifest.json"]
    assert (out / "follows.csv").read_text().strip() == "src,dst,created_at"


def test_text_encodings_write_rfc3339_and_json_lists(snapshot: Snapshot, tmp_path: Path) -> None:
    out = write_snapshot(snapshot, tmp_path, "jsonl.gz")
    first = json.loads(gzip.decompress((out / "accounts.jsonl.gz").read_bytes()).splitlines()[0])
    assert first["created_at"] == "2023-06-07T12:00:00Z"
    third = json.loads(gzip.decompress((out / "accounts.jsonl.gz").read_bytes()).splitlines()[2])
    assert third["created_at"] == "2020-01-01T00:00:00.500Z"
    csv_out = write_snapshot(snapshot, tmp_path / "csv", "csv")
    line = (csv_out / "posts.csv").read_text().splitlines()[1]
    assert '"[{""pdq"":""' in line and "2023-06-07T12:00:00Z" in line


def test_switching_encoding_removes_the_old_file(snapshot: Snapshot, tmp_path: Path) -> None:
    write_snapshot(snapshot, tmp_path, "jsonl")
    write_snapshot(snapshot, tmp_path, "parquet")
    assert not (tmp_path / "accounts.jsonl").exists() and (tmp_path / "accounts.parquet").exists()


def test_jsonl_gz_bytes_are_reproducible(snapshot: Snapshot, tmp_path: Path) -> None:
    a = write_snapshot(snapshot, tmp_path / "a", "jsonl.gz") / "follows.jsonl.gz"
    b = write_snapshot(snapshot, tmp_path / "b", "jsonl.gz") / "follows.jsonl.gz"
    assert a.read_bytes() == b.read_bytes()


def test_unknown_encoding_is_refused(snapshot: Snapshot, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown encoding 'xml'"):
        write_snapshot(snapshot, tmp_path, "xml")
