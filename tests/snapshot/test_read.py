"""read_snapshot: every encoding, both timestamp forms, defaults, and every bad-input case."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from firebreak.errors import SnapshotError
from firebreak.snapshot import Snapshot, load_snapshot, read_snapshot, write_snapshot
from firebreak.snapshot.schema import ENCODINGS, SCHEMAS
from firebreak.snapshot.validate import LINE, conform

from .conftest import MD5, PDQ

ACCOUNTS = "\n".join(json.dumps({"id": f"a{i}"}) for i in range(1, 4)) + "\n"


def write(directory: Path, name: str, text: str | bytes) -> Path:
    """Write one file of a snapshot directory (str is UTF-8; ``.gz`` names are gzipped)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    if name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path = directory / name
    path.write_bytes(data)
    return path


def snapshot_dir(tmp_path: Path, **files: str | bytes) -> Path:
    """A snapshot dir with three accounts ``a1..a3`` and no follows, plus ``files`` (name -> text)."""
    d = tmp_path / "snap"
    names = {name.replace("_", "."): text for name, text in files.items()}
    if not any(n.startswith("accounts.") for n in names):
        write(d, "accounts.jsonl", ACCOUNTS)
    if not any(n.startswith("follows.") for n in names):
        write(d, "follows.jsonl", "")
    for name, text in names.items():
        write(d, name, text)
    return d


def reasons(result) -> list[str]:
    return result.quarantine["reason"].to_list()


# -- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_round_trips(snapshot: Snapshot, tmp_path: Path, encoding: str) -> None:
    result = read_snapshot(write_snapshot(snapshot, tmp_path, encoding))
    assert result.quarantine.height == 0
    for table in SCHEMAS:
        assert_frame_equal(result.snapshot.table(table), snapshot.table(table))
    assert result.snapshot.manifest["platform"] == "test"
    assert result.files["accounts"].name == f"accounts.{encoding}"


def test_timestamps_in_either_form_and_any_offset(tmp_path: Path) -> None:
    follows = "\n".join(
        json.dumps({"src": "a1", "dst": "a2", "created_at": ts})
        for ts in ["2023-06-07T12:00:00Z", 1686139200, "1686139200", "2023-06-07T14:00:00+02:00",
                   "2023-06-07T12:00:00.250Z", "2023-06-07t12:00:00z", None]
    )
    result = read_snapshot(snapshot_dir(tmp_path, follows_jsonl=follows))
    assert result.quarantine.height == 0
    got = result.snapshot.follows["created_at"].dt.epoch("ms").to_list()
    assert got == [1686139200000] * 4 + [1686139200250, 1686139200000, None]


def test_hashtags_extracted_from_text_when_absent(tmp_path: Path) -> None:
    posts = "\n".join(
        [
            json.dumps({"id": "p1", "author": "a1", "text": "Sunday #Pizza and #café_night! #日本"}),
            json.dumps({"id": "p2", "author": "a1", "text": "given", "hashtags": ["#kept", "x"]}),
            json.dumps({"id": "p3", "author": "a1", "text": "#null", "hashtags": None}),
            json.dumps({"id": "p4", "author": "a1"}),
        ]
    )
    result = read_snapshot(snapshot_dir(tmp_path, posts_jsonl=posts))
    assert result.snapshot.posts["hashtags"].to_list() == [["Pizza", "café_night", "日本"], ["kept", "x"], ["null"], []]


def test_defaults_unknown_fields_and_missing_columns(tmp_path: Path) -> None:
    accounts = 'id,extra,status\na1,zzz,\na2,yyy,disabled\n'
    result = read_snapshot(snapshot_dir(tmp_path, accounts_csv=accounts))
    acc = result.snapshot.accounts
    assert acc.columns == list(SCHEMAS["accounts"])
    assert acc["status"].to_list() == ["active", "disabled"]
    assert acc["handle"].null_count() == 2


def test_load_snapshot_accepts_a_workdir(snapshot: Snapshot, tmp_path: Path) -> None:
    write_snapshot(snapshot, tmp_path / "work" / "snapshot", "parquet")
    assert load_snapshot(tmp_path / "work").snapshot.accounts.height == 3


# -- quarantined rows -----------------------------------------------------------------


def test_missing_required_fields(tmp_path: Path) -> None:
    follows = '{"src":"a1","dst":"a2"}\n{"src":"a1"}\n{"dst":"a1","src":""}\n'
    result = read_snapshot(snapshot_dir(tmp_path, follows_jsonl=follows))
    assert result.snapshot.follows.height == 1
    assert result.quarantine.select("table", "file", "line", "reason").rows() == [
        ("follows", "follows.jsonl", 2, "missing required field dst"),
        ("follows", "follows.jsonl", 3, "missing required field src"),
    ]


