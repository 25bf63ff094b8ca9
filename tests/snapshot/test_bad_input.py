"""Dirty real-platform exports (issue 14): each case is a clear one-line error or a quarantined row.

Every test that reads successfully also checks the accounting: rows in = kept +
quarantined, for every table.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.errors import SnapshotError
from firebreak.exprs import fmt
from firebreak.snapshot import read_snapshot
from firebreak.snapshot.read import ReadResult
from firebreak.snapshot.validate import finish, typed_stage

from .test_read import write


def _accounts(n: int, bad_status: tuple[int, ...] = ()) -> str:
    return "".join(
        json.dumps({"id": f"a{i}", "handle": f"h{i}", "created_at": "2023-01-01T00:00:00Z",
                    "status": "gone_weird" if i in bad_status else "active"}) + "\n"
        for i in range(n)
    )


def _follows(n: int, unknown_after: tuple[int, ...] = ()) -> str:
    rows = []
    for i in range(n - 1):
        rows.append({"src": f"a{i}", "dst": f"a{i + 1}", "created_at": "2023-01-01T00:00:00Z"})
        if i in unknown_after:
            rows.append({"src": f"a{i}", "dst": f"deleted{i}", "created_at": "2023-01-01T00:00:00Z"})
    return "".join(json.dumps(r) + "\n" for r in rows)


def _accounted(result: ReadResult) -> None:
    for table, (rows_in, kept, quarantined) in result.accounting().items():
        assert rows_in == kept + quarantined, table


# -- the Polars panic ---------------------------------------------------------------


@pytest.mark.parametrize("n", [100, 5000])
def test_two_follows_to_deleted_accounts_past_the_first_rows_are_quarantined(tmp_path: Path, n: int) -> None:
    """Regression: ``PanicException: assertion failed: i < self.len()`` in the rejected-row formatting."""
    d = tmp_path / "snap"
    write(d, "accounts.jsonl", _accounts(n))
    write(d, "follows.jsonl", _follows(n, unknown_after=(n // 2, n // 2 + 3)))
    result = read_snapshot(d)
    assert result.quarantine["reason"].to_list() == [f"follow to unknown account deleted{n // 2}", f"follow to unknown account deleted{n // 2 + 3}"]
    assert result.snapshot.follows.height == n - 1
    assert result.rows_in["follows"] == n + 1
    _accounted(result)


@pytest.mark.parametrize("n", [100, 5000])
def test_two_accounts_with_an_unknown_status_are_quarantined(tmp_path: Path, n: int) -> None:
    d = tmp_path / "snap"
    write(d, "accounts.jsonl", _accounts(n, bad_status=(n - 3, n - 2)))
    write(d, "follows.jsonl", _follows(n))
    result = read_snapshot(d)
    reasons = result.quarantine.filter(pl.col("table") == "accounts")["reason"].to_list()
    assert reasons == ["bad value in status: gone_weird (expected active|disabled)"] * 2
    # follows touching the two quarantined accounts go too, each with its reason
    assert result.quarantine.filter(pl.col("table") == "follows").height == 3
    _accounted(result)


def test_fmt_matches_pl_format_and_survives_an_empty_first_chunk() -> None:
    """The root cause: Polars' ``str_format`` kernel on a String column whose first chunk is empty."""
    parts = [
        pl.DataFrame({"s": ["a", "b", "c"], "n": [0, 1, 2]}),
        pl.DataFrame({"s": ["x", None, "y"], "n": [3, 4, 5]}),
        pl.DataFrame({"s": ["z"], "n": [6]}),
    ]
    frame = pl.concat(parts, rechunk=False)  # as a batched read hands it over
    kept = frame.filter(frame["n"] >= 3)
    assert kept["s"].chunk_lengths()[0] == 0  # the layout that made pl.format panic
    out = kept.select(fmt("{} {} ({})", pl.lit("follow to"), pl.col("s"), "n")).to_series().to_list()
    assert out == ["follow to x (3)", None, "follow to y (5)", "follow to z (6)"]
    whole = frame.select(fmt("[{}]", "s"), pl.format("[{}]", "s").alias("ref"))
    assert whole.to_series(0).to_list() == whole.to_series(1).to_list()