def test_missing_required_column_in_csv_quarantines_every_row(tmp_path: Path) -> None:
    result = read_snapshot(snapshot_dir(tmp_path, posts_csv="author,text\na1,hi\na2,yo\n"))
    assert reasons(result) == ["missing required field id"] * 2
    assert result.quarantine["line"].to_list() == [2, 3]


def test_bad_timestamps(tmp_path: Path) -> None:
    follows = "\n".join(
        json.dumps({"src": "a1", "dst": "a2", "created_at": ts})
        for ts in ["2023-06-07T12:00:00Z", "yesterday", "2023-13-01T00:00:00Z", "2023-06-07T12:00:00", 1.5, True]
    )
    result = read_snapshot(snapshot_dir(tmp_path, follows_jsonl=follows))
    assert result.snapshot.follows.height == 1
    assert reasons(result) == [
        "bad timestamp in created_at: yesterday",
        "bad timestamp in created_at: 2023-13-01T00:00:00Z",
        "bad timestamp in created_at: 2023-06-07T12:00:00",
        "bad timestamp in created_at: 1.5",
        "bad timestamp in created_at: true",
    ]


def test_wrong_types_in_json(tmp_path: Path) -> None:
    accounts = "\n".join(
        [
            json.dumps({"id": "a1", "links": ["ok"]}),
            json.dumps({"id": "a2", "links": "not-a-list"}),
            json.dumps({"id": "a3", "links": {"an": "object"}}),
        ]
    )
    posts = json.dumps({"id": "p1", "author": "a1", "media": [{"pdq": PDQ, "quality": "high"}]})
    result = read_snapshot(snapshot_dir(tmp_path, accounts_jsonl=accounts, posts_jsonl=posts))
    assert result.snapshot.accounts["id"].to_list() == ["a1"]
    q = result.quarantine.sort("table", "line")
    assert q.select("table", "line").rows() == [("accounts", 2), ("accounts", 3), ("posts", 1)]
    assert all(r.startswith("wrong type") for r in q["reason"])


def test_wrong_types_in_csv_lists(tmp_path: Path) -> None:
    accounts = 'id,links\na1,"[""x""]"\na2,not json\na3,"{""a"": 1}"\n'
    result = read_snapshot(snapshot_dir(tmp_path, accounts_csv=accounts))
    assert result.snapshot.accounts["links"].to_list() == [["x"]]
    assert reasons(result) == ["wrong type: links is not a list of the expected shape"] * 2
    assert result.quarantine["line"].to_list() == [3, 4]


def test_bad_enum_values(tmp_path: Path) -> None:
    events = '{"actor":"a3","kind":"poke","target":"a2"}\n{"actor":"a3","kind":"view","target":"a2"}\n'
    accounts = '{"id":"a1","age_group":"teen"}\n{"id":"a2","status":"banned"}\n{"id":"a3"}\n'
    result = read_snapshot(snapshot_dir(tmp_path, events_jsonl=events, accounts_jsonl=accounts))
    assert sorted(reasons(result)) == [
        "bad value in age_group: teen (expected minor|adult|unknown)",
        "bad value in kind: poke (expected view|like|comment|message|search)",
        "bad value in status: banned (expected active|disabled)",
    ]


def test_malformed_media_hashes(tmp_path: Path) -> None:
    posts = "\n".join(
        json.dumps({"id": f"p{i}", "author": "a1", "media": media})
        for i, media in enumerate(
            [[{"pdq": PDQ, "md5": MD5, "quality": 100}], [{"pdq": "xyz"}], [{"md5": "abc"}], [{"quality": 101}]]
        )
    )
    result = read_snapshot(snapshot_dir(tmp_path, posts_jsonl=posts))
    assert result.snapshot.posts["id"].to_list() == ["p0"]
    assert result.quarantine["line"].to_list() == [2, 3, 4]
    assert set(reasons(result)) == {"malformed media: pdq must be 64 hex chars, md5 32 hex chars, quality 0-100"}


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    accounts = '{"id":"a1","handle":"first"}\n{"id":"a2"}\n{"id":"a1","handle":"second"}\n{"id":"a1"}\n'
    result = read_snapshot(snapshot_dir(tmp_path, accounts_jsonl=accounts))
    acc = result.snapshot.accounts
    assert acc["id"].to_list() == ["a1", "a2"] and acc["handle"][0] == "first"
    assert reasons(result) == ["duplicate id a1 (first on line 1)"] * 2
    assert result.quarantine["line"].to_list() == [3, 4]
    assert json.loads(result.quarantine["row"][0])["handle"] == "second"


def test_references_to_unknown_accounts(tmp_path: Path) -> None:
    follows = 'src,dst\na1,a2\na1,zz\nyy,a3\nyy,zz\n'
    posts = '{"id":"p1","author":"nobody"}\n'
    events = '{"actor":"ghost","kind":"view"}\n{"actor":"a1","kind":"view","target":"unknown-post"}\n'
    reports = '{"id":"r1","target":"not-in-snapshot","reporter":"external"}\n'
    result = read_snapshot(
        snapshot_dir(tmp_path, follows_csv=follows, posts_jsonl=posts, events_jsonl=events, reports_jsonl=reports)
    )
    assert result.snapshot.follows.rows() == [("a1", "a2", None)]
    assert result.quarantine.select("table", "line", "reason").rows() == [
        ("events", 1, "event by unknown account ghost"),
        ("follows", 3, "follow to unknown account zz"),
        ("follows", 4, "follow from unknown account yy"),
        ("follows", 5, "follow from unknown account yy; follow to unknown account zz"),
        ("posts", 1, "post by unknown account nobody"),
    ]
    assert result.snapshot.events.height == 1 and result.snapshot.reports.height == 1


def test_malformed_json_line_is_quarantined_not_fatal(tmp_path: Path) -> None:
    accounts = '{"id":"a1"}\n{"id": "a2"\n{"id":"a3"}\n[1, 2]\n'
    result = read_snapshot(snapshot_dir(tmp_path, accounts_jsonl_gz=accounts))
    assert result.snapshot.accounts["id"].to_list() == ["a1", "a3"]
    assert result.quarantine.select("file", "line").rows() == [("accounts.jsonl.gz", 2), ("accounts.jsonl.gz", 4)]
    assert reasons(result)[0] == "not valid JSON"
    assert result.quarantine["row"][0] == '{"id": "a2"'


def test_quarantine_lists_every_failed_check(tmp_path: Path) -> None:
    reports = '{"id":"r1","target_kind":"user","reason":"spam","created_at":"soon"}\n'
    result = read_snapshot(snapshot_dir(tmp_path, reports_jsonl=reports))
    assert reasons(result) == [
        "missing required field target; bad timestamp in created_at: soon; "
        "bad value in target_kind: user (expected account|post)"
    ]


# -- unreadable files and empty files --------------------------------------------------


def test_truncated_gzip_is_one_line_error(tmp_path: Path) -> None:
    d = snapshot_dir(tmp_path)
    big = "".join(json.dumps({"src": "a1", "dst": "a2", "created_at": i}) + "\n" for i in range(20000))
    path = write(d, "follows.jsonl.gz", big)
    (d / "follows.jsonl").unlink()
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(SnapshotError) as info:
        read_snapshot(d)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: truncated gzip: the compressed stream ends early at byte 3000")


def test_not_gzip_at_all(tmp_path: Path) -> None:
    d = snapshot_dir(tmp_path)
    (d / "accounts.jsonl").unlink()
    (d / "accounts.jsonl.gz").write_bytes(b'{"id":"a1"}\n')
    with pytest.raises(SnapshotError, match=r"accounts\.jsonl\.gz: not gzip data \(no gzip header at byte 0\)"):
        read_snapshot(d)


@pytest.mark.parametrize("name", ["accounts.jsonl", "accounts.csv", "accounts.jsonl.gz"])
def test_non_utf8_bytes_name_the_byte_and_line(tmp_path: Path, name: str) -> None:
    text = b'{"id":"a1"}\n{"id":"a\xff2"}\n' if "jsonl" in name else b"id,handle\na1,x\na2,\xfe\n"
    d = tmp_path / "snap"
    write(d, "follows.jsonl", "")
    path = write(d, name, text)
    with pytest.raises(SnapshotError) as info:
        read_snapshot(d)
    at = text.index(b"\xff" if "jsonl" in name else b"\xfe")
    line = 2 if "jsonl" in name else 3
    assert str(info.value) == f"{path}: not UTF-8: invalid byte 0x{text[at]:02x} at byte {at} (line {line})"