@settings(max_examples=40)
@given(
    sizes=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    bad=st.sets(st.integers(0, 29), max_size=6),
)
def test_finish_formats_rejects_for_any_chunk_layout(sizes: list[int], bad: set[int]) -> None:
    total = sum(sizes)
    ids = [f"a{i}" if i not in bad else f"ghost{i}" for i in range(total)]
    chunks, start = [], 0
    for size in sizes:
        chunks.append(pl.DataFrame({"src": ["a0"] * size, "dst": ids[start : start + size]}, schema={"src": pl.String, "dst": pl.String}))
        start += size
    raw = pl.concat(chunks, rechunk=False).with_row_index("__line", offset=1)
    accounts = pl.Series([f"a{i}" for i in range(30)])
    ok, rejected = finish(typed_stage(raw.lazy(), "follows", accounts).collect(), "follows")
    expected = [f"follow to unknown account {i}" for i in ids if i.startswith("ghost")]
    assert rejected["__reason"].to_list() == expected
    assert ok.height + rejected.height == total


# -- file-level faults ----------------------------------------------------------------


def test_accounts_csv_without_a_header_is_an_error_naming_the_file(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    path = write(d, "accounts.csv", "a1,pizza,Pizza Place\na2,bob,Bob\n")
    write(d, "follows.csv", "src,dst\na1,a2\n")
    with pytest.raises(SnapshotError) as exc:
        read_snapshot(d)
    message = str(exc.value)
    assert message.startswith(f"{path}: line 1 (the header) names 'a1', 'pizza', 'Pizza Place'")
    assert "no header line?" in message and "\n" not in message


def test_headerless_follows_csv_error_names_no_internal_column(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    write(d, "accounts.csv", "id\na1\na2\n")
    path = write(d, "follows.csv", "a1,a2\na2,a1\n")
    with pytest.raises(SnapshotError) as exc:
        read_snapshot(d)
    assert str(exc.value).startswith(f"{path}: line 1 (the header) names 'a1', 'a2'")
    assert "__line" not in str(exc.value)


@pytest.mark.parametrize("name", ["accounts.jsonl", "accounts.jsonl.gz", "accounts.csv"])
def test_a_utf8_bom_does_not_quarantine_the_first_row(tmp_path: Path, name: str) -> None:
    d = tmp_path / "snap"
    text = "id,handle\na1,x\na2,y\n" if name.endswith(".csv") else '{"id":"a1"}\n{"id":"a2"}\n'
    write(d, name, b"\xef\xbb\xbf" + text.encode())
    write(d, "follows.jsonl", '{"src":"a1","dst":"a2"}\n')
    result = read_snapshot(d)
    assert result.quarantine.height == 0
    assert result.snapshot.accounts["id"].to_list() == ["a1", "a2"]
    assert result.snapshot.follows.height == 1
    _accounted(result)


def test_truncated_gzip_says_how_many_lines_decoded(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    data = gzip.compress(_accounts(20_000).encode(), mtime=0)
    path = d / "accounts.jsonl.gz"
    d.mkdir()
    path.write_bytes(data[: len(data) // 2])
    write(d, "follows.jsonl", "")
    with pytest.raises(SnapshotError) as exc:
        read_snapshot(d)
    message = str(exc.value)
    assert "truncated gzip" in message and "after line 1" not in message
    decoded = int(message.split("after ")[1].split(" complete lines")[0].replace(",", ""))
    assert 1_000 < decoded < 20_000


def test_two_files_for_one_table_is_an_error_naming_both(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    jsonl = write(d, "accounts.jsonl", '{"id":"a1"}\n')
    csv = write(d, "accounts.csv", "id\na2\n")
    write(d, "follows.jsonl", "")
    with pytest.raises(SnapshotError) as exc:
        read_snapshot(d)
    assert str(jsonl) in str(exc.value) and str(csv) in str(exc.value)


# -- row-level faults: quarantined, and accounted for ----------------------------------


@pytest.mark.parametrize("encoding", ["jsonl", "csv"])
def test_crlf_line_endings_read_like_lf(tmp_path: Path, encoding: str) -> None:
    d = tmp_path / "snap"
    if encoding == "csv":
        write(d, "accounts.csv", "id,handle\r\na1,x\r\na2,y\r\n")
        write(d, "follows.csv", "src,dst\r\na1,a2\r\n")
    else:
        write(d, "accounts.jsonl", '{"id":"a1","handle":"x"}\r\n{"id":"a2","handle":"y"}\r\n')
        write(d, "follows.jsonl", '{"src":"a1","dst":"a2"}\r\n')
    result = read_snapshot(d)
    assert result.quarantine.height == 0
    assert result.snapshot.accounts["handle"].to_list() == ["x", "y"]
    assert result.snapshot.follows.height == 1


def test_a_huge_field_is_kept_whole(tmp_path: Path) -> None:
    bio = "long bio " * 300_000  # 2.7 MB in one field
    d = tmp_path / "snap"
    write(d, "accounts.jsonl", json.dumps({"id": "a1", "bio": bio}) + "\n" + '{"id":"a2"}\n')
    write(d, "follows.jsonl", "")
    result = read_snapshot(d)
    assert result.snapshot.accounts["bio"][0] == bio
    _accounted(result)


def test_wrong_types_unknown_enums_missing_and_extra_columns_and_duplicates(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    write(
        d,
        "accounts.jsonl",
        '{"id":"a1","links":"not a list","extra":1}\n'  # wrong type, extra column
        '{"id":"a2","age_group":"ancient"}\n'  # unknown enum
        '{"handle":"no id"}\n'  # missing required field
        '{"id":"a3","created_at":"soon"}\n'  # bad timestamp
        '{"id":"a4"}\n{"id":"a4"}\n',  # duplicate id
    )
    write(d, "follows.csv", "src,dst,weight\na4,a4,7\n")  # an extra CSV column is ignored
    result = read_snapshot(d)
    q = result.quarantine.filter(pl.col("table") == "accounts")
    assert q["line"].to_list() == [1, 2, 3, 4, 6]
    assert [r.split(":")[0] for r in q["reason"]] == [
        "wrong type", "bad value in age_group", "missing required field id", "bad timestamp in created_at",
        "duplicate id a4 (first on line 5)",
    ]
    assert result.snapshot.accounts["id"].to_list() == ["a4"]
    assert result.snapshot.follows.height == 1
    _accounted(result)


def test_csv_missing_a_required_column_quarantines_rows_and_accounts_for_them(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    write(d, "accounts.jsonl", '{"id":"a1"}\n')
    write(d, "follows.csv", "src,created_at\na1,2023-01-01T00:00:00Z\na1,\n")
    result = read_snapshot(d)
    assert result.quarantine["reason"].to_list() == ["missing required field dst"] * 2
    assert result.accounting()["follows"] == (2, 0, 2)


@pytest.mark.parametrize("encoding", ["jsonl", "jsonl.gz", "csv"])
def test_a_file_ending_in_half_a_utf8_character_is_one_line(tmp_path: Path, encoding: str) -> None:
    """Found by benchmarks/fuzz_parsers.py: the decoder's held-back bytes were indexed in the empty last chunk."""
    d = tmp_path / "snap"
    body = b"id\na1\na2\xd8" if encoding == "csv" else b'{"id":"a1"}\n\xd8'
    path = write(d, f"accounts.{encoding}", body)
    write(d, "follows.jsonl", "")
    with pytest.raises(SnapshotError) as exc:
        read_snapshot(d)
    at = len(body) - 1
    line = body.count(b"\n") + 1
    assert str(exc.value) == f"{path}: not UTF-8: invalid byte 0xd8 at byte {at} (line {line})"


@pytest.mark.parametrize("data", [b"P", b"PAR1PAR1"])
def test_a_parquet_file_of_a_few_bytes_is_one_line(tmp_path: Path, data: bytes) -> None:
    """Found by tests/snapshot/test_fuzz.py: seeking 4 bytes back from the end of a 1-byte file."""
    d = tmp_path / "snap"
    write(d, "accounts.jsonl", '{"id":"a1"}\n')
    write(d, "follows.jsonl", "")
    path = write(d, "events.parquet", data)
    with pytest.raises(SnapshotError, match=f"^{path}: not a Parquet file \\(only {len(data)} bytes\\)$"):
        read_snapshot(d)