def test_ragged_csv_is_not_csv(tmp_path: Path) -> None:
    d = snapshot_dir(tmp_path, follows_csv="src,dst\na1,a2\na1,a2,a3,a4\n")
    with pytest.raises(SnapshotError, match=r"follows\.csv: not CSV: line 3 has 4 fields, the header has 2"):
        read_snapshot(d)


def test_bad_parquet(tmp_path: Path) -> None:
    d = snapshot_dir(tmp_path, posts_parquet=b"PAR1 not really")
    with pytest.raises(SnapshotError, match=r"posts\.parquet: not a Parquet file"):
        read_snapshot(d)


def test_empty_files(tmp_path: Path) -> None:
    # Empty JSON lines = empty table; header-only CSV = empty table; zero-byte CSV = error.
    d = snapshot_dir(tmp_path, posts_jsonl="", events_jsonl_gz="", reports_csv="id,target\n")
    result = read_snapshot(d)
    assert result.snapshot.posts.height == result.snapshot.events.height == result.snapshot.reports.height == 0
    assert result.quarantine.height == 0
    write(d, "labels.csv", "")
    with pytest.raises(SnapshotError) as info:
        read_snapshot(d)
    assert str(info.value) == f"{d / 'labels.csv'}: empty file, expected a header line at line 1"


def test_missing_required_table_and_directory(tmp_path: Path) -> None:
    d = tmp_path / "snap"
    write(d, "accounts.jsonl", ACCOUNTS)
    with pytest.raises(SnapshotError, match="no follows file"):
        read_snapshot(d)
    with pytest.raises(SnapshotError, match="not a snapshot directory"):
        read_snapshot(tmp_path / "missing")


def test_bad_manifest(tmp_path: Path) -> None:
    d = snapshot_dir(tmp_path)
    write(d, "manifest.json", '{"format": 1,\n "platform": }')
    with pytest.raises(SnapshotError, match=r"manifest\.json: not valid JSON: .* at line 2"):
        read_snapshot(d)


def test_valid_input_yields_empty_quarantine_with_schema(snapshot: Snapshot, tmp_path: Path) -> None:
    q = read_snapshot(write_snapshot(snapshot, tmp_path, "csv")).quarantine
    assert q.schema == pl.Schema(
        {"table": pl.String, "file": pl.String, "line": pl.Int64, "reason": pl.String, "row": pl.String}
    )


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.integers(-2_000_000_000, 4_000_000_000),
    offset=st.integers(-14 * 60, 14 * 60),
    micros=st.sampled_from([0, 250_000, 123_456]),
)
def test_timestamp_forms_agree(seconds: int, offset: int, micros: int) -> None:
    """Unix seconds, and RFC 3339 text at any offset, parse to the same UTC instant."""
    instant = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(microseconds=micros)
    local = instant.astimezone(dt.timezone(dt.timedelta(minutes=offset)))
    texts = [local.isoformat(), instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
    if micros == 0:
        texts += [str(seconds), instant.strftime("%Y-%m-%dT%H:%M:%SZ")]
    raw = pl.DataFrame({"src": ["a"] * len(texts), "dst": ["b"] * len(texts), "created_at": texts})
    ok, rejected = conform(raw.with_row_index(LINE, offset=1), "follows")
    assert rejected.height == 0
    assert ok["created_at"].to_list() == [instant] * len(texts)


def test_parquet_with_loose_types(tmp_path: Path) -> None:
    """Parquet: integer seconds, naive datetimes and integer ids are accepted; a float timestamp is not."""
    d = snapshot_dir(tmp_path)
    pl.DataFrame({"src": ["a1", "a2"], "dst": ["a2", "a3"], "created_at": [1686139200, -99999999999999]}).write_parquet(
        d / "follows.parquet"
    )
    (d / "follows.jsonl").unlink()
    pl.DataFrame(
        {"actor": ["a1"], "kind": ["view"], "created_at": [dt.datetime(2023, 6, 7, 12)]}
    ).write_parquet(d / "events.parquet")
    pl.DataFrame({"id": [7], "target": ["a1"], "created_at": [1.5]}).write_parquet(d / "reports.parquet")
    result = read_snapshot(d)
    instant = dt.datetime(2023, 6, 7, 12, tzinfo=dt.UTC)
    assert result.snapshot.follows["created_at"].to_list() == [instant]
    assert result.snapshot.events["created_at"].to_list() == [instant]
    assert result.quarantine.select("table", "line", "reason").rows() == [
        ("follows", 2, "bad timestamp in created_at: -99999999999999"),
        ("reports", 1, "wrong type: created_at is not a timestamp"),
    ]
